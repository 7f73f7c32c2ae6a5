"""The local store stays inside its root (real symbolic links), hostile keys get clear errors, and
temporary files left by a crash (a real ``kill -9``) are recognised and removed by a later sweep."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from service.storage import (
    LocalStore,
    S3Store,
    StorageError,
    clean_key,
    is_temp_name,
    open_store,
    segment_problem,
    show,
)
from tests.service.s3_server import s3_bucket, s3_server  # noqa: F401 - fixtures


@pytest.fixture
def layout(tmp_path):
    """``att/`` (the root) with ``linkdir -> ../outside`` and ``filelink -> ../outside/victim.txt``."""
    root = tmp_path / "att"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "victim.txt").write_text("not yours")
    (root / "linkdir").symlink_to("../outside")
    (root / "filelink").symlink_to("../outside/victim.txt")
    (root / "t1").mkdir()
    (root / "t1" / "ok.txt").write_text("mine")
    return LocalStore(root), outside


def test_delete_through_a_linked_directory_is_refused(layout):
    store, outside = layout
    report = store.delete_many(["linkdir/victim.txt", "filelink", "t1/ok.txt"])
    assert report.deleted == ["t1/ok.txt"]
    assert set(report.failed) == {"linkdir/victim.txt", "filelink"}
    assert "symbolic link" in report.failed["linkdir/victim.txt"]
    assert "'linkdir'" in report.failed["linkdir/victim.txt"]
    assert (outside / "victim.txt").read_text() == "not yours"
    assert (store.root / "filelink").is_symlink()  # not even the link itself is removed


def test_reads_writes_and_checks_never_follow_links(layout):
    store, outside = layout
    for op in (
        lambda: store.get("linkdir/victim.txt"),
        lambda: store.get("filelink"),
        lambda: store.put("linkdir/new.txt", b"x"),
        lambda: store.put("filelink", b"x"),
        lambda: store.check("linkdir/victim.txt"),
        lambda: store.check("filelink"),
        lambda: store.check("linkdir/x"),
    ):
        with pytest.raises(StorageError, match="refused"):
            op()
    (outside / ".kaireon-tmp.1.0123456789ab.tmp").write_text("stale, but outside")
    os.utime(outside / ".kaireon-tmp.1.0123456789ab.tmp", (0, 0))
    assert store.remove_stale_temps("linkdir", 0) == []  # a sweep never follows a link either
    assert sorted(p.name for p in outside.iterdir()) == [".kaireon-tmp.1.0123456789ab.tmp", "victim.txt"]
    assert (outside / "victim.txt").read_text() == "not yours"
    assert store.exists("t1/ok.txt") and not store.exists("t1/none.txt")
    store.check("t1/ok.txt")
    store.check("new/dir/file.txt")  # not existing yet: fine
    assert store.list() == ["t1/ok.txt"]  # links are neither listed nor followed


def test_a_link_swapped_in_for_a_directory_is_not_followed(layout):
    store, outside = layout
    store.put("t2/a.txt", b"a")
    t2 = store.root / "t2"
    (t2 / "a.txt").unlink()
    t2.rmdir()
    t2.symlink_to(outside)  # after the write, the directory became a link
    (outside / "a.txt").write_text("outside a")
    assert "symbolic link" in store.delete_many(["t2/a.txt"]).failed["t2/a.txt"]
    assert (outside / "a.txt").read_text() == "outside a"


@pytest.mark.parametrize(
    "key",
    ["/etc/passwd", "../outside/victim.txt", "t1/../../outside/victim.txt", "t1/ok\x00.txt", "..", "C:\\x"],
)
def test_absolute_climbing_and_nul_keys_are_refused_everywhere(layout, key):
    store, outside = layout
    assert set(store.delete_many([key]).failed) == {key}
    for op in (store.get, store.check, store.exists, lambda k: store.put(k, b"x")):
        with pytest.raises(StorageError):
            op(key)
    assert (outside / "victim.txt").read_text() == "not yours"


_hostile = st.text(
    st.characters() | st.sampled_from(["/", "\\", ".", "\x00", "\u202e", "\ud800"]), max_size=40
) | st.text(max_size=4).map(lambda s: s * 400)


@hsettings(max_examples=60, deadline=None)
@given(key=_hostile)
def test_any_key_is_confined_or_refused_with_a_safe_message(tmp_path_factory, key):
    base = tmp_path_factory.mktemp("hk")
    store = LocalStore(base / "root")
    try:
        store.put(key, b"x")
    except StorageError as exc:
        assert str(exc).isascii() and "\x00" not in str(exc) and len(str(exc)) < 400
        return
    except OSError:
        return  # the file system said no (e.g. a segment that is a file); nothing escaped either
    written = [p for p in base.rglob("*") if p.is_file()]
    assert len(written) == 1 and (base / "root") in written[0].parents
    assert store.get(key) == b"x" and store.delete_many([key]).deleted == [key]


def test_show_escapes_and_bounds():
    assert show("a\x00b") == "'a\\x00b'"
    assert show("é\u202e") == "'\\xe9\\u202e'"
    long = show("x" * 10_000)
    assert len(long) < 130 and long.endswith("(10000 chars)")
    assert len(show("\U0001f600" * 500)) < 130


@pytest.mark.parametrize(
    "seg",
    [
        "",
        ".",
        "..",
        "../exports/tenant_b",
        "../evil",
        "back\\..\\..\\slash",
        "a/b",
        "nul\x00",
        "tab\t",
        "bidi\u2028",
        "x" * 256,
    ],
)
def test_segment_problem_names_the_reason(seg):
    assert segment_problem(seg)


@pytest.mark.parametrize("seg", ["t1", "acme-corp", "café", "テナント", "a.b", "...", "x" * 255])
def test_ordinary_segments_are_fine(seg):
    assert segment_problem(seg) is None


def test_s3_refuses_control_characters_per_key(s3_bucket):  # noqa: F811
    store = open_store(f"{s3_bucket}/root", "ATTACHMENT_STORAGE_URL")
    assert isinstance(store, S3Store)
    store.put("t/ok.bin", b"1")
    report = store.delete_many(["t/bad\x01.bin", "t/ok.bin", "../up.bin"])
    assert report.deleted == ["t/ok.bin"] and set(report.failed) == {"t/bad\x01.bin", "../up.bin"}
    with pytest.raises(StorageError):
        store.check("t/\x00")


# --------------------------------------------------------------------------------------------------
# Temporary files
# --------------------------------------------------------------------------------------------------
_WRITER = textwrap.dedent("""
    import os, sys, time
    from service.storage_local import LocalStore
    real = os.write
    def slow(fd, data):
        n = real(fd, data[:1024])
        print("writing", flush=True)
        time.sleep(60)  # killed here
        return n
    os.write = slow
    LocalStore(sys.argv[1]).put("exports/t1/day=01/batch-1.json", b"x" * 2_000_000)
""")


def test_a_crash_mid_write_leaves_a_recognised_temp_file_that_a_later_sweep_removes(tmp_path):
    root = tmp_path / "root"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(root)], stdout=subprocess.PIPE, env=env, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    day = root / "exports" / "t1" / "day=01"
    (left,) = list(day.iterdir())
    assert is_temp_name(left.name) and left.name.startswith(f".kaireon-tmp.{proc.pid}.")
    store = LocalStore(root)
    # fresh: it may belong to a write in progress -> kept
    assert store.remove_stale_temps("exports/t1/day=01") == []
    # someone else's files and other dot files are never touched, stale or not
    (day / ".other.tmp").write_text("x")
    (day / "batch-0.json").write_text("{}\n")
    old = time.time() - 7200
    for p in day.iterdir():
        os.utime(p, (old, old))
    assert store.remove_stale_temps("exports/t1/day=01") == [f"exports/t1/day=01/{left.name}"]
    assert sorted(p.name for p in day.iterdir()) == [".other.tmp", "batch-0.json"]
    store.put("exports/t1/day=01/batch-1.json", b"whole\n")
    assert store.get("exports/t1/day=01/batch-1.json") == b"whole\n"


def test_legacy_export_temp_names_are_recognised_too():
    assert is_temp_name(".batch-2026-03-30T02-00-00-000Z-17.json.0123456789ab.tmp")
    assert is_temp_name(".kaireon-tmp.123.0123456789ab.tmp")
    for other in (
        ".batch-1.json",
        ".kaireon-tmp.x.0123456789ab.tmp",
        "kaireon-tmp.1.0123456789ab.tmp",
        ".something.0123456789ab.tmp",
        ".kaireon-tmp.1.0123456789ab.tmp.json",
    ):
        assert not is_temp_name(other)


def test_clean_key_is_the_one_canonical_form():
    assert clean_key("t/./a//b\\c") == "t/a/b/c"
    assert clean_key("t/x/../y") == "t/y"
