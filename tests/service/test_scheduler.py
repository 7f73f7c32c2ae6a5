"""In-process scheduler: the chart's default schedules, kaireon_chart.cron arithmetic, an injectable
clock, the same lease as HTTP triggers, and start/stop with the app lifespan."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from service import lease as leases
from service.app import create_app
from service.jobs._result import JobResult
from service.models.audit import AuditLog
from service.runner import Runner
from service.scheduler import (
    SCHEDULER_GRACE_SECONDS,
    InProcessScheduler,
    ScheduledJob,
    build_scheduler,
    load_scheduled_jobs,
)


def test_schedules_come_from_the_chart_defaults():
    from kaireon_chart.chart import load_chart

    jobs = {j.route: j for j in load_scheduled_jobs()}
    values = load_chart().values["cron"]["schedules"]
    expected = {
        entry["path"].rsplit("/", 1)[-1]: entry["schedule"]
        for entry in values.values()
        if entry.get("enabled", True)
    }
    assert {r: j.expr for r, j in jobs.items()} == expected
    assert expected["flow-scheduler-tick"] == "* * * * *"
    assert all(j.source == "chart" for j in jobs.values())
    # times are robfig/cron's (kaireon_chart.cron), in the entry's timeZone
    t = datetime.fromisoformat("2026-06-15T04:29:59+00:00")
    assert jobs["cleanup"].next_after(t) == datetime.fromisoformat("2026-06-15T04:30:00+00:00")
    assert jobs["outbox-reaper"].next_after(t) == datetime.fromisoformat("2026-06-15T04:30:00+00:00")


class FakeRunner:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def run(self, route: str, trigger: str = "http"):
        with self.lock:
            self.calls.append((route, trigger))


def _job(route: str, expr: str) -> ScheduledJob:
    from kaireon_chart.cron import parse_schedule

    s = parse_schedule(expr)
    return ScheduledJob(route, expr, "UTC", lambda after: s.next_after(after, tz="UTC"))


def test_run_pending_fires_due_jobs_with_an_injected_clock(now):
    runner = FakeRunner()
    sched = InProcessScheduler(
        runner,
        [
            _job("flow-scheduler-tick", "* * * * *"),
            _job("outbox-reaper", "*/2 * * * *"),
            _job("cleanup", "30 4 * * *"),
        ],
    )
    try:
        sched.prime(now + timedelta(seconds=30))  # 12:00:30
        assert sched.next_fire() == now + timedelta(minutes=1)
        assert sched.run_pending(now + timedelta(seconds=59), wait=True) == []
        assert sched.run_pending(now + timedelta(minutes=1), wait=True) == ["flow-scheduler-tick"]
        assert sorted(sched.run_pending(now + timedelta(minutes=2, seconds=1), wait=True)) == [
            "flow-scheduler-tick",
            "outbox-reaper",
        ]
        # a long pause (process suspended): each job fires once, missed slots are not replayed
        assert sorted(sched.run_pending(now + timedelta(hours=20), wait=True)) == [
            "cleanup",
            "flow-scheduler-tick",
            "outbox-reaper",
        ]
        assert all(trigger == "scheduler" for _, trigger in runner.calls)
        assert len(runner.calls) == 6
    finally:
        sched.stop()


def test_a_slot_already_started_by_another_trigger_is_not_fired_again(now):
    runner = FakeRunner()
    started = {"cleanup": now + timedelta(hours=16, minutes=30, seconds=2)}  # the CronJob ran 04:30:02
    sched = InProcessScheduler(runner, [_job("cleanup", "30 4 * * *")], last_started=started.get)
    try:
        sched.prime(now)
        assert sched.run_pending(now + timedelta(hours=16, minutes=31), wait=True) == []
        assert runner.calls == []
        # next day nobody else ran it: the scheduler does
        assert sched.run_pending(now + timedelta(days=1, hours=16, minutes=31), wait=True) == ["cleanup"]
    finally:
        sched.stop()


def test_a_job_still_running_in_this_process_is_not_fired_again(now):
    gate = threading.Event()

    class Blocking(FakeRunner):
        def run(self, route, trigger="http"):
            super().run(route, trigger)
            gate.wait(30)

    runner = Blocking()
    sched = InProcessScheduler(runner, [_job("flow-scheduler-tick", "* * * * *")])
    try:
        sched.prime(now)
        assert sched.run_pending(now + timedelta(minutes=1)) == ["flow-scheduler-tick"]
        assert sched.run_pending(now + timedelta(minutes=2)) == []
        gate.set()
    finally:
        gate.set()
        sched.stop()
    assert len(runner.calls) == 1


class Ticked(JobResult):
    tickAt: str
    due: int = 0


def test_scheduler_goes_through_the_runner_and_the_lease(settings, engine, session_factory, fake_job, now):
    fake_job("flow-scheduler-tick", lambda s, st, n: Ticked(tickAt=n.isoformat()))
    clock = {"t": now}
    runner = Runner(settings, engine, session_factory, clock=lambda: clock["t"])
    sched = build_scheduler(runner)
    try:
        sched.prime(now)
        # the scheduler is the backup trigger: it fires SCHEDULER_GRACE_SECONDS after the slot
        clock["t"] = now + timedelta(minutes=1, seconds=5)
        assert sched.run_pending(clock["t"], wait=True) == []
        clock["t"] = now + timedelta(minutes=1, seconds=SCHEDULER_GRACE_SECONDS)
        assert "flow-scheduler-tick" in sched.run_pending(clock["t"], wait=True)
        with engine.connect() as c:
            (audit,) = c.execute(select(AuditLog).where(AuditLog.action == "cron.flow-scheduler-tick")).all()
        assert audit.changes["trigger"] == "scheduler" and audit.changes["outcome"] == "success"
        # another replica took the lease just before the next slot and is still running: the
        # scheduler fires, and the lease makes its run a skip
        held = leases.try_acquire(
            engine,
            "flow-scheduler-tick",
            "r" * 32,
            now + timedelta(minutes=1, seconds=59),
            600,
            owner="other",
        )
        assert held is not None
        clock["t"] = now + timedelta(minutes=2, seconds=SCHEDULER_GRACE_SECONDS)
        assert "flow-scheduler-tick" in sched.run_pending(clock["t"], wait=True)
        with engine.connect() as c:
            assert (
                len(c.execute(select(AuditLog).where(AuditLog.action == "cron.flow-scheduler-tick")).all())
                == 1
            )
        # the CronJob already started the 12:03 slot (lease row acquired at 12:03:01, released):
        # the scheduler does not fire that slot at all
        leases.release(engine, held, now + timedelta(minutes=3))
        cron = leases.try_acquire(
            engine, "flow-scheduler-tick", "c" * 32, now + timedelta(minutes=3, seconds=1), 600
        )
        leases.release(engine, cron, now + timedelta(minutes=3, seconds=2))
        clock["t"] = now + timedelta(minutes=3, seconds=SCHEDULER_GRACE_SECONDS)
        assert sched.run_pending(clock["t"], wait=True) == []
    finally:
        sched.stop()


def test_lifespan_starts_and_stops_the_scheduler_without_blocking_requests(settings, engine, fake_job):
    fake_job("flow-scheduler-tick", lambda s, st, n: Ticked(tickAt=n.isoformat()))
    on = settings.model_copy(update={"in_process_scheduler": True})
    with TestClient(create_app(on)) as client:
        sched = client.app.state.scheduler
        assert sched is not None and sched._thread is not None and sched._thread.is_alive()
        assert set(sched.jobs) >= {"cleanup", "flow-scheduler-tick", "outbox-reaper"}
        assert client.get("/healthz").status_code == 200
        thread = sched._thread
    assert not thread.is_alive()
    off = TestClient(create_app(settings))
    with off:
        assert off.app.state.scheduler is None
