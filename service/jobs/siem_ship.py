"""/api/v1/cron/siem-ship — ship the last 5 minutes of audit-log rows to the configured SIEM.

Reads at most ``MAX_ROWS`` (500) audit rows with ``now - 300 s < created_at <= now`` (oldest first)
and delivers them to the back end chosen by ``SIEM_BACKEND`` (``splunk`` | ``datadog`` | ``elastic``)
at ``SIEM_ENDPOINT`` (the standard path is appended unless present). The configuration is validated
at start-up (:class:`service.config.Settings`); an unset or unknown ``SIEM_BACKEND`` makes this route a
structured no-op ``{"ok": true, "skipped": "..."}``.

A SIEM that is down, slow or rejecting never makes the route fail: retries (408/429/5xx, connection
errors, timeouts) run with jittered backoff inside ``SIEM_RETRY_BUDGET_SECONDS``, and whatever is
still undelivered is counted in ``errors`` (``ok`` is then false; the HTTP status stays 200).
Schedule it every 5 minutes to match the window.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import httpx
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from service import siem
from service.config import SIEM_BACKENDS, Settings
from service.models import AuditLog, Tenant

ROUTE = "siem-ship"
WINDOW_SECONDS = 300
MAX_ROWS = 500
log = logging.getLogger(__name__)


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class SiemSkipped(_Model):
    ok: bool = True
    skipped: str


class SiemShipResult(_Model):
    ok: bool = True
    backend: str
    shipped: int = 0
    errors: int = 0
    window_seconds: int = Field(WINDOW_SECONDS, alias="windowSeconds")
    rows_scanned: int = Field(0, alias="rowsScanned")

    @property
    def rows_affected(self) -> int:
        return self.shipped


def run(
    session: Session,
    settings: Settings,
    now: datetime,
    *,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
    rng: Callable[[], float] | None = None,
) -> SiemShipResult | SiemSkipped:
    backend = settings.siem_backend
    if not backend:
        return SiemSkipped(skipped="SIEM_BACKEND is not set")
    if backend not in SIEM_BACKENDS:
        return SiemSkipped(skipped=f"SIEM_BACKEND={backend!r} is not one of {', '.join(SIEM_BACKENDS)}")

    rows = session.scalars(
        select(AuditLog)
        .where(AuditLog.created_at > now - timedelta(seconds=WINDOW_SECONDS), AuditLog.created_at <= now)
        .order_by(AuditLog.created_at, AuditLog.id)
        .limit(MAX_ROWS)
    ).all()
    events = [siem.from_row(r) for r in rows]
    session.commit()  # no transaction stays open while the SIEM is called

    outcome = siem.ship(events, settings, client=client, sleep=sleep, clock=clock, rng=rng)
    if outcome.errors:
        log.warning("siem-ship: %s: %d shipped, %d not delivered", backend, outcome.shipped, outcome.errors)
    return SiemShipResult(
        ok=outcome.errors == 0,
        backend=backend,
        shipped=outcome.shipped,
        errors=outcome.errors,
        rows_scanned=len(rows),
    )


def demo(session: Session, tenants: Sequence[Tenant], now: datetime, rng: random.Random) -> None:
    """A few audit rows inside the last 5 minutes (what the next siem-ship run picks up)."""
    actions = ("create", "update", "delete", "mandatory_override")
    for i, tenant in enumerate(list(tenants)[:3]):
        for j in range(4):
            session.add(
                AuditLog(
                    tenant_id=tenant.id,
                    action=actions[(i + j) % len(actions)],
                    entity_type="offer",
                    entity_id=f"offer-{rng.randint(1, 12)}",
                    entity_name=f"Demo offer {j}",
                    changes={"field": "priority", "from": rng.randint(1, 5), "to": rng.randint(1, 5)},
                    user_id=f"user-{rng.randint(1, 9)}",
                    user_name="demo.admin",
                    request_id=f"req-{rng.getrandbits(48):012x}",
                    created_at=now - timedelta(seconds=rng.randint(5, WINDOW_SECONDS - 20)),
                )
            )
    session.flush()
