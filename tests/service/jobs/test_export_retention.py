"""Exports obey retention and legal hold (#14 §2): export objects are recorded when written, and
dsar-purge / cleanup delete or atomically rewrite those past the cutoff — SQLite and PostgreSQL,
local directory and S3 (moto server)."""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import select

from service.jobs import _dsar_preview, cleanup, dsar_purge
from service.jobs import export_interactions as ex
from service.metrics import Metrics
from service.models.audit import AuditLog
from service.models.decisioning import InteractionHistory
from service.models.exports import ExportCheckpoint, ExportObject
from service.models.tenants import DATA_CLASS_AI_ATTACHMENTS as ATT
from service.models.tenants import DATA_CLASS_INTERACTIONS as IH
from service.models.tenants import RetentionConfig, Tenant
from service.storage import open_store
from tests.service.s3_server import s3_bucket, s3_server  # noqa: F401 - fixtures

# Rows per tenant, by age in days at ``now``; with 5 rows per object: [100..60] entirely older than
# a 30-day cutoff, [50, 40, 35, 25, 20] straddling it, [10, 5] entirely newer.
AGES = (100, 90, 80, 70, 60, 50, 40, 35, 25, 20, 10, 5)
BATCH = 5
ZERO = {"deleted": 0, "rewritten": 0}


@pytest.fixture(params=["local", "s3"])
def export_settings(request, settings):
    """The test's settings with exports in a local directory or in a fresh moto S3 bucket."""
    if request.param == "local":
        return settings
    bucket = request.getfixturevalue("s3_bucket")
    return settings.model_copy(update={"export_storage_url": f"{bucket}/exp"})


def add_tenant(session, tid, configs, now, ages=AGES):
    session.add(Tenant(id=tid, name=f"Tenant {tid}", interaction_history_retention_days=30))
    session.flush()
    for data_class, (days, hold) in configs.items():
        session.add(
            RetentionConfig(tenant_id=tid, data_class=data_class, retention_days=days, legal_hold=hold)
        )
    for i, age in enumerate(ages):
        ts = now - timedelta(days=age, minutes=i)
        session.add(
            InteractionHistory(
                tenant_id=tid,
                customer_id=f"c{i}",
                interaction_type="click",
                context={"age": age},
                occurred_at=ts,
                created_at=ts,
            )
        )
    session.commit()


def export_all(session, settings, now, monkeypatch):
    monkeypatch.setattr(ex, "BATCH_SIZE", BATCH)
    cfg = settings.model_copy(update={"export_max_batches_per_run": 50})
    body = ex.run(session, cfg, now).model_dump(by_alias=True)
    assert body["ok"], body


def records(session, tid=None):
    session.commit()
    q = select(ExportObject).order_by(ExportObject.object_key)
    if tid:
        q = q.where(ExportObject.tenant_id == tid)
    return [(o.object_key, o.row_count, o.oldest_created_at, o.newest_created_at) for o in session.scalars(q)]


def contents(settings, tid):
    """{key: [age of each record]} of every stored export object of the tenant."""
    store = open_store(settings.export_storage_url)
    out = {}
    for key in store.list(f"exports/{tid}"):
        out[key] = [orjson.loads(line)["context"]["age"] for line in store.get(key).splitlines()]
    return out


def snapshot(session, settings, tid):
    store = open_store(settings.export_storage_url)
    return records(session, tid), {k: store.get(k) for k in store.list(f"exports/{tid}")}


def seed_two(session, settings, now, monkeypatch):
    """t1: interactions kept 30 days (attachments held: irrelevant to exports); t2: interactions on
    legal hold. Both exported at ``now``, 5 rows per object."""
    add_tenant(session, "t1", {IH: (30, False), ATT: (10, True)}, now)
    add_tenant(session, "t2", {IH: (30, True), ATT: (30, False)}, now)
    export_all(session, settings, now, monkeypatch)


def check_recorded_exactly(session, export_settings):
    recs = records(session, "t1")
    stored = contents(export_settings, "t1")
    assert [r[0] for r in recs] == sorted(stored)
    assert [len(v) for v in stored.values()] == [5, 5, 2] == [r[1] for r in recs]
    rows = (
        session.execute(
            select(InteractionHistory.created_at)
            .where(InteractionHistory.tenant_id == "t1")
            .order_by(InteractionHistory.created_at, InteractionHistory.id)
        )
        .scalars()
        .all()
    )
    assert [(r[2], r[3]) for r in recs] == [(rows[0], rows[4]), (rows[5], rows[9]), (rows[10], rows[11])]


def test_dsar_purge_deletes_and_rewrites_exports_and_spares_legal_hold(
    session, export_settings, now, monkeypatch
):
    seed_two(session, export_settings, now, monkeypatch)
    check_recorded_exactly(session, export_settings)  # every written object recorded, exactly
    held_before = snapshot(session, export_settings, "t2")
    later = now + timedelta(days=1)  # the row purge and the export purge share this run's cutoff
    metrics = Metrics()

    body = dsar_purge.run(session, export_settings, later).model_dump(mode="json", by_alias=True)
    by = {t["tenantId"]: t for t in body["perTenant"]}
    assert by["t1"]["exportObjects"] == {"deleted": 1, "rewritten": 1}
    assert by["t2"]["exportObjects"] == ZERO and IH in by["t2"]["held"]
    assert body["ok"], body
    # t1: the entirely older object is gone, the straddling one holds only its unexpired rows
    assert sorted(contents(export_settings, "t1").values()) == [[10, 5], [25, 20]]
    recs = records(session, "t1")
    assert [r[1] for r in recs] == [2, 2]
    cutoff = later - timedelta(days=30)
    assert all(r[2] >= cutoff for r in recs)
    kept = session.scalars(
        select(InteractionHistory.created_at)
        .where(InteractionHistory.tenant_id == "t1")
        .order_by(InteractionHistory.created_at)
    ).all()
    # the rewritten object's record now spans exactly its kept rows (ages 25 and 20)
    assert (recs[0][2], recs[0][3]) == (kept[0], kept[1]) and (recs[1][2], recs[1][3]) == (kept[2], kept[3])
    # legal hold is absolute: not one byte or record of t2 changed
    assert snapshot(session, export_settings, "t2") == held_before
    # audited with the other counts, and counted in the metrics
    audit = session.scalars(
        select(AuditLog).where(AuditLog.action == "dsar_purge", AuditLog.tenant_id == "t1")
    ).one()
    assert audit.changes["exportObjects"] == {"deleted": 1, "rewritten": 1}
    text = metrics.render().decode()
    assert 'kaireon_export_objects_purged_total{action="deleted",route="dsar-purge"} 1.0' in text
    assert 'kaireon_export_objects_purged_total{action="rewritten",route="dsar-purge"} 1.0' in text

    # a second run has nothing left to do and changes nothing
    after = snapshot(session, export_settings, "t1")
    again = dsar_purge.run(session, export_settings, later).model_dump(mode="json", by_alias=True)
    assert {t["tenantId"]: t["exportObjects"] for t in again["perTenant"]} == {"t1": ZERO, "t2": ZERO}
    assert snapshot(session, export_settings, "t1") == after


class _FailAfterPut:
    """The real store, except that a rewrite raises right after the object was written: the crash
    between the rewrite and its bookkeeping."""

    def __init__(self, store):
        self._store = store

    def __getattr__(self, name):
        return getattr(self._store, name)

    def put(self, key, data):
        self._store.put(key, data)
        raise RuntimeError("injected crash after the rewrite, before the bookkeeping")


def test_crash_between_rewrite_and_bookkeeping_reruns_to_the_same_result(
    session, export_settings, now, monkeypatch, tmp_path
):
    seed_two(session, export_settings, now, monkeypatch)
    later = now + timedelta(days=1)
    real = ex.export_store
    monkeypatch.setattr("service.jobs._export_purge.export_store", lambda s: _FailAfterPut(real(s)))
    crashed = dsar_purge.run(session, export_settings, later).model_dump(mode="json", by_alias=True)
    t1 = next(t for t in crashed["perTenant"] if t["tenantId"] == "t1")
    assert not crashed["ok"] and any("injected crash" in e for e in t1["errors"])
    # the object was rewritten, its record still describes the old one (5 rows)
    assert sorted(contents(export_settings, "t1").values()) == [[10, 5], [25, 20]]
    assert sorted(r[1] for r in records(session, "t1")) == [2, 5]

    monkeypatch.setattr("service.jobs._export_purge.export_store", real)
    rerun = dsar_purge.run(session, export_settings, later).model_dump(mode="json", by_alias=True)
    assert rerun["ok"], rerun
    assert next(t for t in rerun["perTenant"] if t["tenantId"] == "t1")["exportObjects"] == {
        "deleted": 0,
        "rewritten": 1,
    }
    assert sorted(contents(export_settings, "t1").values()) == [[10, 5], [25, 20]]
    crashed_end = records(session, "t1"), contents(export_settings, "t1")

    # the same data purged without a crash ends in exactly the same objects and records
    monkeypatch.setattr(ex, "BATCH_SIZE", BATCH)
    session.execute(ExportObject.__table__.delete())
    session.commit()
    clean = export_settings.model_copy(update={"export_storage_url": str(tmp_path / "clean")})
    session.execute(InteractionHistory.__table__.delete())
    session.execute(ExportCheckpoint.__table__.delete())
    session.commit()
    for age_i, age in enumerate(AGES):
        ts = now - timedelta(days=age, minutes=age_i)
        session.add(
            InteractionHistory(
                tenant_id="t1",
                customer_id=f"c{age_i}",
                interaction_type="click",
                context={"age": age},
                occurred_at=ts,
                created_at=ts,
            )
        )
    session.commit()
    export_all(session, clean, now, monkeypatch)
    dsar_purge.run(session, clean, later)
    clean_end = records(session, "t1"), contents(clean, "t1")
    assert [r[1:] for r in clean_end[0]] == [r[1:] for r in crashed_end[0]]
    assert sorted(clean_end[1].values()) == sorted(crashed_end[1].values())


@pytest.mark.parametrize("export_settings", ["local"], indirect=True)
def test_dry_run_counts_what_a_run_would_do_and_touches_nothing(
    session, session_factory, export_settings, now, monkeypatch
):
    seed_two(session, export_settings, now, monkeypatch)
    later = now + timedelta(days=1)
    before = snapshot(session, export_settings, "t1"), snapshot(session, export_settings, "t2")
    body = _dsar_preview.preview(session_factory, export_settings, later, {}).model_dump(
        mode="json", by_alias=True
    )
    by = {t["tenantId"]: t for t in body["perTenant"]}
    assert by["t1"]["exportObjects"] == {"deleted": 1, "rewritten": 1}
    assert by["t2"]["exportObjects"] == ZERO
    assert (snapshot(session, export_settings, "t1"), snapshot(session, export_settings, "t2")) == before
    audit = session.scalars(select(AuditLog).where(AuditLog.action == "dsar_purge_preview")).one()
    assert audit.changes["wouldDelete"]["exportObjects"] == {"deleted": 1, "rewritten": 1}
    # and the run does exactly that
    run = dsar_purge.run(session, export_settings, later).model_dump(mode="json", by_alias=True)
    assert {t["tenantId"]: t["exportObjects"] for t in run["perTenant"]} == {
        t: by[t]["exportObjects"] for t in ("t1", "t2")
    }


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_cleanup_purges_exports_of_interaction_history_and_respects_hold(
    session, export_settings, now, monkeypatch
):
    seed_two(session, export_settings, now, monkeypatch)
    held_before = snapshot(session, export_settings, "t2")
    later = now + timedelta(days=1)
    body = cleanup.run(session, export_settings, later).model_dump(mode="json", by_alias=True)
    assert body["ok"], body
    assert body["exportObjects"] == {"deleted": 1, "rewritten": 1}
    assert f"t2/{IH}" in body["held"]
    assert sorted(contents(export_settings, "t1").values()) == [[10, 5], [25, 20]]
    assert snapshot(session, export_settings, "t2") == held_before
    again = cleanup.run(session, export_settings, later).model_dump(mode="json", by_alias=True)
    assert again["exportObjects"] == ZERO


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_export_in_flight_is_left_for_the_next_run_and_record_precedes_the_write(
    session, settings, now, monkeypatch
):
    add_tenant(session, "t1", {IH: (30, False)}, now)
    monkeypatch.setattr(ex, "BATCH_SIZE", BATCH)
    real_put = ex._write
    calls = []

    def crash_on_second(store, name, data):
        calls.append(name)
        if len(calls) == 2:
            raise RuntimeError("injected crash during the write")
        real_put(store, name, data)

    monkeypatch.setattr(ex, "_write", crash_on_second)
    ex.run(session, settings.model_copy(update={"export_max_batches_per_run": 50}), now)
    session.commit()
    cp = session.get(ExportCheckpoint, "t1")
    assert cp.pending_object == calls[1]
    # the batch being written is already recorded, though its object does not exist yet
    assert [r[0] for r in records(session, "t1")] == calls[:2]
    assert not open_store(settings.export_storage_url).exists(calls[1])

    later = now + timedelta(days=1)
    body = dsar_purge.run(session, settings, later).model_dump(mode="json", by_alias=True)
    assert body["perTenant"][0]["exportObjects"] == {"deleted": 1, "rewritten": 0}  # the pending one is left
    assert [r[0] for r in records(session, "t1")] == [calls[1]]

    # the export finishes the pending batch (its expired rows are gone from the database by now)
    monkeypatch.setattr(ex, "_write", real_put)
    for _ in range(2):  # the short pending batch ends a run; the next one exports the rest
        ex.run(session, settings.model_copy(update={"export_max_batches_per_run": 50}), later)
    stored = contents(settings, "t1")
    assert sorted(stored.values()) == [[10, 5], [25, 20]]
    assert sorted(r[1] for r in records(session, "t1")) == [2, 2]
    assert dsar_purge.run(session, settings, later).per_tenant[0].export_objects.model_dump() == ZERO


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_unreadable_record_line_fails_closed(session, settings, now, monkeypatch):
    add_tenant(session, "t1", {IH: (30, False)}, now)
    export_all(session, settings, now, monkeypatch)
    store = open_store(settings.export_storage_url)
    straddling = [k for k, ages in contents(settings, "t1").items() if 50 in ages][0]
    broken = store.get(straddling) + b'{"id": 1, "createdAt": "yesterday"}\n'
    store.put(straddling, broken)
    body = dsar_purge.run(session, settings, now + timedelta(days=1)).model_dump(mode="json", by_alias=True)
    entry = body["perTenant"][0]
    assert not body["ok"] and any("no readable createdAt" in e for e in entry["errors"])
    assert store.get(straddling) == broken  # never guessed at: left untouched
    assert entry["exportObjects"] == {"deleted": 1, "rewritten": 0}  # the entirely older one still went


class _DeleteFails:
    """The real store, except that deletes fail (permissions, network)."""

    def __init__(self, store):
        self._store = store

    def __getattr__(self, name):
        return getattr(self._store, name)

    def delete_many(self, keys):
        from service.storage import DeleteReport

        return DeleteReport(failed={k: "AccessDenied: injected" for k in keys})


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_failed_delete_keeps_its_record_the_next_objects_follow_and_the_next_run_retries(
    session, settings, now, monkeypatch
):
    add_tenant(session, "t1", {IH: (30, False)}, now)
    export_all(session, settings, now, monkeypatch)
    real = ex.export_store
    monkeypatch.setattr("service.jobs._export_purge.export_store", lambda s: _DeleteFails(real(s)))
    later = now + timedelta(days=1)
    body = dsar_purge.run(session, settings, later).model_dump(mode="json", by_alias=True)
    entry = body["perTenant"][0]
    assert not body["ok"] and any("AccessDenied: injected" in e for e in entry["errors"])
    assert entry["exportObjects"] == {"deleted": 0, "rewritten": 1}  # the straddling one still followed
    assert sorted(len(v) for v in contents(settings, "t1").values()) == [2, 2, 5]
    assert sorted(r[1] for r in records(session, "t1")) == [2, 2, 5]  # the failed one stays queued

    monkeypatch.setattr("service.jobs._export_purge.export_store", real)
    body = dsar_purge.run(session, settings, later).model_dump(mode="json", by_alias=True)
    assert body["ok"] and body["perTenant"][0]["exportObjects"] == {"deleted": 1, "rewritten": 0}
    assert sorted(contents(settings, "t1").values()) == [[10, 5], [25, 20]]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_objects_already_missing_are_settled_without_error(session, settings, now, monkeypatch):
    add_tenant(session, "t1", {IH: (30, False)}, now)
    export_all(session, settings, now, monkeypatch)
    store = open_store(settings.export_storage_url)
    store.delete_many(list(store.list("exports/t1"))[:2])  # the older and the straddling object vanish
    body = dsar_purge.run(session, settings, now + timedelta(days=1)).model_dump(mode="json", by_alias=True)
    assert body["ok"], body
    # the older one counts as deleted (S3 cannot tell either); the straddling one is merely forgotten
    assert body["perTenant"][0]["exportObjects"] == {"deleted": 1, "rewritten": 0}
    assert [r[1] for r in records(session, "t1")] == [2]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@hsettings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ages=st.lists(st.integers(min_value=0, max_value=120), min_size=0, max_size=14),
    batch=st.integers(min_value=1, max_value=6),
    days=st.integers(min_value=1, max_value=100),
)
def test_after_a_purge_the_exports_hold_exactly_the_unexpired_rows(
    session, settings, now, monkeypatch, tmp_path, ages, batch, days
):
    """Whatever the rows, batch size and retention: after export + purge, every object holds only rows at
    or after the cutoff, every such exported row is still in exactly one object, and every record
    matches its object."""
    for model in (ExportObject, ExportCheckpoint, InteractionHistory, RetentionConfig, Tenant):
        session.execute(model.__table__.delete())
    session.commit()
    cfg = settings.model_copy(
        update={"export_storage_url": str(tmp_path / f"ex-{len(ages)}-{batch}-{days}-{sum(ages)}")}
    )
    store = open_store(cfg.export_storage_url)
    store.delete_many(store.list())
    add_tenant(session, "t1", {IH: (days, False)}, now, ages=tuple(ages))
    monkeypatch.setattr(ex, "BATCH_SIZE", batch)
    ex.run(session, cfg.model_copy(update={"export_max_batches_per_run": 100}), now)
    later = now + timedelta(hours=1)
    cutoff = later - timedelta(days=days)
    created = [now - timedelta(days=a, minutes=i) for i, a in enumerate(ages)]
    exported = [ts <= now - timedelta(seconds=ex.SETTLE_SECONDS) for ts in created]  # younger: next run
    expected = sorted(a for a, ts, e in zip(ages, created, exported, strict=True) if e and ts >= cutoff)
    body = dsar_purge.run(session, cfg, later).model_dump(mode="json", by_alias=True)
    assert body["ok"], body
    stored = contents(cfg, "t1")
    assert sorted(a for v in stored.values() for a in v) == expected
    assert all(v for v in stored.values())  # no empty object is left behind
    recs = records(session, "t1")
    assert {r[0]: r[1] for r in recs} == {k: len(v) for k, v in stored.items()}
    assert all(r[2] >= cutoff for r in recs)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_concurrent_purges_handle_each_object_exactly_once(
    session, session_factory, settings, now, monkeypatch
):
    """Two purges of the same tenant at once (PostgreSQL: FOR UPDATE SKIP LOCKED per object): every
    object is deleted or rewritten by exactly one of them, whatever the interleaving."""
    import threading

    from service.jobs._export_purge import ExportObjects, purge_exports

    add_tenant(session, "t1", {IH: (30, False)}, now, ages=AGES * 4)
    monkeypatch.setattr(ex, "BATCH_SIZE", 3)
    ex.run(session, settings.model_copy(update={"export_max_batches_per_run": 50}), now)
    cutoff = now + timedelta(days=1) - timedelta(days=30)
    store = open_store(settings.export_storage_url)
    expected = ExportObjects()
    for key in contents(settings, "t1"):
        created = [
            datetime.fromisoformat(orjson.loads(line)["createdAt"]) for line in store.get(key).splitlines()
        ]
        older = [c for c in created if c < cutoff]
        expected.deleted += len(older) == len(created)
        expected.rewritten += 0 < len(older) < len(created)
    assert expected.deleted and expected.rewritten
    counts = [ExportObjects(), ExportObjects()]
    errors: list[str] = []
    barrier = threading.Barrier(2)

    def work(i):
        with session_factory() as s:
            barrier.wait()
            purge_exports(s, store, "t1", cutoff, counts[i], errors=errors)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert (counts[0].deleted + counts[1].deleted, counts[0].rewritten + counts[1].rewritten) == (
        expected.deleted,
        expected.rewritten,
    )
    assert all(r[2] >= cutoff for r in records(session, "t1"))
    assert {r[0]: r[1] for r in records(session, "t1")} == {
        k: len(v) for k, v in contents(settings, "t1").items()
    }
