"""siem-ship's guarantees, measured with a fixed clock against local receivers (issue 14 §1).

Rows arrive one per 10 s (``created_at`` = arrival) and siem-ship runs on a schedule; every test
counts, per audit id, how often the SIEM stored (Splunk, Datadog) or acknowledged (Elasticsearch,
201 or 409) it: 0 lost means every row is there, 0 duplicates means none is there twice.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, select, text

from service.jobs import siem_ship
from service.models import AuditLog, SiemCursor, SiemDeadLetter, SiemPending
from service.siem import elastic
from tests.service.jobs.test_siem_ship import API_KEY, INDEX, RECEIVERS, FakeClock, siem_settings
from tests.service.siem_receivers import ItemStatuses, Reset, Respond, Trickle

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
pg_only = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
DOWN = {
    "splunk": Respond(503, {"text": "Server is busy", "code": 9}),
    "datadog": Respond(503, {"errors": ["Service Unavailable"]}),
    "elastic": Respond(503, {"error": "unavailable", "status": 503}),
}


# the arrival simulations run for every back end on SQLite and for one on PostgreSQL (time budget)
sims = pytest.mark.parametrize(
    ("db_url", "backend"),
    [("sqlite", "splunk"), ("sqlite", "datadog"), ("sqlite", "elastic"), ("postgresql", "splunk")],
    indirect=["db_url"],
)


@pytest.fixture(params=sorted(RECEIVERS))
def backend(request) -> str:
    return request.param


@pytest.fixture
def receiver(backend):
    r = RECEIVERS[backend](API_KEY, allowed_indexes=(INDEX,) if backend == "splunk" else ())
    yield r
    r.close()


class Sim:
    """A fixed clock, an arrival process and siem-ship runs (each in its own session, as the runner does)."""

    def __init__(self, session_factory, settings, backend, receiver, start: datetime, **cfg) -> None:
        self.factory, self.receiver = session_factory, receiver
        self.cfg = siem_settings(settings, backend, receiver.url, budget=cfg.pop("budget", 5.0), **cfg)
        self.t = self.next_arrival = start
        self.ids: list[int] = []
        self.results: list[siem_ship.SiemShipResult] = []

    def add(
        self, n: int = 1, created_at: datetime | None = None, stamps: list[datetime] | None = None, **fields
    ) -> list[int]:
        stamps = stamps or [created_at or self.t] * n
        with self.factory() as s:
            rows = [
                AuditLog(
                    **{
                        "tenant_id": "t1",
                        "action": "update",
                        "entity_type": "offer",
                        "entity_id": f"o{i}",
                        "changes": {"n": i},
                        "user_name": "alice",
                        "created_at": at,
                        **fields,
                    }
                )
                for i, at in enumerate(stamps)
            ]
            s.add_all(rows)
            s.commit()
            new = [r.id for r in rows]
        self.ids += new
        return new

    def arrive_until(self, end: datetime, every_s: float = 10.0) -> None:
        """One row every ``every_s`` seconds of simulated time, up to ``end`` (committed as they arrive
        by the time the next run reads)."""
        stamps = []
        while self.next_arrival + timedelta(seconds=every_s) <= end:
            self.next_arrival += timedelta(seconds=every_s)
            stamps.append(self.next_arrival)
        if stamps:
            self.add(stamps=stamps)
        self.t = end

    def run(self, at: datetime | None = None) -> siem_ship.SiemShipResult:
        clock = FakeClock()
        with self.factory() as s:
            result = siem_ship.run(s, self.cfg, at or self.t, sleep=clock.sleep, clock=clock, rng=lambda: 0.5)
            s.commit()
        assert isinstance(result, siem_ship.SiemShipResult)
        self.results.append(result)
        return result

    def lost(self) -> list[int]:
        got = self.receiver.delivered()
        return [i for i in self.ids if i not in got]

    def duplicated(self) -> list[int]:
        return [i for i, n in self.receiver.delivered().items() if n > 1]


@sims
def test_siem_down_30_minutes_then_back_loses_nothing(session_factory, settings, now, backend, receiver):
    sim = Sim(session_factory, settings, backend, receiver, now)
    sim.run()  # the cursor starts here
    for minute in range(5, 65, 5):  # runs every 5 minutes for an hour, rows every 10 s
        sim.arrive_until(now + timedelta(minutes=minute))
        receiver.default = DOWN[backend] if 10 <= minute < 40 else None
        result = sim.run()
        if 10 <= minute < 40:
            assert (result.ok, result.shipped) == (False, 0) and result.backlog > 0
            assert result.oldest_unshipped_age_seconds >= (minute - 10) * 60
    assert len(sim.ids) == 360
    assert sim.lost() == [] and sim.duplicated() == []
    assert (sim.results[-1].backlog, sim.results[-1].ok) == (0, True)


@sims
def test_5000_rows_in_5_minutes_none_dropped(session_factory, settings, now, backend, receiver):
    sim = Sim(session_factory, settings, backend, receiver, now)
    sim.run()
    for _ in range(50):  # 100 rows every 6 s
        sim.t += timedelta(seconds=6)
        sim.add(100)
    result = sim.run()
    assert (result.shipped, result.errors, result.backlog, result.rows_scanned) == (5000, 0, 0, 5000)
    assert sim.lost() == [] and sim.duplicated() == []
    assert len(receiver.requests) == 10  # 500 events per request


@sims
def test_every_minute_for_10_minutes_no_duplicates(session_factory, settings, now, backend, receiver):
    sim = Sim(session_factory, settings, backend, receiver, now)
    sim.add(5, created_at=now - timedelta(seconds=30))
    for minute in range(11):
        sim.arrive_until(now + timedelta(minutes=minute))
        sim.run()
    assert sum(r.shipped for r in sim.results) == len(sim.ids) == 65
    assert sim.lost() == [] and sim.duplicated() == []


@sqlite_only
@pytest.mark.parametrize("backend", ["splunk"])
def test_trigger_jitter_over_6_hours(session_factory, settings, now, backend, receiver):
    """Runs every 5 minutes, each 0-15 s late; the old window lost 15 of 2,160 rows and duplicated 15."""
    rng = random.Random(14)
    sim = Sim(session_factory, settings, backend, receiver, now)
    sim.run()
    for slot in range(1, 73):
        at = now + timedelta(minutes=5 * slot, seconds=rng.uniform(0, 15))
        sim.arrive_until(at)
        sim.run()
    sim.arrive_until(now + timedelta(hours=6, minutes=5))
    sim.run()
    assert len(sim.ids) == 2190
    assert sim.lost() == [] and sim.duplicated() == []


@sims
def test_row_committed_late_with_an_old_timestamp_ships_once(
    session_factory, settings, now, backend, receiver
):
    """dsar-purge stamps its audit rows with the run's start: a long purge commits rows hours 'old'."""
    sim = Sim(session_factory, settings, backend, receiver, now)
    sim.arrive_until(now + timedelta(minutes=5))
    sim.run()
    purge_started = now - timedelta(hours=2)
    late = sim.add(3, created_at=purge_started, action="dsar.purge")
    sim.arrive_until(now + timedelta(minutes=10))
    result = sim.run()
    assert result.shipped == 33 and sim.lost() == [] and sim.duplicated() == []
    assert all(receiver.delivered()[i] == 1 for i in late)


@pg_only
def test_late_committing_transaction_on_postgresql_ships_exactly_once(engine, session_factory, settings, now):
    """A transaction inserts an audit row, newer rows commit and are shipped, then it commits."""
    with RECEIVERS["splunk"](API_KEY, allowed_indexes=(INDEX,)) as hec:
        sim = Sim(session_factory, settings, "splunk", hec, now, siem_settle_seconds=60)
        sim.run()
        late_conn = engine.connect()
        trans = late_conn.begin()
        late_id = late_conn.execute(
            AuditLog.__table__.insert()
            .values(tenant_id="t1", action="dsar.purge", changes={}, created_at=now - timedelta(hours=1))
            .returning(AuditLog.id)
        ).scalar_one()
        try:
            sim.arrive_until(now + timedelta(minutes=5))
            first = sim.run()
            assert first.shipped == 30 and late_id not in hec.delivered()
            assert first.cursor > late_id and first.backlog == 0  # invisible rows are not counted
            with session_factory() as s:
                pending = s.scalars(select(SiemPending)).all()
                assert any(p.lo <= late_id <= p.hi for p in pending)
            # long past the settle delay, the transaction is still open: the id is still owed
            sim.arrive_until(now + timedelta(hours=2))
            still_open = sim.run()
            assert late_id not in hec.delivered()
            with session_factory() as s:
                assert any(p.lo <= late_id <= p.hi for p in s.scalars(select(SiemPending)))
            assert still_open.shipped == len(sim.ids) - 30
        finally:
            trans.commit()
            late_conn.close()
        sim.ids.append(late_id)
        after = sim.run(now + timedelta(hours=2, minutes=1))
        assert after.late_shipped == 1 and after.shipped == 1
        assert sim.lost() == [] and sim.duplicated() == []
        again = sim.run(now + timedelta(hours=2, minutes=2))
        assert again.shipped == 0 and sim.duplicated() == []


@sqlite_only
def test_an_id_that_never_appears_is_given_up_after_the_settle_delay(session_factory, settings, now):
    with RECEIVERS["datadog"](API_KEY) as dd:
        sim = Sim(session_factory, settings, "datadog", dd, now, siem_settle_seconds=60)
        sim.run()
        ids = sim.add(5)
        with session_factory() as s:  # a rolled-back insert leaves the same hole
            s.execute(delete(AuditLog).where(AuditLog.id == ids[2]))
            s.commit()
        sim.ids.remove(ids[2])
        first = sim.run()
        assert (first.shipped, first.pending_ranges_expired) == (4, 0)
        assert sim.run(now + timedelta(seconds=30)).pending_ranges_expired == 0
        assert sim.run(now + timedelta(seconds=61)).pending_ranges_expired == 1
        with session_factory() as s:
            assert s.scalars(select(SiemPending)).all() == []
        assert sim.lost() == [] and sim.duplicated() == []


@sqlite_only
def test_row_and_time_budgets_report_the_backlog(session_factory, settings, now):
    with RECEIVERS["splunk"](API_KEY, allowed_indexes=(INDEX,)) as hec:
        sim = Sim(session_factory, settings, "splunk", hec, now, siem_max_rows_per_run=100)
        sim.run()
        sim.add(250)
        first = sim.run()
        assert (first.shipped, first.backlog, first.ok) == (100, 150, True)
        assert first.stopped == "SIEM_MAX_ROWS_PER_RUN reached"
        assert [sim.run().backlog for _ in range(2)] == [50, 0]
        assert sim.results[-1].stopped is None
        assert sim.lost() == [] and sim.duplicated() == []


@sqlite_only
def test_first_run_starts_300_seconds_back(session_factory, settings, now):
    with RECEIVERS["datadog"](API_KEY) as dd:
        sim = Sim(session_factory, settings, "datadog", dd, now)
        old = sim.add(1, created_at=now - timedelta(seconds=301))
        inside = sim.add(2, created_at=now - timedelta(seconds=299))
        older_after = sim.add(1, created_at=now - timedelta(seconds=400))  # predates the cursor too
        result = sim.run()
        assert result.shipped == 2 and sorted(dd.delivered()) == sorted(inside)
        assert old[0] not in dd.delivered() and older_after[0] not in dd.delivered()
        later = sim.add(1, created_at=now - timedelta(hours=3))  # written after the cursor exists: owed
        assert sim.run().shipped == 1 and later[0] in dd.delivered()


# -- partial failures, limits and dead letters ------------------------------------------------------
def big_changes(n_bytes: int) -> dict:
    return {"blob": "x" * n_bytes}


@sqlite_only
def test_event_too_large_is_dead_lettered_and_never_blocks(
    session_factory, settings, now, backend, receiver, monkeypatch
):
    if backend == "elastic":
        monkeypatch.setattr(elastic, "MAX_BYTES", 200_000)
    sim = Sim(session_factory, settings, backend, receiver, now)
    sim.run()
    a = sim.add(2)
    huge = sim.add(1, changes=big_changes(1_100_000 if backend != "elastic" else 250_000))
    b = sim.add(2)
    result = sim.run()
    assert (result.shipped, result.errors, result.dead_lettered, result.backlog) == (4, 0, 1, 0)
    assert result.ok is False and result.cursor == b[-1]
    assert sorted(receiver.delivered()) == sorted(a + b)
    with session_factory() as s:
        dl = s.scalars(select(SiemDeadLetter)).one()
        assert (
            (dl.backend, dl.audit_id) == (backend, huge[0])
            and "exceeds" in dl.reason
            and dl.size_bytes > 200_000
        )
    assert sim.run().ok is True  # counted once


@sqlite_only
def test_rejected_event_is_isolated_by_splitting_and_dead_lettered(
    session_factory, settings, now, backend, receiver
):
    sim = Sim(session_factory, settings, backend, receiver, now)
    sim.run()
    good = sim.add(3)
    bad = sim.add(1, entity_name="POISON")
    good += sim.add(3)
    receiver.poison = "POISON"
    result = sim.run()
    assert (result.shipped, result.errors, result.dead_lettered, result.backlog) == (6, 0, 1, 0)
    assert sorted(receiver.delivered()) == sorted(good) and sim.duplicated() == []
    with session_factory() as s:
        assert s.scalars(select(SiemDeadLetter.audit_id)).all() == bad


@sqlite_only
def test_a_rejection_of_everything_is_not_blamed_on_the_events(
    session_factory, settings, now, backend, receiver
):
    sim = Sim(session_factory, settings, backend, receiver, now)
    sim.run()
    sim.add(2, entity_name="POISON")
    receiver.poison = "POISON"
    result = sim.run()
    assert (result.shipped, result.errors, result.dead_lettered, result.backlog) == (0, 2, 0, 2)
    receiver.poison = None
    assert sim.run().shipped == 2 and sim.lost() == []


@sqlite_only
@pytest.mark.parametrize(
    ("backend", "limit", "size"), [("splunk", 1_000_000, 5_000), ("datadog", 5_000_000, 25_000)]
)
def test_requests_respect_the_backends_size_limits(session_factory, settings, now, backend, limit, size):
    with RECEIVERS[backend](API_KEY, allowed_indexes=(INDEX,) if backend == "splunk" else ()) as rec:
        sim = Sim(session_factory, settings, backend, rec, now)
        sim.run()
        sim.add(400, changes=big_changes(size))
        result = sim.run()
        assert (result.shipped, result.errors) == (400, 0)
        assert len(rec.requests) > 1 and all(len(r.body) <= limit for r in rec.requests)
        assert sim.lost() == [] and sim.duplicated() == []


# -- malformed answers and misbehaving SIEMs: never a 500, retried later ------------------------------
def _settle_both_ways(sim: Sim, receiver, misbehaviour, n: int = 3) -> None:
    sim.run()
    sim.add(n)
    receiver.default = misbehaviour
    bad = sim.run()
    assert (bad.ok, bad.shipped, bad.errors, bad.backlog) == (False, 0, n, n)
    receiver.default = None
    good = sim.run()
    assert (good.ok, good.shipped, good.backlog) == (True, n, 0)
    assert sim.lost() == [] and sim.duplicated() == []


@sqlite_only
def test_gzip_200_with_a_garbage_body_is_undelivered(session_factory, settings, now, backend, receiver):
    sim = Sim(session_factory, settings, backend, receiver, now, budget=2.0)
    _settle_both_ways(sim, receiver, Respond(200, b"\x1f\x8b not gzip at all", {"Content-Encoding": "gzip"}))


@sqlite_only
def test_non_json_200_is_undelivered(session_factory, settings, now, backend, receiver):
    sim = Sim(session_factory, settings, backend, receiver, now, budget=2.0)
    _settle_both_ways(sim, receiver, Respond(200, b"<html>proxy says ok</html>"))


@sqlite_only
def test_connection_reset_is_undelivered(session_factory, settings, now, backend, receiver):
    sim = Sim(session_factory, settings, backend, receiver, now, budget=2.0)
    _settle_both_ways(sim, receiver, Reset())


@sqlite_only
@pytest.mark.parametrize("bad_status", [None, "abc", "201", 2.5])
def test_elastic_unreadable_item_status_is_retried_per_item(session_factory, settings, now, bad_status):
    with RECEIVERS["elastic"](API_KEY) as es:
        sim = Sim(session_factory, settings, "elastic", es, now)
        sim.run()
        ids = sim.add(4)
        es.script.append(ItemStatuses({str(ids[1]): bad_status}))
        result = sim.run()
        assert (result.ok, result.shipped, result.errors) == (True, 4, 0)
        assert es.requests[-1].body.count(b'"create"') == 1 and str(ids[1]).encode() in es.requests[-1].body
        es.default = ItemStatuses({str(i): bad_status for i in range(10_000)})
        more = sim.add(2)
        stuck = sim.run()
        assert (stuck.ok, stuck.shipped, stuck.errors, stuck.backlog) == (False, 0, 2, 2)
        es.default = None
        assert sim.run().shipped == 2 and more[0] in es.delivered() and sim.lost() == []


@sqlite_only
def test_a_trickling_siem_is_cut_at_the_run_deadline(session_factory, settings, now):
    with RECEIVERS["splunk"](API_KEY, allowed_indexes=(INDEX,)) as hec:
        cfg = siem_settings(settings, "splunk", hec.url, budget=30.0, timeout=10.0).model_copy(
            update={"siem_run_budget_seconds": 1.0}
        )
        with session_factory() as s:
            s.add_all(
                AuditLog(tenant_id="t1", action="update", created_at=now - timedelta(seconds=5))
                for _ in range(3)
            )
            s.commit()
        hec.default = Trickle(0.1)  # ~110 bytes: 11 s if read to the end
        with session_factory() as s:
            result = siem_ship.run(s, cfg, now)  # real clock: the deadline is wall time
        assert (result.ok, result.shipped, result.errors, result.backlog) == (False, 0, 3, 3)
        for _ in range(100):
            if hec.trickled:
                break
            import time

            time.sleep(0.05)
        assert hec.trickled and hec.trickled[0] < 100  # hung up on long before the answer was complete


@pg_only
def test_cursor_and_pending_tables_on_postgresql(session_factory, settings, now):
    """The same flow on PostgreSQL: cursor row, fence recorded with a hole, dead letter."""
    with RECEIVERS["datadog"](API_KEY) as dd:
        sim = Sim(session_factory, settings, "datadog", dd, now)
        sim.run()
        ids = sim.add(3)
        with session_factory() as s:
            s.execute(delete(AuditLog).where(AuditLog.id == ids[1]))
            s.commit()
            xmax = int(s.execute(text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text")).scalar_one())
        sim.ids.remove(ids[1])
        huge = sim.add(1, changes=big_changes(1_100_000))
        result = sim.run()
        assert (result.shipped, result.dead_lettered) == (2, 1)
        with session_factory() as s:
            cur = s.get(SiemCursor, "datadog")
            assert cur is not None and cur.high_id == max(sim.ids)
            hole = s.scalars(select(SiemPending)).one()
            assert (
                (hole.lo, hole.hi) == (ids[1], ids[1])
                and hole.fence_xid is not None
                and hole.fence_xid >= xmax
            )
        assert sim.lost() == huge  # dead-lettered, not sent


@sqlite_only
def test_an_event_that_cannot_be_encoded_is_dead_lettered(session_factory, settings, now, backend, receiver):
    sim = Sim(session_factory, settings, backend, receiver, now)
    sim.run()
    ok = sim.add(2)
    odd = sim.add(1, changes={"counter": 2**70})  # valid JSON in the database, beyond orjson's 64-bit ints
    result = sim.run()
    assert (result.shipped, result.errors, result.dead_lettered, result.backlog) == (2, 0, 1, 0)
    assert sorted(receiver.delivered()) == ok
    with session_factory() as s:
        dl = s.scalars(select(SiemDeadLetter)).one()
        assert dl.audit_id == odd[0] and "cannot be encoded" in dl.reason


@sqlite_only
def test_an_unacknowledged_row_stays_owed_through_a_long_outage(session_factory, settings, now):
    """An Elastic item still 429 when the budget ends is kept pending; it is never given up, however
    long the SIEM stays down after."""
    with RECEIVERS["elastic"](API_KEY) as es:
        sim = Sim(session_factory, settings, "elastic", es, now, budget=2.0)
        sim.run()
        ids = sim.add(3)
        es.default = ItemStatuses({str(ids[1]): 429})
        first = sim.run()
        assert (first.shipped, first.errors, first.backlog, first.cursor) == (2, 1, 1, ids[-1])
        es.default = DOWN["elastic"]
        for hours in (1, 30):  # past the settle delay and past SIEM_GAP_MAX_SECONDS
            down = sim.run(now + timedelta(hours=hours))
            assert (down.shipped, down.backlog, down.pending_ranges_expired) == (0, 1, 0)
            assert down.oldest_unshipped_age_seconds >= hours * 3600
        es.default = None
        back = sim.run(now + timedelta(hours=31))
        assert (back.shipped, back.late_shipped, back.backlog) == (1, 1, 0)
        assert sim.lost() == [] and sim.duplicated() == []
