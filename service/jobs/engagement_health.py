"""/api/v1/cron/engagement-health-recompute (``15 3 * * *``) — per-offer engagement health.

For every active tenant and every offer with interaction history in the last 60 days, two rows of
``engagement_health`` are computed — ``window_days`` 7 and 30 — and upserted on
``(tenant_id, offer_id, window_days)``, so a re-run replaces them (same ``now`` → identical rows,
never a duplicate). Rows of offers with no interaction in the last 60 days are deleted.

Windows are by ``occurred_at``: current = ``(now - W days, now]``, previous = ``(now - 2W, now - W]``.

* ``impressions`` = ``impression`` events;
* ``clicks`` = ``click`` + ``convert`` events (the platform's CTR definition: "clicks (click +
  convert) / impressions");
* ``converts`` = ``convert`` events; ``dismissals`` = ``dismiss`` events (``accept`` events feed
  the alert rules' acceptance rate, not engagement health);
* ``ctr`` = clicks / impressions and ``conversion_rate`` = converts / impressions (null without
  impressions); ``prev_*`` the same over the previous window;
* ``ctr_change`` / ``conversion_rate_change`` = relative change ``(current - previous) / previous``
  (null when the previous value is null or 0).

Status: ``at-risk`` when the larger relative *drop* of CTR and conversion rate is at least
``ENGAGEMENT_AT_RISK_DROP`` (default 0.5 = halved), ``watch`` when at least
``ENGAGEMENT_WATCH_DROP`` (default 0.2), else ``healthy``. Too little evidence is ``healthy``: when
either window has fewer than ``ENGAGEMENT_MIN_IMPRESSIONS`` (default 100) impressions the offer is
not flagged (the counts on the row show why). Each tenant is one transaction; one tenant's failure
is reported in ``errors`` and the others continue.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from pydantic import Field
from sqlalchemy import Table, and_, case, delete, func, select, tuple_
from sqlalchemy.orm import Session

from service.config import Settings
from service.jobs._result import JobResult
from service.jobs._tenant_loop import TenantError, for_each_tenant, tenant_ids
from service.models.decisioning import EngagementHealth, InteractionHistory

ROUTE = "engagement-health-recompute"
WINDOWS = (7, 30)
_TYPES = ("impression", "click", "convert", "dismiss")


class EngagementHealthResult(JobResult):
    ok: bool = True
    tenants: int = 0
    offers_scored: int = 0
    at_risk: int = Field(0, description="offer/window rows with status at-risk")
    watch: int = 0
    errors: list[TenantError] = Field(default_factory=list)

    @property
    def rows_affected(self) -> int:
        return self.offers_scored * len(WINDOWS)  # rows upserted


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _change(cur: float | None, prev: float | None) -> float | None:
    if cur is None or prev is None or prev == 0:
        return None
    return (cur - prev) / prev


def classify(
    cur_impr: int, prev_impr: int, ctr_change: float | None, cr_change: float | None, settings: Settings
) -> str:
    """healthy / watch / at-risk from the relative drops (documented in the module docstring)."""
    if cur_impr < settings.engagement_min_impressions or prev_impr < settings.engagement_min_impressions:
        return "healthy"
    drops = [-c for c in (ctr_change, cr_change) if c is not None]
    drop = max(drops, default=0.0)
    if drop >= settings.engagement_at_risk_drop:
        return "at-risk"
    if drop >= settings.engagement_watch_drop:
        return "watch"
    return "healthy"


def _counts(
    session: Session, tenant_id: str, now: datetime
) -> dict[str, dict[tuple[int, bool], dict[str, int]]]:
    """offer -> (window, is_previous) -> interaction type -> count, from one grouped query."""
    ih = InteractionHistory
    buckets = []
    for w in WINDOWS:
        cur_lo, prev_lo = now - timedelta(days=w), now - timedelta(days=2 * w)
        buckets.append(((w, False), and_(ih.occurred_at > cur_lo, ih.occurred_at <= now)))
        buckets.append(((w, True), and_(ih.occurred_at > prev_lo, ih.occurred_at <= cur_lo)))
    cols = [func.sum(case((cond, 1), else_=0)) for _, cond in buckets]
    rows = session.execute(
        select(ih.offer_id, ih.interaction_type, *cols)
        .where(
            ih.tenant_id == tenant_id,
            ih.offer_id.is_not(None),
            ih.interaction_type.in_(_TYPES),
            ih.occurred_at > now - timedelta(days=2 * max(WINDOWS)),
            ih.occurred_at <= now,
        )
        .group_by(ih.offer_id, ih.interaction_type)
    ).all()
    out: dict[str, dict[tuple[int, bool], dict[str, int]]] = {}
    for offer_id, itype, *sums in rows:
        per = out.setdefault(offer_id, {key: dict.fromkeys(_TYPES, 0) for key, _ in buckets})
        for (key, _), n in zip(buckets, sums, strict=True):
            per[key][itype] += int(n or 0)
    return out


def _metrics(c: dict[str, int]) -> dict[str, Any]:
    impressions = c["impression"]
    clicks = c["click"] + c["convert"]
    return {
        "impressions": impressions,
        "clicks": clicks,
        "converts": c["convert"],
        "dismissals": c["dismiss"],
        "ctr": _ratio(clicks, impressions),
        "conversion_rate": _ratio(c["convert"], impressions),
    }


def _tenant(session: Session, tenant_id: str, settings: Settings, now: datetime) -> dict[str, int]:
    counts = _counts(session, tenant_id, now)
    existing = {
        (r.offer_id, r.window_days): r
        for r in session.scalars(select(EngagementHealth).where(EngagementHealth.tenant_id == tenant_id))
    }
    tally = {"offers": len(counts), "at-risk": 0, "watch": 0}
    for offer_id in sorted(counts):
        for w in WINDOWS:
            cur, prev = _metrics(counts[offer_id][(w, False)]), _metrics(counts[offer_id][(w, True)])
            ctr_change, cr_change = (
                _change(cur["ctr"], prev["ctr"]),
                _change(cur["conversion_rate"], prev["conversion_rate"]),
            )
            status = classify(cur["impressions"], prev["impressions"], ctr_change, cr_change, settings)
            if status in tally:
                tally[status] += 1
            values = dict(
                cur,
                prev_ctr=prev["ctr"],
                prev_conversion_rate=prev["conversion_rate"],
                ctr_change=ctr_change,
                conversion_rate_change=cr_change,
                status=status,
                computed_at=now,
            )
            row = existing.pop((offer_id, w), None)
            if row is None:
                session.add(EngagementHealth(tenant_id=tenant_id, offer_id=offer_id, window_days=w, **values))
            else:
                for k, v in values.items():
                    setattr(row, k, v)
    stale = list(existing)
    for start in range(0, len(stale), 500):
        session.execute(
            delete(EngagementHealth)
            .where(
                EngagementHealth.tenant_id == tenant_id,
                tuple_(EngagementHealth.offer_id, EngagementHealth.window_days).in_(
                    stale[start : start + 500]
                ),
            )
            .execution_options(synchronize_session=False)
        )
    session.flush()
    return tally


def run(session: Session, settings: Settings, now: datetime) -> EngagementHealthResult:
    ids = tenant_ids(session, active_only=True)
    done, errors = for_each_tenant(session, ids, lambda tid: _tenant(session, tid, settings, now), job=ROUTE)
    return EngagementHealthResult(
        ok=not errors,
        tenants=len(ids),
        offers_scored=sum(t["offers"] for t in done.values()),
        at_risk=sum(t["at-risk"] for t in done.values()),
        watch=sum(t["watch"] for t in done.values()),
        errors=errors,
    )


def demo(session: Session, tenants: Sequence[Any], now: datetime, rng: random.Random) -> None:
    """Three offers: steady, CTR halved this week (at-risk), mildly down (watch); 60 days of events."""
    profiles = {
        "offer-steady": (4, 4),
        "offer-fading": (5, 2),
        "offer-softer": (5, 3),
    }  # clicks/day: before, now
    for t in tenants:
        tid = getattr(t, "id", t)
        rows: list[dict[str, Any]] = []
        for offer, (old_clicks, new_clicks) in profiles.items():
            for day in range(14):
                clicks = new_clicks if day < 7 else old_clicks
                ts = now - timedelta(days=day, hours=1)
                impressions = 40
                for kind, n in (("impression", impressions), ("click", clicks), ("dismiss", 2)):
                    rows.extend(
                        {
                            "tenant_id": tid,
                            "customer_id": f"c{day}-{i}",
                            "offer_id": offer,
                            "interaction_type": kind,
                            "occurred_at": ts,
                            "created_at": ts,
                            "direction": "outbound",
                            "context": {},
                        }
                        for i in range(n)
                    )
                if day % 3 == 0:
                    rows.append(
                        {
                            "tenant_id": tid,
                            "customer_id": f"c{day}-x",
                            "offer_id": offer,
                            "interaction_type": "convert",
                            "occurred_at": ts,
                            "created_at": ts,
                            "direction": "outbound",
                            "conversion_value": 25.0,
                            "context": {},
                        }
                    )
        session.execute(
            cast(Table, InteractionHistory.__table__).insert(), rows
        )  # Core, not the ORM bulk path
    session.flush()
