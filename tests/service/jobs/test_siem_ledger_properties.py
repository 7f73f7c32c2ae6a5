"""Property tests of siem-ship's cursor: id-range arithmetic, and whole histories of inserts, rolled-back
inserts, late commits, SIEM outages and runs, which must end with every row delivered exactly once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from service.config import Settings
from service.db import make_engine, make_sessionmaker
from service.jobs import siem_ship
from service.models import Base
from service.models.audit import AuditLog
from service.siem.ledger import _holes, _intervals, _merge
from tests.service.jobs.test_siem_ship import API_KEY, INDEX, FakeClock
from tests.service.siem_receivers import Respond, SplunkHEC

ids = st.sets(st.integers(min_value=1, max_value=200), max_size=60)


def covered(ranges: list[tuple[int, int]]) -> set[int]:
    return {i for lo, hi in ranges for i in range(lo, hi + 1)}


@given(present=ids, lo=st.integers(min_value=0, max_value=100), span=st.integers(min_value=0, max_value=120))
def test_holes_are_exactly_the_missing_ids(present, lo, span):
    hi = lo + span
    inside = {i for i in present if lo < i <= hi}
    holes = _holes(lo, hi, inside)
    assert covered(holes) == set(range(lo + 1, hi + 1)) - inside
    assert all(a <= b for a, b in holes) and all(
        b + 1 < c for (_, b), (c, _) in zip(holes, holes[1:], strict=False)
    )


@given(a=ids, b=ids)
def test_merged_intervals_cover_the_union_minimally(a, b):
    merged = _merge(_intervals(a), _intervals(b))
    assert covered(merged) == a | b
    assert all(prev_hi + 1 < lo for (_, prev_hi), (lo, _) in zip(merged, merged[1:], strict=False))


# one step of a history: rows committed now, a row inserted and rolled back, a row whose transaction
# is still open (committed at a later step), the SIEM going down or up, or a siem-ship run
rows = st.tuples(st.just("rows"), st.integers(min_value=1, max_value=20))
run_ = st.tuples(st.just("run"), st.integers(min_value=0, max_value=600))
step = st.one_of(
    rows,
    run_,
    st.tuples(st.sampled_from(["open", "commit_open", "rollback", "up"]), st.just(0)),
    st.tuples(st.just("down"), st.sampled_from([503, 429])),
)


@pytest.fixture(scope="module")
def hec():
    with SplunkHEC(API_KEY, allowed_indexes=(INDEX,)) as r:
        yield r


@example(
    history=[("open", 0), ("rows", 3), ("run", 0), ("down", 503), ("commit_open", 0), ("run", 0)],
    row_budget=25,
)
@hsettings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(history=st.lists(step, min_size=1, max_size=20), row_budget=st.sampled_from([25, 5000]))
def test_any_history_ends_with_every_row_delivered_once(tmp_path_factory, hec, history, row_budget):
    """SQLite stands in for the database (one writer, so an 'open' transaction is simulated by
    inserting its row with an id reserved below the rows committed meanwhile). SQLite has no
    transaction fence, so the settle delay is set longer than any history: the give-up of ids that
    never appear is tested on its own (test_siem_ship_cursor)."""
    db = tmp_path_factory.mktemp("siemprop") / f"{uuid.uuid4().hex}.db"
    engine = make_engine(f"sqlite:///{db}")
    Base.metadata.create_all(engine)
    factory = make_sessionmaker(engine)
    hec.stored.clear()
    hec.requests.clear()
    hec.default = None
    cfg = Settings(
        database_url=f"sqlite:///{db}",
        siem_backend="splunk",
        siem_endpoint=hec.url,
        siem_api_key=API_KEY,
        siem_index=INDEX,
        siem_retry_budget_seconds=10.0,  # fake time; it also caps the (real) per-attempt timeout
        siem_max_rows_per_run=row_budget,
        siem_settle_seconds=86_400,
        siem_timeout_seconds=30,
        _env_file=None,
    )
    now = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
    t = now
    committed: list[int] = []
    reserved: list[int] = []  # ids of 'open' transactions, committed later
    next_id = 1

    def insert(i: int, at: datetime) -> None:
        with factory() as s:
            s.add(AuditLog(id=i, tenant_id="t", action="update", created_at=at))
            s.commit()

    def run(at: datetime) -> None:
        clock = FakeClock()
        with factory() as s:
            siem_ship.run(s, cfg, at, sleep=clock.sleep, clock=clock, rng=lambda: 0.5)
            s.commit()

    run(t)  # the cursor starts before any row
    try:
        for kind, arg in history:
            t += timedelta(seconds=10)
            if kind == "rows":
                for _ in range(arg):
                    insert(next_id, t)
                    committed.append(next_id)
                    next_id += 1
            elif kind == "rollback":
                next_id += 1  # the id is used and never appears
            elif kind == "open":
                reserved.append(next_id)
                next_id += 1
            elif kind == "commit_open" and reserved:
                i = reserved.pop(0)
                insert(i, now - timedelta(hours=1))  # late, and with an old timestamp
                committed.append(i)
            elif kind == "down":
                hec.default = Respond(arg, {"text": "Server is busy", "code": 9})
            elif kind == "up":
                hec.default = None
            elif kind == "run":
                t += timedelta(seconds=arg)
                run(t)
        hec.default = None
        t += timedelta(seconds=1)
        run(t)  # the cursor passes whatever is still open
        for i in reserved:  # every open transaction commits eventually
            insert(i, t)
            committed.append(i)
        hec.default = None
        for _ in range(len(committed) // row_budget + 3):  # the SIEM is back: runs drain the backlog
            t += timedelta(seconds=300)
            run(t)
        counts = {}
        for e in hec.stored:
            counts[e["event"]["id"]] = counts.get(e["event"]["id"], 0) + 1
        assert sorted(i for i in counts if i in set(committed)) == sorted(committed)  # 0 lost
        assert [i for i, n in counts.items() if n > 1] == []  # 0 duplicates
    finally:
        engine.dispose()
