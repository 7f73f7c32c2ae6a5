"""dsar-purge on SQLite and PostgreSQL: effects, exact shape, legal hold, idempotence, failures, S3."""

from __future__ import annotations

import itertools
import logging
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import event, func, select, text

from service import blob_deletions
from service.jobs import _dsar_result, _dsar_rows, dsar_purge
from service.models import (
    DATA_CLASS_AI_ATTACHMENTS as ATT,
)
from service.models import (
    DATA_CLASS_DECISION_TRACES as DT,
)
from service.models import (
    DATA_CLASS_INTERACTIONS as IH,
)
from service.models import (
    AiAttachment,
    AuditLog,
    DecisionTrace,
    InteractionHistory,
    RetentionConfig,
    Tenant,
)
from service.storage import open_store
from tests.service.s3_server import s3_bucket, s3_server  # noqa: F401 - fixtures

# storage-level behaviour (missing blobs, S3) is database-independent: SQLite only
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
AGES = (400, 100, 45, 20, 1)  # days; each table gets one row per age per tenant
_seq = itertools.count(1)


def add_tenant(session, tid, configs, *, active=True):
    session.add(Tenant(id=tid, name=f"Tenant {tid}", active=active))
    session.flush()  # no ORM relationship orders the inserts: the tenant row must exist first
    for data_class, (days, hold) in configs.items():
        session.add(
            RetentionConfig(tenant_id=tid, data_class=data_class, retention_days=days, legal_hold=hold)
        )


def add_rows(session, store, tid, now, ages=AGES):
    for age in ages:
        created = now - timedelta(days=age, minutes=1)
        session.add(DecisionTrace(tenant_id=tid, customer_id="c", created_at=created))
        session.add(
            InteractionHistory(
                tenant_id=tid,
                customer_id="c",
                interaction_type="click",
                occurred_at=created,
                created_at=created,
            )
        )
        n = next(_seq)
        key = f"{tid}/ab/{n:08d}.bin"
        store.put(key, f"blob {tid} {age}".encode())
        session.add(
            AiAttachment(
                tenant_id=tid, sha256=f"{n:064x}", storage_key=key, size_bytes=10, created_at=created
            )
        )


def counts(session, tid):
    def c(model):
        return session.scalar(select(func.count()).select_from(model).where(model.tenant_id == tid))

    session.commit()
    return {"dt": c(DecisionTrace), "ih": c(InteractionHistory), "att": c(AiAttachment)}


def keys_of(session, tid=None):
    q = select(AiAttachment.storage_key)
    if tid:
        q = q.where(AiAttachment.tenant_id == tid)
    return set(session.scalars(q))


def seed_standard(session, store, now):
    # t-a: strictest unheld = 30 d (decision traces); attachments on legal hold
    add_tenant(session, "t-a", {IH: (90, False), DT: (30, False), ATT: (10, True)})
    # t-b: 60 d everywhere, nothing held
    add_tenant(session, "t-b", {IH: (60, False), DT: (60, False), ATT: (60, False)})
    # t-c: no config at all; t-d: only a held row and a zero-day row -> no usable config
    add_tenant(session, "t-c", {})
    add_tenant(session, "t-d", {IH: (5, True), DT: (0, False)})
    for tid in ("t-a", "t-b", "t-c", "t-d"):
        add_rows(session, store, tid, now)
    session.commit()


@pytest.fixture
def store(settings):
    return open_store(settings.attachment_storage_url)


def test_purge_effects_exact_shape_and_audit(session, settings, store, now):
    seed_standard(session, store, now)
    before_blobs = set(store.list())
    result = dsar_purge.run(session, settings, now)
    body = result.model_dump(mode="json", by_alias=True)
    assert body == {
        "ok": True,
        "tenantsScanned": 4,
        "totalBlobsAttempted": 2,
        "perTenant": [
            {
                "tenantId": "t-a",
                "retentionDays": 30,
                "decisionTraces": 3,
                "interactionHistory": 3,
                "aiAttachments": 0,
                "blobsDeleted": 0,
                "blobsKept": 0,
                "exportObjects": {"deleted": 0, "rewritten": 0},
                "errors": [],
                "held": ["ai_attachments"],
            },
            {
                "tenantId": "t-b",
                "retentionDays": 60,
                "decisionTraces": 2,
                "interactionHistory": 2,
                "aiAttachments": 2,
                "blobsDeleted": 2,
                "blobsKept": 0,
                "exportObjects": {"deleted": 0, "rewritten": 0},
                "errors": [],
                "held": [],
            },
        ],
    }
    assert counts(session, "t-a") == {"dt": 2, "ih": 2, "att": 5}  # held class untouched
    assert counts(session, "t-b") == {"dt": 3, "ih": 3, "att": 3}
    assert counts(session, "t-c") == counts(session, "t-d") == {"dt": 5, "ih": 5, "att": 5}
    # exactly the purged rows' blobs are gone; every remaining row still has its blob
    assert set(store.list()) == keys_of(session)
    assert len(before_blobs - set(store.list())) == 2

    audits = session.scalars(
        select(AuditLog).where(AuditLog.action == "dsar_purge").order_by(AuditLog.id)
    ).all()
    assert [a.tenant_id for a in audits] == ["t-a", "t-b"]
    assert audits[1].changes["decisionTraces"] == 2 and audits[1].changes["aiAttachments"] == 2
    assert audits[0].changes["held"] == ["ai_attachments"]


def test_second_run_deletes_nothing(session, settings, store, now):
    seed_standard(session, store, now)
    dsar_purge.run(session, settings, now)
    again = dsar_purge.run(session, settings, now).model_dump(mode="json", by_alias=True)
    assert again["totalBlobsAttempted"] == 0
    for entry in again["perTenant"]:
        assert (
            entry["decisionTraces"],
            entry["interactionHistory"],
            entry["aiAttachments"],
            entry["blobsDeleted"],
            entry["errors"],
        ) == (0, 0, 0, 0, [])


def test_small_batches_delete_everything_expired(session, settings, store, now):
    add_tenant(session, "t-x", {IH: (30, False), DT: (30, False), ATT: (30, False)})
    for _ in range(3):
        add_rows(session, store, "t-x", now)
    session.commit()
    small = settings.model_copy(update={"delete_batch_size": 2})
    body = dsar_purge.run(session, small, now).model_dump(mode="json", by_alias=True)
    entry = body["perTenant"][0]
    assert (
        entry["decisionTraces"],
        entry["interactionHistory"],
        entry["aiAttachments"],
        entry["blobsDeleted"],
    ) == (9, 9, 9, 9)
    assert counts(session, "t-x") == {"dt": 6, "ih": 6, "att": 6}
    assert set(store.list()) == keys_of(session)


@sqlite_only
def test_missing_blob_is_logged_and_skipped(session, settings, store, now, caplog):
    add_tenant(session, "t-m", {ATT: (30, False)})
    add_rows(session, store, "t-m", now)
    session.commit()
    expired = sorted(
        session.scalars(
            select(AiAttachment.storage_key).where(AiAttachment.created_at < now - timedelta(days=30))
        )
    )
    store.delete_many([expired[0]])  # already gone before the purge
    with caplog.at_level(logging.INFO, logger="service.jobs.dsar_purge"):
        entry = dsar_purge.run(session, settings, now).per_tenant[0]
    assert (entry.ai_attachments, entry.blobs_deleted, entry.errors) == (3, 2, [])
    assert any("already gone" in r.getMessage() and expired[0] in r.getMessage() for r in caplog.records)
    assert counts(session, "t-m")["att"] == 2


def _refuse_deletes(session, table, where_sql):
    """A real database failure: a trigger that aborts any DELETE of a ``table`` row matching ``where_sql``
    (written over ``OLD``), on SQLite and PostgreSQL alike."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            text(
                f"CREATE TRIGGER refuse_{table} BEFORE DELETE ON {table} WHEN {where_sql} "
                "BEGIN SELECT RAISE(ABORT, 'simulated database failure'); END"
            )
        )
    else:
        session.execute(
            text(
                f"CREATE FUNCTION refuse_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF {where_sql} THEN RAISE EXCEPTION 'simulated database failure'; END IF; "
                "RETURN OLD; END $$"
            )
        )
        session.execute(
            text(
                f"CREATE TRIGGER refuse_{table} BEFORE DELETE ON {table} FOR EACH ROW "
                f"EXECUTE FUNCTION refuse_{table}()"
            )
        )
    session.commit()


def _refuse_inserts(session, table, where_sql):
    """A real database failure on INSERT: a trigger that aborts a ``table`` row matching ``where_sql``
    (written over ``NEW``), on SQLite and PostgreSQL alike."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            text(
                f"CREATE TRIGGER refuse_ins_{table} BEFORE INSERT ON {table} WHEN {where_sql} "
                "BEGIN SELECT RAISE(ABORT, 'simulated database failure'); END"
            )
        )
    else:
        session.execute(
            text(
                f"CREATE FUNCTION refuse_ins_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF {where_sql} THEN RAISE EXCEPTION 'simulated database failure'; END IF; "
                "RETURN NEW; END $$"
            )
        )
        session.execute(
            text(
                f"CREATE TRIGGER refuse_ins_{table} BEFORE INSERT ON {table} FOR EACH ROW "
                f"EXECUTE FUNCTION refuse_ins_{table}()"
            )
        )
    session.commit()


def test_audit_rows_in_one_commit_and_a_failed_one_stays_in_its_tenant(session, settings, store, now):
    for tid in ("t-1", "t-2", "t-3"):
        add_tenant(session, tid, {IH: (30, False), DT: (30, False)})
        add_rows(session, store, tid, now)
    session.commit()
    _refuse_inserts(session, "audit_log", "NEW.tenant_id = 't-2' AND NEW.action = 'dsar_purge'")
    result = dsar_purge.run(session, settings, now)
    by = {t.tenant_id: t for t in result.per_tenant}
    assert result.ok is False
    assert len(by["t-2"].errors) == 1 and by["t-2"].errors[0].startswith("audit: ")
    assert by["t-1"].errors == by["t-3"].errors == []
    assert (by["t-2"].decision_traces, by["t-2"].interaction_history) == (3, 3)  # the purge itself ran
    audited = session.scalars(select(AuditLog.tenant_id).where(AuditLog.action == "dsar_purge")).all()
    assert sorted(audited) == ["t-1", "t-3"]


def _three_tenants_with_a_stuck_blob(session, store, now, tmp_path) -> str:
    """Tenants t-1..t-3 with expired rows; t-1's first blob cannot be deleted (its path is a non-empty
    directory), so its row must be kept. Returns that blob's key."""
    add_tenant(session, "t-1", {IH: (30, False), DT: (30, False), ATT: (30, False)})
    add_tenant(session, "t-2", {IH: (30, False), DT: (30, False), ATT: (30, False)})
    add_tenant(session, "t-3", {IH: (30, False), DT: (30, False), ATT: (30, False)})
    for tid in ("t-1", "t-2", "t-3"):
        add_rows(session, store, tid, now)
    bad = sorted(keys_of(session, "t-1"))[0]
    bad_path = tmp_path / "attachments" / bad
    bad_path.unlink()
    bad_path.mkdir()
    (bad_path / "x").write_text("x")
    session.commit()
    return bad


def test_blob_failure_and_db_failure_stay_in_their_tenant(session, settings, store, now, tmp_path):
    bad = _three_tenants_with_a_stuck_blob(session, store, now, tmp_path)
    # t-2: the database refuses to delete its interaction history. The multi-tenant slice holding
    # t-2's rows fails as a whole, so that table falls back to per-tenant deletes: only t-2 fails.
    _refuse_deletes(session, "interaction_history", "OLD.tenant_id = 't-2'")
    result = dsar_purge.run(session, settings, now)
    by = {t.tenant_id: t for t in result.per_tenant}
    assert result.ok is False
    assert by["t-1"].ai_attachments == 2 and by["t-1"].blobs_deleted == 2
    assert len(by["t-1"].errors) == 1 and bad in by["t-1"].errors[0]
    assert (
        by["t-2"].interaction_history == 0
        and by["t-2"].decision_traces == 3
        and by["t-2"].ai_attachments == 3
    )
    assert len(by["t-2"].errors) == 1
    assert (
        by["t-2"].errors[0].startswith("interactionHistory: ")
        and "simulated database failure" in by["t-2"].errors[0]
    )
    assert by["t-1"].interaction_history == 3
    assert by["t-3"].errors == [] and (
        by["t-3"].decision_traces,
        by["t-3"].interaction_history,
        by["t-3"].ai_attachments,
    ) == (3, 3, 3)
    assert bad in keys_of(session, "t-1")  # the row of the blob that could not be deleted is kept
    assert counts(session, "t-2")["ih"] == 5 and counts(session, "t-3")["ih"] == 2


def test_per_tenant_path_without_slices_isolates_failures(
    session, settings, store, now, monkeypatch, tmp_path
):
    """The fallback for servers without TID range scans (PostgreSQL < 14) / RETURNING (SQLite < 3.35)."""
    monkeypatch.setattr(_dsar_rows, "slice_kind", lambda session: None)
    bad = _three_tenants_with_a_stuck_blob(session, store, now, tmp_path)
    # t-2: the database refuses its interaction-history delete
    real = _dsar_rows.delete_expired

    def flaky(session, model, tenant_id, cutoff, batch, **kw):
        if model is InteractionHistory and tenant_id == "t-2":
            raise RuntimeError("simulated database failure")
        return real(session, model, tenant_id, cutoff, batch, **kw)

    monkeypatch.setattr(_dsar_rows, "delete_expired", flaky)
    result = dsar_purge.run(session, settings, now)
    by = {t.tenant_id: t for t in result.per_tenant}
    assert result.ok is False
    assert by["t-1"].ai_attachments == 2 and by["t-1"].blobs_deleted == 2
    assert len(by["t-1"].errors) == 1 and bad in by["t-1"].errors[0]
    assert (
        by["t-2"].interaction_history == 0
        and by["t-2"].decision_traces == 3
        and by["t-2"].ai_attachments == 3
    )
    assert by["t-2"].errors == ["interactionHistory: RuntimeError: simulated database failure"]
    assert by["t-3"].errors == [] and (by["t-3"].decision_traces, by["t-3"].ai_attachments) == (3, 3)
    assert bad in keys_of(session, "t-1")  # the row of the blob that could not be deleted is kept


def test_counts_stay_exact_when_a_slice_fails_midway(session, settings, store, now):
    """Slices committed before a failure stay counted; the per-tenant fallback adds the rest."""
    tids = [f"t-{i}" for i in range(4)]
    for tid in tids:
        add_tenant(session, tid, {IH: (30, False), DT: (30, False)})
    for _ in range(3):
        for tid in tids:
            add_rows(session, store, tid, now)
    session.commit()
    expired_ih = {tid: 9 for tid in tids}
    # the last expired interaction row of t-2 cannot be deleted: later slices and t-2's batch fail
    last = session.scalar(
        select(func.max(InteractionHistory.id)).where(
            InteractionHistory.tenant_id == "t-2", InteractionHistory.created_at < now - timedelta(days=30)
        )
    )
    _refuse_deletes(session, "interaction_history", f"OLD.id = {last}")
    small = settings.model_copy(update={"delete_batch_size": 2})
    by = {t.tenant_id: t for t in dsar_purge.run(session, small, now).per_tenant}
    for tid in tids:
        left = counts(session, tid)
        assert by[tid].decision_traces == 9 and left["dt"] == 6
        # the reported count is exactly what left the table
        assert by[tid].interaction_history == 15 - left["ih"], tid
        if tid == "t-2":
            assert left["ih"] > 6 and len(by[tid].errors) == 1 and "simulated" in by[tid].errors[0]
        else:
            assert left["ih"] == 6 and by[tid].interaction_history == expired_ih[tid] and by[tid].errors == []


def test_one_pass_per_table_not_per_tenant(session, settings, store, now, caplog):
    """Statements scale with the expired rows (time windows, rowid slices), not tenants x batches (the
    old per-tenant scans issued at least one DELETE per tenant and table)."""
    tids = [f"p-{i:02d}" for i in range(12)]
    for tid in tids:
        add_tenant(session, tid, {IH: (30, False), DT: (30, False), ATT: (30, True)})
        add_rows(session, store, tid, now)  # 5 rows per table and tenant, 3 expired
    session.commit()
    deletes: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("DELETE", "WITH")):
            deletes.append(statement)

    engine = session.get_bind()
    small = settings.model_copy(update={"delete_batch_size": 5})  # SQLite: 20-rowid slices
    event.listen(engine, "before_cursor_execute", seen)
    try:
        with caplog.at_level(logging.WARNING, logger="service.jobs.dsar_purge"):
            body = dsar_purge.run(session, small, now)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert [(t.decision_traces, t.interaction_history, t.ai_attachments) for t in body.per_tenant] == [
        (3, 3, 0)
    ] * 12
    per_table = {
        t: sum(1 for s in deletes if f"FROM {t} " in s) for t in ("decision_traces", "interaction_history")
    }
    # 60 rows per table: 3 rowid slices on SQLite; on PostgreSQL one time window per expired age
    # (36 rows at 3 instants, 20 rows per window), whatever the tenant count
    assert all(1 <= n <= 3 for n in per_table.values()), per_table
    assert all(n < len(tids) for n in per_table.values())
    assert not any("ai_attachments" in s for s in deletes)  # held everywhere: never touched
    assert not [r.getMessage() for r in caplog.records]  # the slices ran; no fallback


def test_many_distinct_cutoffs_one_pass_each(session, settings, store, now, caplog):
    """More distinct retention periods than one statement ORs (PostgreSQL: the unnest join; SQLite:
    a second pass): every tenant still gets exactly its own cutoff."""
    days = list(range(2, 2 + 2 * 20, 2))  # 20 distinct cutoffs, 2..40 days
    ages = (50, 39, 31, 25, 17, 11, 5, 1)
    for i, d in enumerate(days):
        add_tenant(session, f"c-{i:02d}", {IH: (d, False), DT: (d, i % 3 == 0), ATT: (d, True)})
        add_rows(session, store, f"c-{i:02d}", now, ages=ages)
    session.commit()
    with caplog.at_level(logging.WARNING, logger="service.jobs.dsar_purge"):
        by = {t.tenant_id: t for t in dsar_purge.run(session, settings, now).per_tenant}
    assert not [r.getMessage() for r in caplog.records]
    for i, d in enumerate(days):
        tid = f"c-{i:02d}"
        expired = sum(1 for a in ages if a > d)
        after = counts(session, tid)
        assert by[tid].interaction_history == expired and after["ih"] == len(ages) - expired
        if i % 3 == 0:  # decision traces on hold for this tenant
            assert by[tid].decision_traces == 0 and after["dt"] == len(ages)
        else:
            assert by[tid].decision_traces == expired and after["dt"] == len(ages) - expired
        assert after["att"] == len(ages)


def _stop_flag(monkeypatch, value):
    """The shutdown flag as the purge's modules read it (between slices, tenants and batches)."""
    for module in (dsar_purge, _dsar_result, _dsar_rows):
        monkeypatch.setattr(module, "should_stop", lambda: value)


def test_shutdown_stops_between_slices(session, settings, store, now, monkeypatch):
    seed_standard(session, store, now)
    _stop_flag(monkeypatch, True)
    body = dsar_purge.run(session, settings, now).model_dump(mode="json", by_alias=True)
    assert body["ok"] is True and [t["tenantId"] for t in body["perTenant"]] == ["t-a", "t-b"]
    assert all(
        t["decisionTraces"] == t["interactionHistory"] == t["aiAttachments"] == 0 for t in body["perTenant"]
    )
    assert counts(session, "t-b") == {"dt": 5, "ih": 5, "att": 5}
    audits = session.scalars(select(AuditLog.tenant_id).where(AuditLog.action == "dsar_purge")).all()
    assert sorted(audits) == ["t-a", "t-b"]
    # the next (uninterrupted) run finishes the work
    _stop_flag(monkeypatch, False)
    dsar_purge.run(session, settings, now)
    assert counts(session, "t-b") == {"dt": 3, "ih": 3, "att": 3}


class Crash(BaseException):
    """A process dying mid-run (not an Exception: nothing inside the job may swallow it)."""


def test_rerun_after_crash_between_row_delete_and_blob_delete_leaves_no_orphans(
    session, settings, store, now, monkeypatch
):
    add_tenant(session, "t-k", {ATT: (30, False)})
    add_rows(session, store, "t-k", now)
    session.commit()

    def crash(*_a, **_kw):
        raise Crash()

    monkeypatch.setattr(blob_deletions, "drain", crash)
    with pytest.raises(Crash):
        dsar_purge.run(session, settings, now)
    session.rollback()
    # the rows went first, their blobs are queued: never a row without its blob
    assert counts(session, "t-k")["att"] == 2
    assert keys_of(session) < set(store.list())
    assert blob_deletions.pending_count(session) == 3
    monkeypatch.undo()
    entry = dsar_purge.run(session, settings, now).per_tenant[0]
    assert (entry.ai_attachments, entry.blobs_deleted, entry.errors) == (0, 3, [])  # the leftovers, finished
    assert set(store.list()) == keys_of(session) and blob_deletions.pending_count(session) == 0


@sqlite_only
def test_attachment_blobs_on_s3(session, settings, now, s3_bucket):  # noqa: F811
    s3 = settings.model_copy(update={"attachment_storage_url": f"{s3_bucket}/blobs"})
    store = open_store(s3.attachment_storage_url)
    add_tenant(session, "t-s", {ATT: (30, False)})
    add_tenant(session, "t-h", {ATT: (30, True), DT: (30, False)})
    add_rows(session, store, "t-s", now)
    add_rows(session, store, "t-h", now)
    session.commit()
    body = dsar_purge.run(session, s3, now).model_dump(mode="json", by_alias=True)
    by = {t["tenantId"]: t for t in body["perTenant"]}
    assert (by["t-s"]["aiAttachments"], by["t-s"]["blobsDeleted"]) == (3, 3)
    assert (by["t-h"]["aiAttachments"], by["t-h"]["held"]) == (0, ["ai_attachments"])
    assert set(store.list()) == keys_of(session)
    assert all(store.exists(k) for k in keys_of(session, "t-h"))


_days = st.sampled_from([None, 0, -1, 5, 30, 90])
_cfg = st.dictionaries(st.sampled_from([IH, DT, ATT]), st.tuples(_days, st.booleans()), max_size=3)
_tenant_seq = itertools.count(1)


@hsettings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(configs=_cfg)
def test_legal_hold_is_never_deleted(session, settings, store, now, configs):
    tid = f"h-{next(_tenant_seq)}"
    add_tenant(session, tid, configs)
    add_rows(session, store, tid, now)
    session.commit()
    dsar_purge.run(session, settings, now)
    usable = [d for d, hold in configs.values() if not hold and d and d > 0]
    held = {c for c, (_, hold) in configs.items() if hold}
    after = counts(session, tid)
    expected_remaining = 5 if not usable else sum(1 for a in AGES if a < min(usable))
    for cls, key in ((IH, "ih"), (DT, "dt"), (ATT, "att")):
        assert after[key] == (5 if cls in held else expected_remaining), (cls, configs)
    assert keys_of(session, tid) == {k for k in store.list() if k.startswith(f"{tid}/")}


@hsettings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plans=st.lists(_cfg, min_size=2, max_size=4))
def test_legal_hold_is_never_deleted_in_one_multi_tenant_pass(session, settings, store, now, plans):
    """Tenants with different cutoffs and holds share one pass per table; each keeps its own rules."""
    tids = [f"m-{next(_tenant_seq)}" for _ in plans]
    for tid, configs in zip(tids, plans, strict=True):
        add_tenant(session, tid, configs)
        add_rows(session, store, tid, now)
    session.commit()
    by = {t.tenant_id: t for t in dsar_purge.run(session, settings, now).per_tenant}
    for tid, configs in zip(tids, plans, strict=True):
        usable = [d for d, hold in configs.values() if not hold and d and d > 0]
        held = {c for c, (_, hold) in configs.items() if hold}
        remaining = 5 if not usable else sum(1 for a in AGES if a < min(usable))
        after = counts(session, tid)
        for cls, key, field in (
            (IH, "ih", "interaction_history"),
            (DT, "dt", "decision_traces"),
            (ATT, "att", "ai_attachments"),
        ):
            assert after[key] == (5 if cls in held else remaining), (cls, configs)
            if usable:
                assert getattr(by[tid], field) == 5 - after[key]
        assert (tid in by) == bool(usable)


def test_http_route(session, settings, store, now):
    from fastapi.testclient import TestClient

    from service.app import create_app

    seed_standard(session, store, now)
    client = TestClient(create_app(settings, clock=lambda: now))
    auth = {"Authorization": f"Bearer {settings.cron_secret.get_secret_value()}"}
    assert client.post("/api/v1/cron/dsar-purge").status_code == 401
    resp = client.post("/api/v1/cron/dsar-purge", headers=auth)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == {"ok", "tenantsScanned", "totalBlobsAttempted", "perTenant"}
    assert (body["ok"], body["tenantsScanned"], body["totalBlobsAttempted"]) == (True, 4, 2)
    assert [(t["tenantId"], t["held"]) for t in body["perTenant"]] == [
        ("t-a", ["ai_attachments"]),
        ("t-b", []),
    ]
    assert counts(session, "t-a")["att"] == 5
