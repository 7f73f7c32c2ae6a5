"""service.storage: key safety, atomic local writes, S3 (moto server) and fsspec back ends."""

from __future__ import annotations

import os

import pytest

from service import storage
from service.storage import FsspecStore, LocalStore, S3Store, StorageError, clean_key, open_store
from tests.service.s3_server import s3_bucket, s3_server  # noqa: F401 - fixtures


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "/etc/passwd",
        "../x",
        "a/../../x",
        "..",
        ".",
        "C:/x",
        "a\x00b",
        "a\nb",
        "a\x7fb",
        "a\u2028b",
        "a\ud800b",
        "x/" + "y" * 256,
        "z/" * 600,
    ],
)
def test_keys_that_escape_the_root_are_refused(bad):
    with pytest.raises(StorageError):
        clean_key(bad)


def test_clean_key_normalises():
    assert clean_key("a//b/./c") == "a/b/c"
    assert clean_key("a\\b") == "a/b"


def test_local_put_is_atomic_and_temp_names_never_match_json(tmp_path, monkeypatch):
    store = LocalStore(tmp_path)
    seen = []
    real_replace = os.replace

    def spy(src, dst, *, src_dir_fd=None, dst_dir_fd=None):
        seen.append((os.path.basename(src), os.listdir(src_dir_fd)))
        return real_replace(src, dst, src_dir_fd=src_dir_fd, dst_dir_fd=dst_dir_fd)

    monkeypatch.setattr(storage.os, "replace", spy)
    store.put("exports/t/day=01/batch-1.json", b'{"a":1}\n')
    ((tmp_name, listing),) = seen
    assert tmp_name.startswith(f".kaireon-tmp.{os.getpid()}.") and tmp_name.endswith(".tmp")
    assert storage.is_temp_name(tmp_name)
    assert not any(name.endswith(".json") for name in listing)  # only the temp file existed
    assert store.get("exports/t/day=01/batch-1.json") == b'{"a":1}\n'
    store.put("exports/t/day=01/batch-1.json", b"overwritten\n")
    assert store.get("exports/t/day=01/batch-1.json") == b"overwritten\n"
    assert store.list() == ["exports/t/day=01/batch-1.json"]


def test_local_delete_many_reports_deleted_missing_failed(tmp_path):
    store = LocalStore(tmp_path)
    store.put("a/1", b"1")
    (tmp_path / "a" / "dir").mkdir()
    (tmp_path / "a" / "dir" / "f").write_text("x")
    report = store.delete_many(["a/1", "a/2", "a/dir", "../escape"])
    assert report.deleted == ["a/1"] and report.missing == ["a/2"]
    assert set(report.failed) == {"a/dir", "../escape"}


def test_s3_store_roundtrip_and_deletes(s3_bucket):  # noqa: F811
    store = open_store(f"{s3_bucket}/root", "ATTACHMENT_STORAGE_URL")
    assert isinstance(store, S3Store)
    store.put("t1/x.bin", b"x")
    store.put("t1/y.bin", b"y")
    assert store.exists("t1/x.bin") and not store.exists("t1/z.bin")
    assert store.get("t1/y.bin") == b"y"
    assert store.list() == ["t1/x.bin", "t1/y.bin"] and store.list("t1") == ["t1/x.bin", "t1/y.bin"]
    report = store.delete_many(["t1/x.bin", "t1/gone.bin"])
    assert sorted(report.deleted) == ["t1/gone.bin", "t1/x.bin"] and not report.failed  # S3: idempotent
    assert store.list() == ["t1/y.bin"]


def test_fsspec_store_semantics_on_memory_fs():
    store = FsspecStore("memory://kt-bucket/prefix", "EXPORT_STORAGE_URL")
    store.put("exports/a.json", b"{}\n")
    assert store.exists("exports/a.json") and store.get("exports/a.json") == b"{}\n"
    assert store.list() == ["exports/a.json"]
    report = store.delete_many(["exports/a.json", "exports/b.json"])
    assert (report.deleted, report.missing) == (["exports/a.json"], ["exports/b.json"])


def test_unsupported_or_incomplete_urls_name_the_variable():
    with pytest.raises(StorageError, match="EXPORT_STORAGE_URL=ftp://h/x: unsupported scheme"):
        open_store("ftp://h/x", "EXPORT_STORAGE_URL")
    with pytest.raises(StorageError, match="ATTACHMENT_STORAGE_URL=s3://: an s3:// URL needs a bucket"):
        open_store("s3://", "ATTACHMENT_STORAGE_URL")


def test_gs_without_gcsfs_gives_a_clear_error():
    try:
        import gcsfs  # noqa: F401
    except ImportError:
        with pytest.raises(StorageError, match="EXPORT_STORAGE_URL=gs://b/p: .*gcsfs"):
            open_store("gs://b/p", "EXPORT_STORAGE_URL")
    else:  # pragma: no cover - gcsfs installed: the store opens
        assert isinstance(open_store("gs://b/p", "EXPORT_STORAGE_URL"), FsspecStore)
