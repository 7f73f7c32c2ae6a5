"""dsar-purge over K connections on real PostgreSQL: exact counts, legal hold, K=1 == K=4, stop flag."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, insert, select, text

from service.jobs import _dsar_parallel, dsar_purge
from service.models import DATA_CLASS_DECISION_TRACES as DT
from service.models import DATA_CLASS_INTERACTIONS as IH
from service.models import DecisionTrace, InteractionHistory, RetentionConfig, Tenant

pg_only = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
TABLES = ((DecisionTrace, "decision_traces", DT), (InteractionHistory, "interaction_history", IH))

# one tenant's plan: per class (retention days, legal hold), and its row ages in days
_class = st.tuples(st.sampled_from([10, 30, 90, 365]), st.booleans())
_tenant = st.fixed_dictionaries({DT: _class, IH: _class})
_plan = st.lists(_tenant, min_size=1, max_size=5)


def _seed(session, now, plan, seed, per_tenant=120):
    """Tenants per ``plan``, rows of every tenant interleaved in the heap (as production fills it)."""
    rng = random.Random(seed)
    for i, configs in enumerate(plan):
        session.add(Tenant(id=f"t-{i}", name=f"T{i}", active=True))
        session.flush()
        for cls, (days, hold) in configs.items():
            session.add(
                RetentionConfig(tenant_id=f"t-{i}", data_class=cls, retention_days=days, legal_hold=hold)
            )
    dts, ihs = [], []
    for _ in range(per_tenant):
        for i in range(len(plan)):
            created = now - timedelta(days=rng.choice([1, 15, 45, 100, 400]), minutes=1)
            dts.append({"tenant_id": f"t-{i}", "customer_id": "c" * 60, "created_at": created})
            ihs.append(
                {
                    "tenant_id": f"t-{i}",
                    "customer_id": "c" * 60,
                    "interaction_type": "click",
                    "occurred_at": created,
                    "created_at": created,
                }
            )
    session.execute(insert(DecisionTrace), dts)
    session.execute(insert(InteractionHistory), ihs)
    session.commit()


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


def _run(session, settings, now, k):
    # batch 2 -> one heap page per slice: dozens of slices even for these small tables
    s = settings.model_copy(update={"delete_batch_size": 2, "dsar_purge_connections": k})
    res = dsar_purge.run(session, s, now)
    assert res.ok
    return {(t.tenant_id, f): getattr(t, f) for t in res.per_tenant for _, f, _ in TABLES}


@pg_only
@hsettings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=_plan, seed=st.integers(0, 2**16))
def test_k_connections_exact_counts_hold_and_same_result_as_one(session, settings, now, plan, seed):
    outcomes = []
    for k in (1, 4):
        _reset(session)
        _seed(session, now, plan, seed)
        before, expected = _left(session), _reference(session, now, plan)
        got = _run(session, settings, now, k)
        assert got == expected, k  # exact per tenant and table, held tables 0
        after = _left(session)
        for tid, field in before:
            assert before[(tid, field)] - after.get((tid, field), 0) == got.get((tid, field), 0), (
                k,
                tid,
                field,
            )
        outcomes.append((got, after))
    assert outcomes[0] == outcomes[1]


@pg_only
def test_parallel_pass_uses_k_connections_and_stops_at_a_slice_boundary(session, settings, now, monkeypatch):
    plan = [{DT: (30, False), IH: (30, False)}, {DT: (30, True), IH: (10, False)}]
    _seed(session, now, plan, 7, per_tenant=1000)
    before = _left(session)
    seen: set[int] = set()
    real = _dsar_parallel.run_parallel

    def spy(engine, slices, k, on_rows, between):
        assert k == 3

        def between_spy():
            between()
            seen.add(len(seen))

        return real(engine, slices, k, on_rows, between_spy)

    monkeypatch.setattr(dsar_purge, "run_parallel", spy)
    calls = {"n": 0}

    def stop_after_some():  # the stop flag rises after 5 slice boundaries
        calls["n"] += 1
        return calls["n"] > 5

    monkeypatch.setattr(dsar_purge, "should_stop", stop_after_some)
    s = settings.model_copy(update={"delete_batch_size": 2, "dsar_purge_connections": 3})
    res = dsar_purge.run(session, s, now)
    after = _left(session)
    got = {(t.tenant_id, f): getattr(t, f) for t in res.per_tenant for _, f, _ in TABLES}
    # what was reported is exactly what left the tables; the held table is untouched; work remains
    for key, n in before.items():
        assert n - after.get(key, 0) == got.get(key, 0), key
    assert after[("t-1", "decision_traces")] == before[("t-1", "decision_traces")]
    assert 0 < sum(got.values()) < sum(_reference(session, now, plan).values())
    assert len(seen) == 5


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
