"""dsar-purge on real PostgreSQL: time windows and heap slices over K connections — exact counts (also
with a concurrent writer), legal hold, K=1 == K=4, the layout check, dense instants, the stop flag."""

from __future__ import annotations

import logging
import random
import threading
from collections import deque
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import event, func, insert, select, text

from service.jobs import _dsar_parallel, _dsar_result, _dsar_rows, _dsar_windows, dsar_purge
from service.models import DATA_CLASS_DECISION_TRACES as DT
from service.models import DATA_CLASS_INTERACTIONS as IH
from service.models import DecisionTrace, InteractionHistory, RetentionConfig, Tenant
from tests.service.jobs.test_dsar_purge import _refuse_deletes

pg_only = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
TABLES = ((DecisionTrace, "decision_traces", DT), (InteractionHistory, "interaction_history", IH))

# one tenant's plan: per class (retention days, legal hold), and its row ages in days
_class = st.tuples(st.sampled_from([10, 30, 90, 365]), st.booleans())
_tenant = st.fixed_dictionaries({DT: _class, IH: _class})
_plan = st.lists(_tenant, min_size=1, max_size=5)


def _layout(monkeypatch, layout):
    """``windows``: never judged scattered; ``slices``: judged scattered before the first window."""
    if layout == "windows":
        monkeypatch.setattr(_dsar_windows, "MIN_ROWS_PER_PAGE", 0.0)
        monkeypatch.setattr(_dsar_windows, "windows", _REAL_WINDOWS)
    else:

        def scattered(session, table, targets, batch, sizes):
            raise _dsar_windows.UseSlices(f"{table}: forced")

        monkeypatch.setattr(_dsar_windows, "windows", scattered)


_REAL_WINDOWS = _dsar_windows.windows


def _seed(session, now, plan, seed, per_tenant=120, jitter=True, ordered=False):
    """Tenants per ``plan``; rows of every tenant interleaved in the heap (as production fills it), at
    a few ages — each age one instant (``jitter=False``) or spread over an hour — in random time order,
    or oldest first (``ordered``, a table filled as time passes)."""
    rng = random.Random(seed)
    for i, configs in enumerate(plan):
        session.add(Tenant(id=f"t-{i}", name=f"T{i}", active=True))
        session.flush()
        for cls, (days, hold) in configs.items():
            session.add(
                RetentionConfig(tenant_id=f"t-{i}", data_class=cls, retention_days=days, legal_hold=hold)
            )
    stamps = []
    for _ in range(per_tenant):
        for i in range(len(plan)):
            age = timedelta(days=rng.choice([1, 15, 45, 100, 400]), minutes=1)
            stamps.append((f"t-{i}", now - age - timedelta(seconds=rng.randrange(3600) if jitter else 0)))
    if ordered:
        stamps.sort(key=lambda s: s[1])
    _insert(session, stamps)
    session.commit()


def _insert(session, stamps):
    session.execute(
        insert(DecisionTrace), [{"tenant_id": t, "customer_id": "c" * 60, "created_at": c} for t, c in stamps]
    )
    session.execute(
        insert(InteractionHistory),
        [
            {
                "tenant_id": t,
                "customer_id": "c" * 60,
                "interaction_type": "click",
                "occurred_at": c,
                "created_at": c,
            }
            for t, c in stamps
        ],
    )


def _reference(session, now, plan):
    """Expected per-tenant deletions, straight from the rules: strictest unheld retention, held absent."""
    out = {}
    for i, configs in enumerate(plan):
        unheld = [days for days, hold in configs.values() if not hold]
        if not unheld:
            continue
        cutoff = now - timedelta(days=min(unheld))
        for model, field, cls in TABLES:
            n = (
                0
                if configs[cls][1]
                else session.scalar(
                    select(func.count())
                    .select_from(model)
                    .where(model.tenant_id == f"t-{i}", model.created_at < cutoff)
                )
            )
            out[(f"t-{i}", field)] = n
    session.commit()
    return out


def _left(session):
    rows = {}
    for model, field, _ in TABLES:
        for tid, n in session.execute(select(model.tenant_id, func.count()).group_by(model.tenant_id)):
            rows[(tid, field)] = n
    session.commit()
    return rows


def _reset(session):
    session.execute(
        text("TRUNCATE decision_traces, interaction_history, retention_configs, audit_log, tenants CASCADE")
    )
    session.commit()


def _counts(res):
    return {(t.tenant_id, f): getattr(t, f) for t in res.per_tenant for _, f, _ in TABLES}


def _run(session, settings, now, k, batch=2):
    # batch 2 -> windows of ~8 rows (cap 16), slices of one heap page: dozens of each for small tables
    s = settings.model_copy(update={"delete_batch_size": batch, "dsar_purge_connections": k})
    res = dsar_purge.run(session, s, now)
    assert res.ok
    return _counts(res)


@pg_only
@hsettings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=_plan, seed=st.integers(0, 2**16), jitter=st.booleans())
def test_windows_and_slices_exact_counts_hold_and_same_result_for_any_k(
    session, settings, now, monkeypatch, plan, seed, jitter
):
    outcomes = []
    for layout in ("windows", "slices"):
        _layout(monkeypatch, layout)
        for k in (1, 4):
            _reset(session)
            _seed(session, now, plan, seed, jitter=jitter)
            before, expected = _left(session), _reference(session, now, plan)
            got = _run(session, settings, now, k)
            assert got == expected, (layout, k)  # exact per tenant and table, held tables 0
            after = _left(session)
            for tid, field in before:
                assert before[(tid, field)] - after.get((tid, field), 0) == got.get((tid, field), 0), (
                    layout,
                    k,
                    tid,
                    field,
                )
            outcomes.append((got, after))
    assert all(o == outcomes[0] for o in outcomes)


@pg_only
def test_counts_exact_while_another_writer_deletes_and_inserts_expired_rows(session, settings, now, engine):
    """A concurrent writer deletes expired rows (one by one) and inserts back-dated ones while the
    windows run on 2 connections: each tenant's reported count is exactly what the purge removed,
    ``before + inserted - after - deleted by the writer``."""
    plan = [{DT: (30, False), IH: (30, False)} for _ in range(4)]
    _seed(session, now, plan, 11, per_tenant=1500, ordered=True)
    before = _left(session)
    expired = {
        field: [
            (i, t)
            for i, t in session.execute(
                select(model.id, model.tenant_id).where(model.created_at < now - timedelta(days=30))
            )
        ]
        for model, field, _ in TABLES
    }
    session.commit()
    inserted = {key: 0 for key in before}
    removed = {key: 0 for key in before}
    stop = threading.Event()

    def writer():
        rng = random.Random(5)
        with engine.connect() as conn:
            while not stop.is_set():
                ((model, field, _),) = rng.sample(TABLES, 1)
                row_id, tid = rng.choice(expired[field])
                n = conn.execute(
                    text(f"DELETE FROM {model.__tablename__} WHERE id = :i"), {"i": row_id}
                ).rowcount
                conn.commit()
                removed[(tid, field)] += n
                tid = f"t-{rng.randrange(4)}"
                conn.execute(
                    insert(model),
                    [
                        {
                            "tenant_id": tid,
                            "customer_id": "w",
                            "interaction_type": "click",
                            "occurred_at": now - timedelta(days=rng.randrange(31, 400)),
                            "created_at": now - timedelta(days=rng.randrange(31, 400)),
                        }
                        if model is InteractionHistory
                        else {
                            "tenant_id": tid,
                            "customer_id": "w",
                            "created_at": now - timedelta(days=rng.randrange(31, 400)),
                        }
                    ],
                )
                conn.commit()
                inserted[(tid, field)] += 1

    th = threading.Thread(target=writer)
    th.start()
    try:
        got = _run(session, settings, now, 2, batch=50)
    finally:
        stop.set()
        th.join()
    after = _left(session)
    assert sum(removed.values()) > 0 and sum(inserted.values()) > 0
    for key in before:
        assert got[key] == before[key] + inserted[key] - after.get(key, 0) - removed[key], key


@pg_only
def test_a_row_changed_under_a_window_retries_it_and_counts_stay_exact(
    session, settings, now, engine, caplog
):
    """The window's snapshot is taken, another transaction deletes one of its rows and commits while the
    window's DELETE waits for that row: the window fails with a serialization error, runs again on a new
    snapshot, and counts exactly the rows it deleted."""
    plan = [{DT: (30, False), IH: (30, False)}, {DT: (30, False), IH: (30, False)}]
    _seed(session, now, plan, 9, per_tenant=30, ordered=True)
    lo, hi = now - timedelta(days=500), now - timedelta(days=30)
    window = _dsar_windows.Window(["t-0", "t-1"], lo, hi)
    in_window = dict(
        session.execute(
            select(DecisionTrace.tenant_id, func.count())
            .where(DecisionTrace.created_at >= lo, DecisionTrace.created_at < hi)
            .group_by(DecisionTrace.tenant_id)
        ).all()
    )
    victim = session.scalar(
        select(func.max(DecisionTrace.id)).where(
            DecisionTrace.tenant_id == "t-1", DecisionTrace.created_at < hi
        )
    )
    session.commit()
    other = engine.connect()
    other.execute(
        text("DELETE FROM decision_traces WHERE id = :i"), {"i": victim}
    )  # row locked, not committed
    worker = engine.connect().execution_options(isolation_level="REPEATABLE READ")
    out: list = []
    th = threading.Thread(
        target=lambda: out.append(_dsar_windows._delete("decision_traces", window, 50, deque(), worker))
    )
    with caplog.at_level(logging.INFO, logger="service.jobs.dsar_purge"):
        th.start()
        for _ in range(500):  # until the window's DELETE waits for the locked row
            waiting = session.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            ).scalar_one()
            session.commit()
            if waiting:
                break
            threading.Event().wait(0.01)
        assert waiting
        other.commit()
        th.join(10)
    other.close()
    worker.close()
    assert dict(out[0]) == {"t-0": in_window["t-0"], "t-1": in_window["t-1"] - 1}
    assert any("window retried after a concurrent change" in r.getMessage() for r in caplog.records)
    left = session.scalar(
        select(func.count()).select_from(DecisionTrace).where(DecisionTrace.created_at < hi)
    )
    assert left == 0


@pg_only
def test_rows_in_random_time_order_take_the_physical_slices(session, settings, now, caplog, monkeypatch):
    plan = [{DT: (30, False), IH: (30, True)}, {DT: (30, False), IH: (30, False)}]
    _seed(session, now, plan, 3, per_tenant=3000)  # random time order, ~100 heap pages per table
    monkeypatch.setattr(_dsar_windows, "JUDGE_ROWS", 200)  # windows of <= 80 rows: about 1 per page
    expected = _reference(session, now, plan)
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    eng = session.get_bind()
    event.listen(eng, "before_cursor_execute", seen)
    try:
        with caplog.at_level(logging.INFO, logger="service.jobs.dsar_purge"):
            got = _run(session, settings, now, 2, batch=10)
    finally:
        event.remove(eng, "before_cursor_execute", seen)
    assert got == expected
    assert any("physical slices instead" in r.getMessage() for r in caplog.records)
    assert any(s.startswith("WITH gone AS (DELETE FROM decision_traces") for s in statements)


@pg_only
def test_more_tenants_than_windows_suit_take_the_physical_slices(session, settings, now, caplog, monkeypatch):
    monkeypatch.setattr(_dsar_windows, "MAX_TENANTS", 2)
    plan = [{DT: (30, False), IH: (30, False)} for _ in range(3)]
    _seed(session, now, plan, 8, per_tenant=100, ordered=True)
    expected = _reference(session, now, plan)
    with caplog.at_level(logging.INFO, logger="service.jobs.dsar_purge"):
        got = _run(session, settings, now, 2, batch=10)
    assert got == expected
    messages = [r.getMessage() for r in caplog.records if "physical slices instead" in r.getMessage()]
    assert len(messages) == 2 and all("3 tenants with expired rows, over 2" in m for m in messages)


@pg_only
def test_rows_in_time_order_take_the_windows_and_every_statement_stays_bounded(
    session, settings, now, caplog
):
    """Windows hold at most 8 x DELETE_BATCH_SIZE rows; an instant holding more (a bulk load stamped
    with one ``now()``) goes tenant by tenant in LIMIT-ed batches of DELETE_BATCH_SIZE."""
    plan = [{DT: (30, False), IH: (30, False)} for _ in range(3)]
    _seed(session, now, plan, 4, per_tenant=600, ordered=True)
    bulk = now - timedelta(days=200)
    _insert(session, [(f"t-{i % 3}", bulk) for i in range(900)])  # 900 rows at one instant
    session.commit()
    expected = _reference(session, now, plan)
    deletes: list[tuple[str, int]] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("DELETE"):
            deletes.append((statement, cursor.rowcount))

    eng = session.get_bind()
    event.listen(eng, "after_cursor_execute", seen)
    try:
        with caplog.at_level(logging.INFO, logger="service.jobs.dsar_purge"):
            got = _run(session, settings, now, 3, batch=20)
    finally:
        event.remove(eng, "after_cursor_execute", seen)
    assert got == expected
    assert not any("physical slices" in r.getMessage() for r in caplog.records)
    windows = [n for s, n in deletes if "ctid = ANY" not in s]
    instants = [n for s, n in deletes if "ctid = ANY" in s]
    assert windows and max(windows) <= 8 * 20
    assert instants and max(instants) <= 20 and sum(instants) >= 900 * 2  # both tables' bulk
    assert sum(n for _, n in deletes) == sum(expected.values())


@pg_only
def test_parallel_pass_uses_k_connections_and_stops_at_a_window_boundary(session, settings, now, monkeypatch):
    plan = [{DT: (30, False), IH: (30, False)}, {DT: (30, True), IH: (10, False)}]
    _seed(session, now, plan, 7, per_tenant=1000, ordered=True)
    before = _left(session)
    seen: set[int] = set()
    real = _dsar_parallel.run_parallel

    def spy(engine, items, k, on_rows, between, **kw):
        assert k == 3

        def between_spy():
            between()
            seen.add(len(seen))

        return real(engine, items, k, on_rows, between_spy, **kw)

    monkeypatch.setattr(_dsar_rows, "run_parallel", spy)
    calls = {"n": 0}

    def stop_after_some():  # the stop flag rises after 5 window boundaries
        calls["n"] += 1
        return calls["n"] > 5

    monkeypatch.setattr(_dsar_result, "should_stop", stop_after_some)
    s = settings.model_copy(update={"delete_batch_size": 2, "dsar_purge_connections": 3})
    res = dsar_purge.run(session, s, now)
    after = _left(session)
    got = _counts(res)
    # what was reported is exactly what left the tables; the held table is untouched; work remains
    for key, n in before.items():
        assert n - after.get(key, 0) == got.get(key, 0), key
    assert after[("t-1", "decision_traces")] == before[("t-1", "decision_traces")]
    assert 0 < sum(got.values()) < sum(_reference(session, now, plan).values())
    assert len(seen) == 5


@pg_only
def test_a_failed_table_goes_per_tenant_and_the_other_table_keeps_its_windows(session, settings, now, caplog):
    """One set of K connections runs both tables' windows back to back: a tenant whose decision traces
    the database refuses to delete fails alone, in its own ``errors``; every other count is exact and
    interaction history is purged in windows, not per tenant."""
    plan = [{DT: (30, False), IH: (30, False)} for _ in range(3)]
    _seed(session, now, plan, 21, per_tenant=400, ordered=True)
    expected = _reference(session, now, plan)
    before = _left(session)
    _refuse_deletes(session, "decision_traces", "OLD.tenant_id = 't-1'")
    s = settings.model_copy(update={"delete_batch_size": 20, "dsar_purge_connections": 2})
    with caplog.at_level(logging.INFO, logger="service.jobs.dsar_purge"):
        res = dsar_purge.run(session, s, now)
    got, after = _counts(res), _left(session)
    by = {t.tenant_id: t for t in res.per_tenant}
    assert [t for t in by if by[t].errors] == ["t-1"]
    assert by["t-1"].errors[0].startswith("decisionTraces: ") and "simulated" in by["t-1"].errors[0]
    for key, n in before.items():
        assert n - after.get(key, 0) == got[key], key  # reported == removed, everywhere
    assert {k: v for k, v in got.items() if k != ("t-1", "decision_traces")} == {
        k: v for k, v in expected.items() if k != ("t-1", "decision_traces")
    }
    fallbacks = [r.getMessage() for r in caplog.records if "falling back" in r.getMessage()]
    assert len(fallbacks) == 1 and fallbacks[0].startswith("dsar-purge: decision_traces:")


def test_auto_connections_sized_to_the_server():
    assert _dsar_parallel.auto_connections(100) == 4
    assert _dsar_parallel.auto_connections(1000) == 4
    assert _dsar_parallel.auto_connections(50) == 2
    assert _dsar_parallel.auto_connections(20) == 1


@pg_only
def test_configured_connections_win_and_auto_reads_the_server(session):
    assert _dsar_parallel.connections_for(session, 3) == 3
    max_conn = int(session.execute(text("SHOW max_connections")).scalar_one())
    assert _dsar_parallel.connections_for(session, 0) == _dsar_parallel.auto_connections(max_conn)
