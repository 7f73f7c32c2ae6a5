"""dsar-purge never deletes a blob a remaining row references, survives kill -9 at any statement,
stays inside the attachment root (real symbolic links) and reports hostile rows per tenant."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import textwrap
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import select, text

from service import blob_deletions
from service.jobs import _dsar_attachments, dsar_purge
from service.models import DATA_CLASS_AI_ATTACHMENTS as ATT
from service.models import DATA_CLASS_DECISION_TRACES as DT
from service.models import AiAttachment, BlobDeletion, RetentionConfig, Tenant
from service.storage import clean_key, open_store
from tests.service.s3_server import s3_bucket, s3_server  # noqa: F401 - fixtures

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
_seq = itertools.count(1)
REPO = Path(__file__).resolve().parents[3]


def tenant(session, tid, days=30, hold=False):
    session.add(Tenant(id=tid, name=f"Tenant {tid}", active=True))
    session.flush()
    session.add(RetentionConfig(tenant_id=tid, data_class=ATT, retention_days=days, legal_hold=hold))
    if hold:  # the tenant is still purged (decision traces), its attachments are held
        session.add(RetentionConfig(tenant_id=tid, data_class=DT, retention_days=days, legal_hold=False))


def row(session, tid, key, created):
    n = next(_seq)
    session.add(
        AiAttachment(tenant_id=tid, sha256=f"{n:064x}", storage_key=key, size_bytes=1, created_at=created)
    )


def remaining_keys(session):
    session.commit()
    return {clean_key(k) for k in session.scalars(select(AiAttachment.storage_key))}


@pytest.fixture
def store(settings):
    return open_store(settings.attachment_storage_url)


def test_issue_repro_a_held_row_keeps_the_blob_it_shares(session, settings, store, now):
    """An expired tenant-B row and a held tenant's row share one key: B's row goes, the blob stays."""
    tenant(session, "t-held", hold=True)
    tenant(session, "t-b")
    store.put("shared/blob.bin", b"evidence")
    row(session, "t-held", "shared/blob.bin", now - timedelta(days=400))
    row(session, "t-b", "shared/blob.bin", now - timedelta(days=400))
    session.commit()
    body = dsar_purge.run(session, settings, now).model_dump(mode="json", by_alias=True)
    by = {t["tenantId"]: t for t in body["perTenant"]}
    assert (by["t-b"]["aiAttachments"], by["t-b"]["blobsDeleted"], by["t-b"]["blobsKept"]) == (1, 0, 1)
    assert by["t-held"]["held"] == ["ai_attachments"] and by["t-held"]["aiAttachments"] == 0
    assert body["ok"] is True and body["totalBlobsAttempted"] == 0
    assert store.get("shared/blob.bin") == b"evidence"
    assert session.scalars(select(AiAttachment.tenant_id)).all() == ["t-held"]
    assert blob_deletions.pending_count(session) == 0


@pytest.mark.parametrize(
    "other", ["fresh-same-tenant", "other-tenant-fresh", "other-tenant-no-config", "spelled-differently"]
)
def test_any_remaining_reference_keeps_the_blob(session, settings, store, now, other):
    tenant(session, "t-a")
    tenant(session, "t-o", days=3650)
    session.add(Tenant(id="t-n", name="no config", active=True))
    store.put("k/blob.bin", b"x")
    row(session, "t-a", "k/blob.bin", now - timedelta(days=400))
    holder, key = {
        "fresh-same-tenant": ("t-a", "k/blob.bin"),
        "other-tenant-fresh": ("t-o", "k/blob.bin"),
        "other-tenant-no-config": ("t-n", "k/blob.bin"),
        "spelled-differently": ("t-o", "k//./blob.bin"),
    }[other]
    session.flush()
    row(session, holder, key, now - timedelta(days=1))
    session.commit()
    by = {t.tenant_id: t for t in dsar_purge.run(session, settings, now).per_tenant}
    assert (by["t-a"].ai_attachments, by["t-a"].blobs_kept, by["t-a"].blobs_deleted) == (1, 1, 0)
    assert store.exists("k/blob.bin")
    assert blob_deletions.pending_count(session) == 0


_plan = st.lists(
    st.tuples(st.sampled_from(["t-1", "t-2", "t-held", "t-none"]), st.integers(0, 3), st.booleans()),
    min_size=1,
    max_size=10,
)


@hsettings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=_plan)
def test_shared_keys_whatever_shares_them(session, settings, store, now, plan):
    """Rows of purged, held and unconfigured tenants, expired or fresh, over a few shared keys: after
    the run every remaining row has its blob, no blob is left without a row, the queue is empty."""
    run_id = next(_seq)
    tids = {t: f"{t}-{run_id}" for t in ("t-1", "t-2", "t-held", "t-none")}
    tenant(session, tids["t-1"])
    tenant(session, tids["t-2"], days=90)
    tenant(session, tids["t-held"], hold=True)
    session.add(Tenant(id=tids["t-none"], name="none", active=True))
    session.flush()
    for who, k, expired in plan:
        key = f"h{run_id}/{k}.bin"
        store.put(key, b"b")
        row(session, tids[who], key, now - timedelta(days=400 if expired else 1))
    session.commit()
    dsar_purge.run(session, settings, now)
    mine = {k for k in store.list() if k.startswith(f"h{run_id}/")}
    left = {k for k in remaining_keys(session) if k.startswith(f"h{run_id}/")}
    assert left <= mine  # every remaining row still has its blob
    assert mine == left  # and no blob outlives its last row
    assert blob_deletions.pending_count(session) == 0


class Crash(BaseException):
    """A process dying mid-run."""


def test_crash_after_the_blob_delete_before_dequeue_is_finished_next_run(
    session, settings, store, now, monkeypatch
):
    tenant(session, "t-c")
    for i in range(3):
        store.put(f"c/{i}.bin", b"x")
        row(session, "t-c", f"c/{i}.bin", now - timedelta(days=400))
    session.commit()
    real = type(store).delete_many

    def delete_then_die(self, keys):
        real(self, keys)
        raise Crash()

    monkeypatch.setattr(type(store), "delete_many", delete_then_die)
    with pytest.raises(Crash):
        dsar_purge.run(session, settings, now)
    session.rollback()
    monkeypatch.undo()
    assert store.list() == [] and remaining_keys(session) == set()
    assert blob_deletions.pending_count(session) == 3  # still queued: the dequeue was rolled back
    dsar_purge.run(session, settings, now)
    assert blob_deletions.pending_count(session) == 0 and store.list() == []


_KILLER = textwrap.dedent("""
    import os, signal, sys
    from datetime import datetime, timezone
    from sqlalchemy import event
    from service.config import Settings
    from service.db import make_engine, make_sessionmaker
    from service.jobs import dsar_purge
    from service.storage_local import LocalStore
    url, att, pattern, nth = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    engine = make_engine(url)
    seen = [0]
    def count(conn, cursor, statement, *_a):
        if pattern != "blob" and " ".join(statement.split()).startswith(pattern):
            seen[0] += 1
            if seen[0] == nth:
                os.kill(os.getpid(), signal.SIGKILL)
    event.listen(engine, "after_cursor_execute", count)
    real = LocalStore.delete_many
    def delete_many(self, keys):
        keys = list(keys)
        if pattern == "blob" and len(keys) > 1:
            real(self, keys[:1])
            os.kill(os.getpid(), signal.SIGKILL)
        return real(self, keys)
    LocalStore.delete_many = delete_many
    settings = Settings(database_url=url, cron_secret="x" * 32, attachment_storage_url=att,
                        in_process_scheduler=False, delete_batch_size=2, _env_file=None)
    with make_sessionmaker(engine)() as s:
        dsar_purge.run(s, settings, datetime(2026, 6, 15, 12, tzinfo=timezone.utc))
    print("finished")
""")


def _invariant(session, store, prefix):
    blobs = set(store.list(prefix))
    rows = {k for k in remaining_keys(session) if k.startswith(prefix + "/")}
    queued = set(session.scalars(select(BlobDeletion.blob_key)))
    session.commit()
    assert rows <= blobs, f"rows without their blob: {rows - blobs}"
    assert blobs <= rows | queued, f"orphan blobs: {blobs - rows - queued}"


KILL_POINTS = [
    ("DELETE FROM ai_attachments", 2),  # rows deleted, their queue entries not yet inserted
    ("INSERT INTO blob_deletions", 3),  # rows deleted and queued, not committed
    ("blob", 1),  # inside the blob deletes: one blob gone, the rest not
    ("DELETE FROM blob_deletions", 1),  # blobs deleted, the dequeue not committed
]


@pytest.mark.parametrize(
    ("db_url", "pattern", "nth"),
    [("sqlite", p, n) for p, n in KILL_POINTS] + [("postgresql", p, n) for p, n in KILL_POINTS[1::2]],
    indirect=["db_url"],
)
def test_kill_9_at_any_statement_leaves_no_orphan_and_no_row_without_blob(
    session, settings, store, now, pattern, nth
):
    """A real ``kill -9`` of a purge process right after the n-th statement of a kind (or mid-delete)."""
    tenant(session, "t-x")
    tenant(session, "t-held", hold=True)
    for i in range(7):
        key = f"kx/{i}.bin"
        store.put(key, b"x")
        row(session, "t-x", key, now - timedelta(days=400 if i < 5 else 1))
        if i in (1, 4):  # shared with a held row
            row(session, "t-held", key, now - timedelta(days=400))
    session.commit()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _KILLER,
            settings.database_url,
            settings.attachment_storage_url,
            pattern,
            str(nth),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    _invariant(session, store, "kx")
    # the next run finishes everything the killed one left
    dsar_purge.run(session, settings, now)
    _invariant(session, store, "kx")
    assert blob_deletions.pending_count(session) == 0
    assert set(store.list("kx")) == {"kx/1.bin", "kx/4.bin", "kx/5.bin", "kx/6.bin"}


def test_two_drains_at_once_never_work_on_the_same_key(
    session_factory, session, settings, store, now, db_url
):
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite serialises the drains on its write lock; PostgreSQL uses SKIP LOCKED")
    tenant(session, "t-p")
    for i in range(6):
        store.put(f"p/{i}.bin", b"x")
        row(session, "t-p", f"p/{i}.bin", now - timedelta(days=400))
    session.commit()
    ids = list(session.scalars(select(AiAttachment.id)))
    assert blob_deletions.delete_rows_and_queue(session, ids, "t-p", now - timedelta(days=30)) == 6
    inside, release = threading.Event(), threading.Event()
    outcomes: list[tuple[str, str]] = []
    real = store.delete_many

    class Slow:
        def delete_many(self, keys):
            inside.set()
            release.wait(30)
            return real(keys)

    def first():
        with session_factory() as s:
            blob_deletions.drain(s, Slow(), lambda t, k, o, r: outcomes.append((k, o)))

    th = threading.Thread(target=first)
    th.start()
    assert inside.wait(30)
    with session_factory() as s2:  # the second replica skips every key the first one holds
        blob_deletions.drain(s2, store, lambda t, k, o, r: outcomes.append((k, o)))
    assert outcomes == []
    release.set()
    th.join(30)
    assert sorted(outcomes) == [(f"p/{i}.bin", "deleted") for i in range(6)]
    assert blob_deletions.pending_count(session) == 0


def test_a_link_inside_the_root_never_lets_a_delete_out(session, settings, store, now, tmp_path):
    att = Path(settings.attachment_storage_url)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.txt").write_text("outside the root")
    att.mkdir(parents=True, exist_ok=True)
    (att / "linkdir").symlink_to("../outside")
    tenant(session, "t-l")
    tenant(session, "t-ok")
    row(session, "t-l", "linkdir/victim.txt", now - timedelta(days=400))
    store.put("ok/1.bin", b"x")
    row(session, "t-ok", "ok/1.bin", now - timedelta(days=400))
    session.commit()
    body = dsar_purge.run(session, settings, now).model_dump(mode="json", by_alias=True)
    by = {t["tenantId"]: t for t in body["perTenant"]}
    assert (outside / "victim.txt").read_text() == "outside the root"
    assert by["t-l"]["aiAttachments"] == 0 and len(by["t-l"]["errors"]) == 1
    assert "'linkdir'" in by["t-l"]["errors"][0] and "symbolic link" in by["t-l"]["errors"][0]
    assert (by["t-ok"]["aiAttachments"], by["t-ok"]["blobsDeleted"], by["t-ok"]["errors"]) == (1, 1, [])
    assert remaining_keys(session) == {"linkdir/victim.txt"}  # kept, reported on every run until fixed


HOSTILE = [
    "/etc/passwd",
    "../outside.txt",
    "a/../../b",
    "..",
    "x/" + "y" * 300,
    "odd/\u202e\u200b.bin",
    "ctl/\x07.bin",
    "C:\\win.bin",
]


@pytest.mark.parametrize("extra", [[], ["nul/\x00.bin", "z" * 5000]])
def test_hostile_keys_are_reported_per_tenant_and_never_fail_the_route(
    session, settings, store, now, db_url, extra
):
    if extra and not db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL cannot store NUL or over-long keys (varchar(512)); SQLite can")
    from fastapi.testclient import TestClient

    from service.app import create_app

    tenant(session, "t-h")
    tenant(session, "t-ok")
    keys = HOSTILE + extra
    for k in keys:
        row(session, "t-h", k, now - timedelta(days=400))
    store.put("odd/\u202e\u200b.bin", b"odd but valid")  # odd unicode is a valid key: purged
    store.put("ok/1.bin", b"x")
    row(session, "t-ok", "ok/1.bin", now - timedelta(days=400))
    session.commit()
    client = TestClient(create_app(settings, clock=lambda: now))
    resp = client.post(
        "/api/v1/cron/dsar-purge",
        headers={"Authorization": f"Bearer {settings.cron_secret.get_secret_value()}"},
    )
    assert resp.status_code == 200, resp.text
    by = {t["tenantId"]: t for t in resp.json()["perTenant"]}
    assert (by["t-ok"]["aiAttachments"], by["t-ok"]["errors"]) == (1, [])
    assert by["t-h"]["aiAttachments"] == 1 and by["t-h"]["blobsDeleted"] == 1
    assert len(by["t-h"]["errors"]) == len(keys) - 1
    assert all(e.isascii() and len(e) < 600 for e in by["t-h"]["errors"])
    assert not store.exists("odd/\u202e\u200b.bin")


def test_a_hold_placed_during_the_run_stops_the_tenant(session, settings, store, now, monkeypatch):
    tenant(session, "t-late")
    store.put("late/1.bin", b"x")
    row(session, "t-late", "late/1.bin", now - timedelta(days=400))
    session.commit()
    real = _dsar_attachments._purge_attachments

    def hold_first(s, st_, entry, cutoff, batch):
        s.execute(text("UPDATE retention_configs SET legal_hold = true WHERE tenant_id = 't-late'"))
        s.commit()
        return real(s, st_, entry, cutoff, batch)

    monkeypatch.setattr(_dsar_attachments, "_purge_attachments", hold_first)
    entry = dsar_purge.run(session, settings, now).per_tenant[0]
    assert entry.ai_attachments == 0 and entry.held == ["ai_attachments"]
    assert store.exists("late/1.bin") and remaining_keys(session) == {"late/1.bin"}


@sqlite_only
def test_shared_keys_on_s3(session, settings, now, s3_bucket):  # noqa: F811
    s3 = settings.model_copy(update={"attachment_storage_url": f"{s3_bucket}/blobs"})
    store = open_store(s3.attachment_storage_url)
    tenant(session, "t-held", hold=True)
    tenant(session, "t-b")
    for key in ("s/shared.bin", "s/alone.bin"):
        store.put(key, b"x")
    row(session, "t-held", "s/shared.bin", now - timedelta(days=400))
    row(session, "t-b", "s/shared.bin", now - timedelta(days=400))
    row(session, "t-b", "s/alone.bin", now - timedelta(days=400))
    row(session, "t-b", "../escape.bin", now - timedelta(days=400))
    session.commit()
    by = {t.tenant_id: t for t in dsar_purge.run(session, s3, now).per_tenant}
    assert (by["t-b"].ai_attachments, by["t-b"].blobs_deleted, by["t-b"].blobs_kept) == (2, 1, 1)
    assert len(by["t-b"].errors) == 1 and "'../escape.bin'" in by["t-b"].errors[0]
    assert store.list() == ["s/shared.bin"]
    assert blob_deletions.pending_count(session) == 0


def test_a_writer_claiming_a_queued_key_keeps_its_blob(session, settings, store, now):
    """The writers' rule: claim_key in the new row's transaction cancels the queued deletion."""
    tenant(session, "t-w")
    store.put("w/shared.bin", b"x")
    row(session, "t-w", "w/shared.bin", now - timedelta(days=400))
    session.commit()
    ids = list(session.scalars(select(AiAttachment.id)))
    assert blob_deletions.delete_rows_and_queue(session, ids, "t-w", now - timedelta(days=30)) == 1
    assert blob_deletions.pending_count(session) == 1
    blob_deletions.claim_key(session, "w//shared.bin")  # any spelling of the key
    row(session, "t-w", "w/shared.bin", now)
    session.commit()
    seen: list[tuple[str, str]] = []
    blob_deletions.drain(session, store, lambda t, k, o, r: seen.append((k, o)))
    assert seen == [] and store.exists("w/shared.bin") and blob_deletions.pending_count(session) == 0
