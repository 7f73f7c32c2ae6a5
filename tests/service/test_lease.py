"""Run lease: atomic acquisition on SQLite and PostgreSQL, expiry takeover, renewal, release,
and two concurrent HTTP triggers -> exactly one run and one ``skipped``."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from service import lease as leases
from service.app import create_app
from service.jobs._result import JobResult
from service.models.audit import AuditLog
from service.runner import heartbeat

AUTH = {"Authorization": "Bearer test-cron-secret-0123456789abcdef"}


def _rid() -> str:
    return uuid.uuid4().hex


def test_acquire_is_exclusive_until_released(engine, now):
    a = leases.try_acquire(engine, "cleanup", _rid(), now, 60, owner="pod-a")
    assert a is not None and a.expires_at == now + timedelta(seconds=60)
    assert (
        leases.try_acquire(engine, "cleanup", _rid(), now + timedelta(seconds=59), 60, owner="pod-b") is None
    )
    # another job is independent
    assert leases.try_acquire(engine, "outbox-reaper", _rid(), now, 60) is not None
    assert leases.release(engine, a, now + timedelta(seconds=1))
    b = leases.try_acquire(engine, "cleanup", _rid(), now + timedelta(seconds=1), 60, owner="pod-b")
    assert b is not None
    row = leases.current(engine, "cleanup")
    assert row.owner == "pod-b" and row.run_id == b.run_id


def test_expired_lease_is_taken_over_and_old_holder_cannot_renew_or_release(engine, now):
    crashed = leases.try_acquire(engine, "cleanup", _rid(), now, 30, owner="crashed-pod")
    assert crashed is not None
    assert leases.try_acquire(engine, "cleanup", _rid(), now + timedelta(seconds=29), 30) is None
    later = now + timedelta(seconds=31)
    taker = leases.try_acquire(engine, "cleanup", _rid(), later, 30, owner="new-pod")
    assert taker is not None
    assert not leases.renew(engine, crashed, later, 30)
    assert not leases.release(engine, crashed, later)  # cannot free someone else's lease
    assert leases.try_acquire(engine, "cleanup", _rid(), later + timedelta(seconds=1), 30) is None
    assert leases.current(engine, "cleanup").owner == "new-pod"


def test_renewal_extends_the_lease(engine, now):
    held = leases.try_acquire(engine, "siem-ship", _rid(), now, 30)
    t = now + timedelta(seconds=25)
    assert leases.renew(engine, held, t, 30)
    # without the renewal this would have expired at now+30
    assert leases.try_acquire(engine, "siem-ship", _rid(), now + timedelta(seconds=40), 30) is None
    assert leases.try_acquire(engine, "siem-ship", _rid(), now + timedelta(seconds=56), 30) is not None


def test_concurrent_acquire_has_exactly_one_winner(engine, now):
    """Real threads, real connections: 8 contenders, one lease."""
    barrier = threading.Barrier(8)

    def contend(i: int):
        barrier.wait()
        return leases.try_acquire(engine, "gitops-drift-check", _rid(), now, 60, owner=f"t{i}")

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(contend, range(8)))
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    assert leases.current(engine, "gitops-drift-check").run_id == winners[0].run_id


class Done(JobResult):
    ok: bool = True
    processed: int


def test_two_concurrent_triggers_one_runs_one_skips(settings, engine, fake_job):
    started, release = threading.Event(), threading.Event()
    runs: list[str] = []

    def slow(session, settings, now):
        runs.append("run")
        started.set()
        assert release.wait(30), "test did not release the job"
        return Done(processed=5)

    fake_job("cleanup", slow)
    client = TestClient(create_app(settings))
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(client.post, "/api/v1/cron/cleanup", headers=AUTH)
        assert started.wait(30)
        second = client.post("/api/v1/cron/cleanup", headers=AUTH)
        release.set()
        first_resp = first.result(timeout=60)
    assert second.status_code == 200
    assert second.json() == {"ok": True, "skipped": "already running"}
    assert first_resp.status_code == 200 and first_resp.json() == {"ok": True, "processed": 5}
    assert runs == ["run"]
    with engine.connect() as c:
        assert (
            c.execute(
                select(func.count()).select_from(AuditLog).where(AuditLog.action == "cron.cleanup")
            ).scalar()
            == 1
        )
    metrics = client.get("/metrics").text
    assert 'kaireon_cron_runs_total{outcome="skipped",route="cleanup"} 1.0' in metrics
    assert 'kaireon_cron_runs_total{outcome="success",route="cleanup"} 1.0' in metrics
    # released: the next trigger runs again
    release.set()
    assert client.post("/api/v1/cron/cleanup", headers=AUTH).json() == {"ok": True, "processed": 5}


def test_flow_scheduler_tick_skip_body(settings, engine, fake_job, now):
    fake_job("flow-scheduler-tick", lambda s, st, n: Done(processed=1))
    holder = leases.try_acquire(engine, "flow-scheduler-tick", _rid(), now, 3600, owner="other-replica")
    assert holder is not None
    client = TestClient(create_app(settings, clock=lambda: now + timedelta(seconds=10)))
    resp = client.get("/api/v1/cron/flow-scheduler-tick", headers=AUTH)
    assert resp.status_code == 200 and resp.json() == {"skipped": True}


def test_crashed_holder_is_taken_over_through_http(settings, engine, fake_job, now):
    fake_job("outbox-reaper", lambda s, st, n: Done(processed=2))
    crashed = leases.try_acquire(
        engine, "outbox-reaper", _rid(), now, settings.lease_ttl_seconds, owner="dead-pod"
    )
    assert crashed is not None
    during = TestClient(create_app(settings, clock=lambda: now + timedelta(seconds=60)))
    assert during.post("/api/v1/cron/outbox-reaper", headers=AUTH).json() == {
        "ok": True,
        "skipped": "already running",
    }
    after = TestClient(
        create_app(settings, clock=lambda: now + timedelta(seconds=settings.lease_ttl_seconds + 1))
    )
    assert after.post("/api/v1/cron/outbox-reaper", headers=AUTH).json() == {"ok": True, "processed": 2}


def test_job_heartbeat_renews_and_detects_takeover(settings, engine, fake_job, now):
    clock = {"t": now}
    seen = {}

    def job(session, st, n):
        row = leases.current(engine, "dsar-purge")
        clock["t"] = now + timedelta(seconds=settings.lease_ttl_seconds - 1)
        heartbeat()  # renews: expiry moves to t + ttl
        seen["expires_before"] = row.expires_at
        seen["expires_after"] = leases.current(engine, "dsar-purge").expires_at
        # simulate a stall past the TTL and a takeover by another replica
        clock["t"] = clock["t"] + timedelta(seconds=settings.lease_ttl_seconds + 1)
        assert leases.try_acquire(engine, "dsar-purge", _rid(), clock["t"], 60, owner="thief") is not None
        heartbeat()  # must raise LeaseLost
        return Done(processed=1)

    fake_job("dsar-purge", job)
    client = TestClient(create_app(settings, clock=lambda: clock["t"]))
    resp = client.post("/api/v1/cron/dsar-purge", headers=AUTH)
    assert seen["expires_after"] > seen["expires_before"]
    assert resp.status_code == 500
    assert resp.json()["error"] == "lease_lost"
    # the thief's lease is untouched by the loser's release
    assert leases.current(engine, "dsar-purge").owner == "thief"


def test_heartbeat_is_rate_limited(settings, engine, fake_job, now):
    """Jobs call heartbeat() after every batch; it writes at most once per min(ttl/10, 30 s)."""
    clock = {"t": now}
    renewed = []

    def job(session, st, n):
        for seconds in (1, 2, 29, 31, 32, 62):
            clock["t"] = now + timedelta(seconds=seconds)
            heartbeat()
            renewed.append(leases.current(engine, "siem-ship").renewed_at)
        return Done(processed=0)

    fake_job("siem-ship", job)
    settings = settings.model_copy(update={"lease_ttl_seconds": 300})  # min interval = min(300/10, 30) = 30 s
    client = TestClient(create_app(settings, clock=lambda: clock["t"]))
    assert client.post("/api/v1/cron/siem-ship", headers=AUTH).status_code == 200
    assert renewed == [
        now,
        now,
        now,
        now + timedelta(seconds=31),
        now + timedelta(seconds=31),
        now + timedelta(seconds=62),
    ]


class _FlakyEngine:
    """Wraps an engine; ``down`` makes every ``begin()`` fail like an unreachable database."""

    def __init__(self, engine) -> None:
        self.engine, self.down = engine, False
        self.dialect = engine.dialect

    def begin(self):
        if self.down:
            from sqlalchemy.exc import OperationalError

            raise OperationalError("connect", {}, ConnectionRefusedError("connection refused"))
        return self.engine.begin()


def test_a_release_refused_by_the_database_is_retried_by_its_owner(engine, now):
    flaky = _FlakyEngine(engine)
    pending = leases.PendingReleases(flaky, clock=lambda: now + timedelta(seconds=1))
    lease = leases.try_acquire(engine, "cleanup", _rid(), now, 900, owner="me")
    assert lease is not None
    flaky.down = True
    pending.release(lease, lease.expires_at)
    assert pending.run_ids == [lease.run_id]
    pending.close()  # stop the background thread; the test drives the retries itself
    flaky.down = False
    assert pending.flush() == 0
    # released: another run takes it at once instead of waiting 900 s
    assert (
        leases.try_acquire(engine, "cleanup", _rid(), now + timedelta(seconds=2), 900, owner="other")
        is not None
    )


def test_a_late_retry_never_releases_a_lease_someone_else_holds(engine, now):
    flaky = _FlakyEngine(engine)
    lease = leases.try_acquire(engine, "cleanup", _rid(), now, 60, owner="me")
    assert lease is not None
    clock = {"t": now + timedelta(seconds=1)}
    pending = leases.PendingReleases(flaky, clock=lambda: clock["t"])
    flaky.down = True
    pending.release(lease, lease.expires_at)
    pending.close()
    flaky.down = False
    # the lease ran out and another run took it before the database came back
    other = leases.try_acquire(engine, "cleanup", _rid(), now + timedelta(seconds=61), 60, owner="other")
    assert other is not None
    clock["t"] = now + timedelta(seconds=62)
    assert pending.flush() == 0  # expired: dropped without touching the row
    assert leases.current(engine, "cleanup").run_id == other.run_id
    assert (
        leases.try_acquire(engine, "cleanup", _rid(), now + timedelta(seconds=63), 60) is None
    )  # still held
    # and even a retry before the expiry matches on run_id, so it cannot release the other run
    assert leases.release(engine, lease, now + timedelta(seconds=63)) is False
