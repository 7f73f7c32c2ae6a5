"""export-interactions on SQLite and PostgreSQL: shape, keyset edges, crash safety, failures, S3, DuckDB."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import fsspec
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import select

from service import storage
from service.jobs import _export_batch as eb
from service.jobs import export_interactions as ex
from service.models.decisioning import InteractionHistory
from service.models.exports import ExportCheckpoint
from service.models.tenants import Tenant
from tests.service.s3_server import s3_bucket, s3_keys, s3_server  # noqa: F401 - fixtures

# storage-level behaviour (atomic writes, S3, the HTTP wrapper) is database-independent: SQLite only
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def seed(session, now, *, t1_rows=25, t2_rows=5):
    session.add_all(
        [
            Tenant(id="t1", name="Acme Corp"),
            Tenant(id="t2", name="Beta Inc"),
            Tenant(id="t3", name="Dormant", active=False),
        ]
    )
    session.flush()
    add_rows(session, "t1", now - timedelta(days=2), t1_rows)
    add_rows(session, "t2", now - timedelta(days=1), t2_rows)
    add_rows(session, "t3", now - timedelta(days=1), 3)
    session.commit()


def add_rows(session, tid, start, n):
    """``n`` rows; every group of 4 consecutive rows shares one created_at (batch edges fall inside)."""
    for i in range(n):
        ts = start + timedelta(seconds=(i // 4))
        session.add(
            InteractionHistory(
                tenant_id=tid,
                customer_id=f"c{i}",
                interaction_type="click",
                context={"i": i},
                occurred_at=ts,
                created_at=ts,
            )
        )
    session.flush()


def ids(session, tid):
    session.commit()
    return sorted(session.scalars(select(InteractionHistory.id).where(InteractionHistory.tenant_id == tid)))


def root(settings) -> Path:
    return Path(settings.export_storage_url)


def read_back(settings, tid):
    """All exported rows of a tenant through DuckDB, Hive partitions typed as integers."""
    pattern = str(root(settings) / "exports" / tid / "interaction_history" / "*" / "*" / "*" / "*.json")
    con = duckdb.connect()
    try:
        return con.execute(
            f"SELECT id, tenantId, year, month, day FROM read_json_auto('{pattern}', hive_partitioning=true, "
            "hive_types={'year': INTEGER, 'month': INTEGER, 'day': INTEGER}) ORDER BY id"
        ).fetchall()
    finally:
        con.close()


def test_first_run_exact_shape_files_and_duckdb(session, settings, now):
    seed(session, now)
    body = ex.run(session, settings, now).model_dump(mode="json", by_alias=True)
    first_t1 = session.scalar(
        select(InteractionHistory)
        .where(InteractionHistory.tenant_id == "t1")
        .order_by(InteractionHistory.created_at, InteractionHistory.id)
        .limit(1)
    )
    first_t2 = session.scalar(
        select(InteractionHistory)
        .where(InteractionHistory.tenant_id == "t2")
        .order_by(InteractionHistory.created_at, InteractionHistory.id)
        .limit(1)
    )
    assert body == {
        "ok": True,
        "totalExported": 30,
        "tenants": [
            {
                "tenantId": "t1",
                "tenantName": "Acme Corp",
                "exported": 25,
                "filePath": f"exports/t1/interaction_history/year=2026/month=06/day=13/"
                f"batch-2026-06-13T12-00-00-000Z-{first_t1.id}.json",
            },
            {
                "tenantId": "t2",
                "tenantName": "Beta Inc",
                "exported": 5,
                "filePath": f"exports/t2/interaction_history/year=2026/month=06/day=14/"
                f"batch-2026-06-14T12-00-00-000Z-{first_t2.id}.json",
            },
        ],
    }
    lines = (root(settings) / body["tenants"][0]["filePath"]).read_bytes().splitlines()
    rec = json.loads(lines[0])
    assert len(lines) == 25 and rec["tenantId"] == "t1" and rec["createdAt"] == "2026-06-13T12:00:00Z"
    assert set(rec) == {
        "id",
        "tenantId",
        "customerId",
        "offerId",
        "creativeId",
        "channelId",
        "interactionType",
        "outcomeTypeKey",
        "direction",
        "conversionValue",
        "context",
        "occurredAt",
        "createdAt",
    }
    rows = read_back(settings, "t1")
    assert [r[0] for r in rows] == ids(session, "t1")
    assert {r[2:] for r in rows} == {(2026, 6, 13)}
    cp = session.get(ExportCheckpoint, "t1")
    assert (cp.status, cp.pending_object, cp.total_exported, cp.last_id) == (
        "ok",
        None,
        25,
        ids(session, "t1")[-1],
    )
    assert session.get(ExportCheckpoint, "t3") is None  # inactive tenants are not exported


def test_second_run_exports_nothing(session, settings, now):
    seed(session, now)
    ex.run(session, settings, now)
    body = ex.run(session, settings, now + timedelta(hours=1)).model_dump(mode="json", by_alias=True)
    assert body == {
        "ok": True,
        "totalExported": 0,
        "tenants": [
            {"tenantId": "t1", "tenantName": "Acme Corp", "exported": 0, "filePath": None},
            {"tenantId": "t2", "tenantName": "Beta Inc", "exported": 0, "filePath": None},
        ],
    }


def test_keyset_edges_with_shared_timestamps(session, settings, now, monkeypatch):
    """Batches of 10 over groups of 4 rows sharing a timestamp: every row exactly once."""
    monkeypatch.setattr(ex, "BATCH_SIZE", 10)
    seed(session, now)
    per_run = []
    for i in range(6):
        body = ex.run(session, settings, now + timedelta(minutes=i))
        per_run.append(body.tenants[0].exported)
    assert per_run == [10, 10, 5, 0, 0, 0]
    rows = read_back(settings, "t1")
    assert [r[0] for r in rows] == ids(session, "t1")  # no loss, no duplicate
    assert len(list((root(settings) / "exports" / "t1").rglob("*.json"))) == 3


def test_max_batches_per_run_catches_up_in_one_call(session, settings, now, monkeypatch):
    monkeypatch.setattr(ex, "BATCH_SIZE", 10)
    seed(session, now)
    busy = settings.model_copy(update={"export_max_batches_per_run": 5})
    body = ex.run(session, busy, now)
    assert [(t.tenant_id, t.exported) for t in body.tenants] == [("t1", 25), ("t2", 5)]
    assert [r[0] for r in read_back(settings, "t1")] == ids(session, "t1")


class Crash(BaseException):
    """The process dying (not an Exception, so nothing in the job can swallow it)."""


def test_crash_after_write_before_checkpoint_does_not_duplicate(session, settings, now, monkeypatch):
    monkeypatch.setattr(ex, "BATCH_SIZE", 10)
    seed(session, now)
    real_store = storage.export_store(settings)

    class CrashAfterPut:
        url = real_store.url

        def put(self, key, data):
            real_store.put(key, data)
            raise Crash()

    monkeypatch.setattr(ex, "export_store", lambda s: CrashAfterPut())
    with pytest.raises(Crash):
        ex.run(session, settings, now)
    session.rollback()
    cp = session.get(ExportCheckpoint, "t1")
    session.refresh(cp)
    assert cp.pending_object is not None and cp.last_id == 0
    written = cp.pending_object
    # rows arriving meanwhile do not change what the re-run of the pending batch covers
    add_rows(session, "t1", now - timedelta(days=2), 3)
    session.commit()
    monkeypatch.setattr(ex, "export_store", storage.export_store)
    body = ex.run(session, settings, now)
    assert body.tenants[0].exported == 10 and body.tenants[0].file_path == written
    for _ in range(3):
        ex.run(session, settings, now)
    rows = read_back(settings, "t1")
    assert [r[0] for r in rows] == ids(session, "t1")  # 28 rows, each exactly once
    assert len(rows) == 28


@sqlite_only
def test_crash_mid_write_leaves_no_visible_partial_file(session, settings, now, monkeypatch):
    seed(session, now)

    def crash(*_a, **_k):
        raise Crash()

    monkeypatch.setattr(storage.os, "replace", crash)
    with pytest.raises(Crash):
        ex.run(session, settings, now)
    session.rollback()
    assert list(root(settings).rglob("*.json")) == []
    monkeypatch.undo()
    body = ex.run(session, settings, now)
    assert body.total_exported == 30
    assert [r[0] for r in read_back(settings, "t1")] == ids(session, "t1")
    assert [p.name for p in root(settings).rglob("*") if p.is_file() and p.name.startswith(".")] == []


def test_one_failing_tenant_is_marked_failed_and_retried(session, settings, now):
    seed(session, now)
    # a plain file where t2's directory must go: a real write failure for t2 only
    blocker = root(settings) / "exports" / "t2"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a directory")
    body = ex.run(session, settings, now).model_dump(mode="json", by_alias=True)
    t1, t2 = body["tenants"]
    assert body["ok"] is False and body["totalExported"] == 25
    assert t1 == {"tenantId": "t1", "tenantName": "Acme Corp", "exported": 25, "filePath": t1["filePath"]}
    assert set(t2) == {"tenantId", "tenantName", "exported", "filePath", "error"}
    assert (t2["exported"], t2["filePath"]) == (0, None) and t2["error"]
    cp = session.get(ExportCheckpoint, "t2")
    session.refresh(cp)
    assert cp.status == "failed" and cp.last_error and cp.last_id == 0
    blocker.unlink()
    retry = ex.run(session, settings, now).model_dump(mode="json", by_alias=True)
    assert retry["ok"] is True and [t["exported"] for t in retry["tenants"]] == [0, 5]
    session.refresh(cp)
    assert cp.status == "ok" and cp.last_error is None and cp.pending_object is None


@sqlite_only
def test_export_to_s3_read_back_with_fsspec(session, settings, now, s3_bucket):  # noqa: F811
    seed(session, now)
    s3 = settings.model_copy(update={"export_storage_url": f"{s3_bucket}/lake"})
    body = ex.run(session, s3, now)
    assert body.total_exported == 30
    bucket = s3_bucket.removeprefix("s3://")
    keys = s3_keys(s3_bucket)
    assert keys == sorted(f"{bucket}/lake/{t.file_path}".split("/", 1)[1] for t in body.tenants)
    fs = fsspec.filesystem("s3")
    got = []
    for t in body.tenants:
        with fs.open(f"{bucket}/lake/{t.file_path}", "rb") as fh:
            got.extend(json.loads(line)["id"] for line in fh.read().splitlines())
    assert sorted(got) == sorted(ids(session, "t1") + ids(session, "t2"))
    assert ex.run(session, s3, now).total_exported == 0


def test_object_name_is_deterministic_and_seed_formatted():
    ts = datetime(2026, 3, 30, 2, 0, 0, 123456, tzinfo=UTC)
    assert ex.format_ts(ts) == "2026-03-30T02-00-00-123Z"
    assert ex.object_name("tenant_001", ts, 42) == (
        "exports/tenant_001/interaction_history/year=2026/month=03/day=30/batch-2026-03-30T02-00-00-123Z-42.json"
    )


@sqlite_only
def test_http_route(session, settings, now):
    from fastapi.testclient import TestClient

    from service.app import create_app

    seed(session, now)
    client = TestClient(create_app(settings, clock=lambda: now))
    auth = {"Authorization": f"Bearer {settings.cron_secret.get_secret_value()}"}
    resp = client.post("/api/v1/cron/export-interactions", headers=auth)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["ok"], body["totalExported"]) == (True, 30)
    assert [set(t) for t in body["tenants"]] == [{"tenantId", "tenantName", "exported", "filePath"}] * 2
    assert all((root(settings) / t["filePath"]).is_file() for t in body["tenants"])
    assert client.post("/api/v1/cron/export-interactions", headers=auth).json()["totalExported"] == 0


_examples = iter(range(1, 10_000))


@hsettings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(offsets=st.lists(st.integers(0, 4), min_size=1, max_size=20), batch=st.integers(2, 7))
def test_every_row_exported_exactly_once_whatever_the_batch_edges(
    session, settings, now, monkeypatch, offsets, batch
):
    """Many rows share each timestamp; whatever the batch size, each row lands in exactly one file."""
    monkeypatch.setattr(ex, "BATCH_SIZE", batch)
    tid = f"p{next(_examples)}"
    session.add(Tenant(id=tid, name=tid))
    session.flush()
    base = now - timedelta(days=1)
    for i, off in enumerate(offsets):
        ts = base + timedelta(milliseconds=off)
        session.add(
            InteractionHistory(
                tenant_id=tid, customer_id=f"c{i}", interaction_type="click", occurred_at=ts, created_at=ts
            )
        )
    session.commit()
    for _ in range(len(offsets) // batch + 2):
        ex.run(session, settings, now)
    assert [r[0] for r in read_back(settings, tid)] == ids(session, tid)


def test_a_later_batch_failing_keeps_the_earlier_ones_and_resumes_exactly(
    session, settings, now, monkeypatch
):
    """Batch k is written while k+1 is read: a failed write of batch 2 leaves batch 1 exported and
    its checkpoint advanced, batch 2 pending; the retry completes every row exactly once."""
    monkeypatch.setattr(ex, "BATCH_SIZE", 10)
    seed(session, now)
    real_store = storage.export_store(settings)
    calls: list[str] = []

    class FailSecondPut:
        url = real_store.url

        def put(self, key, data):
            calls.append(key)
            if len(calls) == 2:
                raise OSError("disk full")
            real_store.put(key, data)

    monkeypatch.setattr(ex, "export_store", lambda s: FailSecondPut())
    busy = settings.model_copy(update={"export_max_batches_per_run": 5})
    body = ex.run(session, busy, now)
    t1 = body.tenants[0]
    assert (t1.exported, t1.file_path) == (10, calls[0]) and "disk full" in t1.error and body.ok is False
    cp = session.get(ExportCheckpoint, "t1")
    session.refresh(cp)
    assert (cp.status, cp.last_id, cp.pending_object) == ("failed", ids(session, "t1")[9], calls[1])
    monkeypatch.setattr(ex, "export_store", storage.export_store)
    retry = ex.run(session, busy, now)
    assert [(t.tenant_id, t.exported, t.error) for t in retry.tenants] == [("t1", 15, None), ("t2", 0, None)]
    assert retry.tenants[0].file_path != calls[1]  # the pending batch was rewritten first, then the rest
    assert [r[0] for r in read_back(settings, "t1")] == ids(session, "t1")


# --------------------------------------------------------------------------------------------------
# Record encoding: PostgreSQL builds the lines server-side, SQLite goes through orjson; same records
# --------------------------------------------------------------------------------------------------
_TRICKY = [
    "plain",
    'quote " and back\\slash',
    "new\nline\ttab\r",
    "ctl \x01\x1f\x7f",
    "é ü 中文 😀",
    "u2028 \u2028",
    "",
    '{"not": "json"}',
    "\\u0041",
]
_FLOATS = [None, 12.0, 12.5, 0.1 + 0.2, -0.0, 1e15, 1e16, 123456789012345.0, 1.5e-5, -250.75, float("inf")]
_CONTEXTS = [
    {},
    {"campaign": "c-1", "placement": "hero"},
    {"n": 1, "x": 1.5, "y": 2.0, "ok": True, "none": None},
    {"nested": {"list": [1, "two", 3.25, None, {"k": 'v\n"q"'}]}, "é": "ü"},
]
_TIMES = [
    datetime(2026, 6, 13, 12, 0, 0, tzinfo=UTC),
    datetime(2026, 6, 13, 12, 0, 0, 120000, tzinfo=UTC),
    datetime(2026, 6, 13, 12, 0, 1, 1, tzinfo=UTC),
    datetime(2026, 6, 13, 23, 59, 59, 999999, tzinfo=UTC),
]


def _tricky_rows(n=40):
    """The same rows for every database: strings that need escaping, float edge cases, nested context."""
    rows = []
    for i in range(n):
        created = _TIMES[i % len(_TIMES)] - timedelta(days=i // 7)
        rows.append(
            dict(
                tenant_id="t1",
                customer_id=_TRICKY[i % len(_TRICKY)],
                offer_id=None if i % 3 == 0 else f"offer-{i}",
                creative_id=_TRICKY[(i + 3) % len(_TRICKY)],
                channel_id=None,
                interaction_type="convert",
                outcome_type_key=None if i % 2 else "convert",
                direction="outbound",
                conversion_value=_FLOATS[i % len(_FLOATS)],
                context=_CONTEXTS[i % len(_CONTEXTS)],
                occurred_at=datetime(1969, 7, 20, 20, 17, 40, tzinfo=UTC)
                if i == 5
                else created - timedelta(seconds=i),
                created_at=created,
            )
        )
    return rows


def _typed(value):
    """A value with every JSON type made explicit (``12 == 12.0`` in Python, not in a file)."""
    if isinstance(value, dict):
        return ("object", [(k, _typed(v)) for k, v in sorted(value.items())])
    if isinstance(value, list):
        return ("array", [_typed(v) for v in value])
    return (type(value).__name__, value)


def _export_lines(url, settings, now, rows):
    from service.db import make_engine, make_sessionmaker
    from service.models import Base

    engine = make_engine(url)
    try:
        Base.metadata.create_all(engine)
        with make_sessionmaker(engine)() as s:
            s.add(Tenant(id="t1", name="Acme Corp"))
            s.flush()
            s.add_all(InteractionHistory(**row) for row in rows)
            s.commit()
            body = ex.run(s, settings, now)
            assert body.total_exported == len(rows)
            out = []
            for path in sorted(root(settings).rglob("*.json")):
                out += path.read_bytes().splitlines()
            return sorted(out, key=lambda line: json.loads(line)["id"])
    finally:
        engine.dispose()


def test_postgresql_server_built_records_equal_the_sqlite_path(sqlite_url, pg_url, tmp_path, now):
    """Same rows on both databases: every record has the same keys, in the same order, with the same
    JSON types and values (timestamps as the same strings) — only whitespace inside context may differ."""
    from service.config import Settings

    def cfg(url, name):
        return Settings(
            database_url=url,
            export_storage_url=str(tmp_path / name),
            _env_file=None,
            export_max_batches_per_run=10,
        )

    rows = _tricky_rows()
    lite = _export_lines(sqlite_url, cfg(sqlite_url, "lite"), now, rows)
    pg = _export_lines(pg_url, cfg(pg_url, "pg"), now, rows)
    assert len(lite) == len(pg) == len(rows)
    for a, b in zip(lite, pg, strict=True):
        ra, rb = json.loads(a), json.loads(b)
        assert list(ra) == list(rb) == list(eb.NAMES)
        assert _typed(ra) == _typed(rb), (a, b)
        assert b.endswith(b"}") and b"\n" not in b
    first = json.loads(pg[0])
    assert (first["createdAt"], first["occurredAt"]) == ("2026-06-13T12:00:00Z", "2026-06-13T12:00:00Z")
    stamps = {json.loads(line)["createdAt"] for line in pg}
    assert {
        "2026-06-13T12:00:00.120000Z",
        "2026-06-13T12:00:01.000001Z",
        "2026-06-13T23:59:59.999999Z",
    } <= stamps
    assert json.loads(pg[5])["occurredAt"] == "1969-07-20T20:17:40Z"
    assert {type(json.loads(line)["conversionValue"]) for line in pg} == {float, type(None)}


_line_examples = iter(range(1, 10_000))


@hsettings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    texts=st.lists(
        st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12),
        min_size=1,
        max_size=6,
    ),
    value=st.none()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.integers(-(10**6), 10**6).map(float),
    micro=st.integers(0, 999_999),
)
def test_fast_path_line_equals_orjson_of_the_orm_row(session, now, texts, value, micro):
    """On one database: the line the database builds (PostgreSQL: all of it; SQLite: all but the float)
    parses to exactly what encode_rows (orjson over the ORM row) writes, for any text, float and
    microsecond — and the fast path is the one taken."""
    tid = f"h{next(_line_examples)}"
    session.add(Tenant(id=tid, name=tid))
    session.flush()
    ts = datetime(2026, 6, 1, 8, 30, 0, micro, tzinfo=UTC)
    for i, t in enumerate(texts):
        session.add(
            InteractionHistory(
                tenant_id=tid,
                customer_id=t,
                offer_id=t or None,
                interaction_type="click",
                conversion_value=value,
                context={"t": t, "i": i},
                occurred_at=ts,
                created_at=ts + timedelta(microseconds=i),
            )
        )
    session.commit()
    window = eb.Window(tid, (ex.EPOCH, 0), now, None, ex.BATCH_SIZE)
    fast = (eb.read_batch_pg if session.get_bind().dialect.name == "postgresql" else eb.read_batch_sqlite)(
        session, window
    )
    reference = eb.read_batch_orm(session, window)
    session.commit()
    assert fast is not None and fast.rows == reference.rows == len(texts) and fast.data.endswith(b"\n")
    got, expected = fast.data.splitlines(), reference.data.splitlines()
    assert [_typed(json.loads(line)) for line in got] == [_typed(json.loads(line)) for line in expected]
    assert [list(json.loads(line)) for line in got] == [list(eb.NAMES)] * len(texts)
    assert (fast.first, fast.last) == (reference.first, reference.last)


@sqlite_only
def test_sqlite_rows_outside_the_fast_path_go_through_orjson(session, settings, now):
    """A context json.dumps wrote with NaN (not strict JSON) and a timestamp stored without a fraction
    are not built by SQLite: their batch is encoded by the reference path, still valid NDJSON."""
    from sqlalchemy import text

    seed(session, now, t1_rows=3, t2_rows=2)
    first_t1, first_t2 = ids(session, "t1")[0], ids(session, "t2")[0]
    session.execute(
        text("UPDATE interaction_history SET context = '{\"x\": NaN}' WHERE id = :i"), {"i": first_t1}
    )
    session.execute(
        text(
            "UPDATE interaction_history SET created_at = '2026-06-14 11:00:00', "
            "occurred_at = '2026-06-14 11:00:00' WHERE id = :i"
        ),
        {"i": first_t2},
    )
    session.commit()
    settled = now - timedelta(seconds=ex.SETTLE_SECONDS)
    for tenant in ("t1", "t2"):
        assert (
            eb.read_batch_sqlite(session, eb.Window(tenant, (ex.EPOCH, 0), settled, None, ex.BATCH_SIZE))
            is None
        )
    session.commit()
    body = ex.run(session, settings, now)
    assert [(t.tenant_id, t.exported) for t in body.tenants] == [("t1", 3), ("t2", 2)]
    recs = {}
    for t in body.tenants:
        for line in (root(settings) / t.file_path).read_bytes().splitlines():
            recs[json.loads(line)["id"]] = json.loads(line)
    assert recs[first_t1]["context"] == {"x": None}
    assert (recs[first_t2]["createdAt"], recs[first_t2]["occurredAt"]) == ("2026-06-14T11:00:00Z",) * 2
    assert ex.run(session, settings, now + timedelta(hours=1)).total_exported == 0
