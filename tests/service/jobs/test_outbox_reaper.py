"""outbox-reaper: stuck rows reset, exhausted rows dead-lettered, locked rows skipped (SQLite + PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.app import create_app
from service.jobs import outbox_reaper
from service.models.outbox import OutboxDeadLetter, OutboxEvent

SECRET = "test-cron-secret-0123456789abcdef"


def _row(tenant, status="processing", attempts=0, started=None, **kw):
    return OutboxEvent(
        tenant_id=tenant,
        topic="interactions",
        event_type="interaction.recorded.v1",
        payload={"tenant": tenant, **kw.pop("payload", {})},
        status=status,
        attempts=attempts,
        locked_by="pub-1" if status == "processing" else None,
        processing_started_at=started,
        **kw,
    )


def _seed(session, settings, now, tenant="acme"):
    stuck_after = timedelta(seconds=settings.outbox_stuck_after_seconds)
    mx = settings.outbox_max_attempts
    rows = {
        "stuck": _row(tenant, attempts=2, started=now - stuck_after - timedelta(seconds=1)),
        "stuck-old": _row(tenant, attempts=0, started=now - timedelta(hours=5)),
        "at-threshold": _row(tenant, attempts=0, started=now - stuck_after),  # exactly 300 s: not yet stuck
        "fresh": _row(tenant, attempts=0, started=now - timedelta(seconds=5)),
        "last-attempt": _row(
            tenant, attempts=mx - 1, started=now - timedelta(hours=1), last_error="broker 503"
        ),
        "over": _row(tenant, attempts=mx + 3, started=now - timedelta(hours=1)),
        "pending-exhausted": _row(tenant, status="pending", attempts=mx, last_error="rejected by broker"),
        "pending": _row(tenant, status="pending", attempts=mx - 1),
        "published": _row(tenant, status="published", attempts=mx + 1),
    }
    session.add_all(rows.values())
    session.commit()
    return {k: v.id for k, v in rows.items()}


def _state(session):
    session.expire_all()
    return {
        r.id: (r.status, r.attempts, r.locked_by, r.processing_started_at)
        for r in session.scalars(select(OutboxEvent))
    }


def test_reset_and_dead_letter_and_idempotence(session, settings, now):
    ids = _seed(session, settings, now)
    body = outbox_reaper.run(session, settings, now).model_dump(mode="json", by_alias=True)
    session.commit()
    assert body == {"ok": True, "reset": 2, "deadLettered": 3, "errors": []}
    st = _state(session)
    assert st[ids["stuck"]] == ("pending", 3, None, None)
    assert st[ids["stuck-old"]] == ("pending", 1, None, None)
    assert st[ids["at-threshold"]][:2] == ("processing", 0) and st[ids["fresh"]][:2] == ("processing", 0)
    assert st[ids["pending"]] == ("pending", settings.outbox_max_attempts - 1, None, None)
    assert st[ids["published"]][0] == "published"
    for gone in ("last-attempt", "over", "pending-exhausted"):
        assert ids[gone] not in st
    dead = {d.original_id: d for d in session.scalars(select(OutboxDeadLetter))}
    assert set(dead) == {ids["last-attempt"], ids["over"], ids["pending-exhausted"]}
    la = dead[ids["last-attempt"]]
    assert (
        la.attempts == settings.outbox_max_attempts and la.tenant_id == "acme" and la.topic == "interactions"
    )
    assert la.payload == {"tenant": "acme"} and la.failed_at == now
    assert la.last_error.startswith("broker 503; stuck in processing for more than 300s")
    assert dead[ids["pending-exhausted"]].last_error.startswith("rejected by broker; attempts exhausted")

    again = outbox_reaper.run(session, settings, now).model_dump(mode="json", by_alias=True)
    assert again == {"ok": True, "reset": 0, "deadLettered": 0, "errors": []}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # pure logic/HTTP wiring: SQLite is enough
def test_thresholds_come_from_settings(session, settings, now):
    custom = settings.model_copy(update={"outbox_stuck_after_seconds": 3, "outbox_max_attempts": 2})
    ids = _seed(session, settings, now)  # seeded with the defaults (300 s / 10)
    body = outbox_reaper.run(session, custom, now).model_dump(by_alias=True)
    session.commit()
    st = _state(session)
    # with a 3 s threshold "at-threshold" (300 s) and "fresh" (5 s) are stuck too; max 2 attempts
    assert st[ids["fresh"]] == ("pending", 1, None, None)
    assert ids["stuck"] not in st  # attempts 2 + 1 >= 2
    assert body["reset"] == 3  # stuck-old, at-threshold, fresh
    assert body["deadLettered"] == 5  # stuck, last-attempt, over, pending-exhausted, pending (9 >= 2)


def test_dead_letter_move_is_idempotent_on_original_id(session, settings, now):
    ids = _seed(session, settings, now)
    # a dead letter already exists for this row (e.g. a previous run crashed after inserting it elsewhere)
    session.add(
        OutboxDeadLetter(
            original_id=ids["over"],
            topic="interactions",
            event_type="x",
            original_created_at=now,
            failed_at=now - timedelta(minutes=1),
        )
    )
    session.commit()
    body = outbox_reaper.run(session, settings, now).model_dump(by_alias=True)
    session.commit()
    assert body["deadLettered"] == 3
    assert (
        len(
            session.scalars(select(OutboxDeadLetter).where(OutboxDeadLetter.original_id == ids["over"])).all()
        )
        == 1
    )
    assert ids["over"] not in _state(session)


def test_one_tenant_failing_does_not_stop_the_others(session, settings, now, monkeypatch):
    a, b = _seed(session, settings, now, "a"), _seed(session, settings, now, "b")
    system = _row(None, attempts=0, started=now - timedelta(hours=2))  # system events have no tenant
    session.add(system)
    session.commit()
    real = outbox_reaper._dead_letter

    def flaky(s, rows, *args):
        if rows[0].tenant_id == "b":
            raise RuntimeError("dead-letter table unavailable")
        return real(s, rows, *args)

    monkeypatch.setattr(outbox_reaper, "_dead_letter", flaky)
    body = outbox_reaper.run(session, settings, now).model_dump(mode="json", by_alias=True)
    session.commit()
    assert body == {
        "ok": False,
        "reset": 3,
        "deadLettered": 3,  # a: 2 + 3, system: 1; b rolled back
        "errors": [{"tenantId": "b", "error": "RuntimeError: dead-letter table unavailable"}],
    }
    st = _state(session)
    assert st[a["stuck"]][0] == "pending" and a["over"] not in st
    assert st[b["stuck"]][:2] == ("processing", 2)  # b's batch rolled back as a whole
    assert st[system.id] == ("pending", 1, None, None)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_rows_locked_by_a_live_publisher_are_skipped(db_url, session, session_factory, settings, now):
    """A publisher holds a row lock (SELECT ... FOR UPDATE) on a row that looks stuck: never touched."""
    ids = _seed(session, settings, now)
    locked_ids = [ids["stuck"], ids["last-attempt"]]
    locked = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def publisher():
        try:
            with session_factory() as pub:
                pub.scalars(select(OutboxEvent).where(OutboxEvent.id.in_(locked_ids)).with_for_update()).all()
                locked.set()
                release.wait(30)
                pub.rollback()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
            locked.set()

    t = threading.Thread(target=publisher)
    t.start()
    try:
        assert locked.wait(30)
        body = outbox_reaper.run(session, settings, now).model_dump(by_alias=True)
        session.commit()
    finally:
        release.set()
        t.join(30)
    assert not errors
    assert body["reset"] == 1 and body["deadLettered"] == 2  # stuck-old; over + pending-exhausted
    st = _state(session)
    assert st[ids["stuck"]] == ("processing", 2, "pub-1", st[ids["stuck"]][3])
    assert st[ids["last-attempt"]][0] == "processing"
    # once the publisher lets go (still stuck), the next run takes them
    body2 = outbox_reaper.run(session, settings, now).model_dump(by_alias=True)
    session.commit()
    assert (body2["reset"], body2["deadLettered"]) == (1, 1)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # pure logic/HTTP wiring: SQLite is enough
def test_outbox_reaper_over_http(session, settings, now):
    _seed(session, settings, now)
    client = TestClient(create_app(settings, clock=lambda: now))
    resp = client.post("/api/v1/cron/outbox-reaper", headers={"Authorization": f"Bearer {SECRET}"})
    assert resp.status_code == 200, resp.text
    assert {k: resp.json()[k] for k in ("ok", "reset", "deadLettered")} == {
        "ok": True,
        "reset": 2,
        "deadLettered": 3,
    }
