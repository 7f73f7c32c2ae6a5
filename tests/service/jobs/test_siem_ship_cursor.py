"""siem-ship's guarantees, measured with a fixed clock against local receivers (issue 14 §1).

Rows arrive one per 10 s (``created_at`` = arrival) and siem-ship runs on a schedule; every test
counts, per audit id, how often the SIEM stored (Splunk, Datadog) or acknowledged (Elasticsearch,
201 or 409) it: 0 lost means every row is there, 0 duplicates means none is there twice.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from service.models.audit import AuditLog, SiemPending
from tests.service.jobs.test_siem_ship import API_KEY, INDEX, RECEIVERS
from tests.service.siem_sim import DOWN, Sim, backend, pg_only, receiver, sims, sqlite_only

__all__ = ["backend", "receiver"]  # fixtures


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
