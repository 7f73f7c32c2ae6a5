"""/api/v1/cron/cleanup (``30 4 * * *``) — per-tenant retention cleanup with legal hold.

For every tenant (active or not: retention is an obligation either way), in this order:

1. **suppressions** whose ``expires_at < now`` (an expiry exactly at ``now`` is kept);
2. **daily summaries** (``period_type = 'daily'``) whose ``period_start`` is older than
   ``summary_retention_days`` (default 2555): ``period_start < now - days``;
3. **interaction history** whose ``created_at`` is older than ``interaction_history_retention_days``
   (default 730);
4. **decision traces** whose ``created_at`` is older than ``decision_trace_retention_days``
   (default 365).

A ``retention_configs`` row for the tenant and the data class (``suppressions``, ``summaries``,
``interactions``, ``decision_traces``) refines this: ``legal_hold = true`` means the class is never
touched; a non-null ``retention_days`` overrides the tenant column. A retention of less than one
day is refused as an error for that tenant (it would delete everything) — the tenant is reported in
``errors`` and the others continue. The recorded export objects of interaction history past its
cutoff are purged too (:mod:`service.jobs._export_purge`: deleted, or rewritten atomically without the
expired rows; never when the class is on hold), reported as ``exportObjects: {deleted, rewritten}``. Deletes run in batches of ``DELETE_BATCH_SIZE`` rows, each its
own short transaction (:func:`service.purge.delete_in_batches`), renewing the run lease between
batches. ``ok`` is false when any tenant failed; the route still answers 200.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import Settings
from service.jobs._export_purge import ExportObjects, purge_tenants
from service.jobs._export_purge import Target as ExportTarget
from service.jobs._result import JobResult
from service.jobs._tenant_loop import TenantError, for_each_tenant, tenant_ids
from service.models.decisioning import DecisionTrace, InteractionHistory, InteractionSummary, Suppression
from service.models.tenants import (
    DATA_CLASS_DECISION_TRACES,
    DATA_CLASS_INTERACTIONS,
    DATA_CLASS_SUMMARIES,
    DATA_CLASS_SUPPRESSIONS,
    RetentionConfig,
    Tenant,
)
from service.purge import delete_in_batches
from service.runcontext import heartbeat, should_stop

ROUTE = "cleanup"


class CleanupResult(JobResult):
    ok: bool = True
    tenants: int = 0
    suppressions: int = 0
    daily_summaries: int = 0
    interaction_history: int = 0
    decision_traces: int = 0
    held: list[str] = Field(
        default_factory=list, description="'<tenant>/<data class>' skipped for legal hold"
    )
    errors: list[TenantError] = Field(default_factory=list)
    # export objects of interaction history past the cutoff: deleted, or rewritten without expired rows
    export_objects: ExportObjects = Field(default_factory=ExportObjects)

    @property
    def rows_affected(self) -> int:
        return self.suppressions + self.daily_summaries + self.interaction_history + self.decision_traces


def _days(value: int | None, tenant_id: str, what: str) -> int:
    if value is None or isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"tenant {tenant_id}: {what} is {value!r}; it must be a whole number of days >= 1")
    return value


def _cutoff(now: datetime, days: int) -> datetime:
    try:
        return now - timedelta(days=days)
    except OverflowError:  # a retention longer than the calendar: nothing is ever old enough
        return datetime.min.replace(tzinfo=now.tzinfo) + timedelta(days=1)


def _heartbeat(_deleted: int) -> None:
    """``on_batch`` adapter: renew the run lease after each committed batch."""
    heartbeat()


def _cleanup_tenant(
    session: Session, tenant: Tenant, settings: Settings, now: datetime, result: CleanupResult
) -> dict[str, int]:
    configs = {
        c.data_class: c
        for c in session.scalars(select(RetentionConfig).where(RetentionConfig.tenant_id == tenant.id))
    }
    session.commit()  # end the read transaction before the batched deletes
    counts = {"suppressions": 0, "daily_summaries": 0, "interaction_history": 0, "decision_traces": 0}
    held: list[str] = []

    def days_for(data_class: str, tenant_days: int, what: str) -> int | None:
        cfg = configs.get(data_class)
        if cfg is not None and cfg.legal_hold:
            held.append(f"{tenant.id}/{data_class}")
            return None
        if cfg is not None and cfg.retention_days is not None:
            return _days(cfg.retention_days, tenant.id, f"retention_configs[{data_class}].retention_days")
        return _days(tenant_days, tenant.id, what)

    # Validate every class first, so a bad setting fails the tenant before anything is deleted.
    plan: list[tuple[str, Any, list[Any]]] = []
    cfg = configs.get(DATA_CLASS_SUPPRESSIONS)
    if cfg is not None and cfg.legal_hold:
        held.append(f"{tenant.id}/{DATA_CLASS_SUPPRESSIONS}")
    else:
        plan.append(
            ("suppressions", Suppression, [Suppression.tenant_id == tenant.id, Suppression.expires_at < now])
        )
    d = days_for(DATA_CLASS_SUMMARIES, tenant.summary_retention_days, "summary_retention_days")
    if d is not None:
        cut = _cutoff(now, d)
        plan.append(
            (
                "daily_summaries",
                InteractionSummary,
                [
                    InteractionSummary.tenant_id == tenant.id,
                    InteractionSummary.period_type == "daily",
                    InteractionSummary.period_start < cut,
                ],
            )
        )
    d = days_for(
        DATA_CLASS_INTERACTIONS,
        tenant.interaction_history_retention_days,
        "interaction_history_retention_days",
    )
    export_cut: datetime | None = None
    if d is not None:
        cut = export_cut = _cutoff(now, d)
        plan.append(
            (
                "interaction_history",
                InteractionHistory,
                [InteractionHistory.tenant_id == tenant.id, InteractionHistory.created_at < cut],
            )
        )
    d = days_for(
        DATA_CLASS_DECISION_TRACES, tenant.decision_trace_retention_days, "decision_trace_retention_days"
    )
    if d is not None:
        cut = _cutoff(now, d)
        plan.append(
            (
                "decision_traces",
                DecisionTrace,
                [DecisionTrace.tenant_id == tenant.id, DecisionTrace.created_at < cut],
            )
        )

    result.held.extend(held)
    for key, model, where in plan:
        if should_stop():  # shutdown: keep what is committed, the next run does the rest
            break
        # counted as soon as each class finishes, so a later failure still reports what was deleted
        counts[key] = delete_in_batches(
            session, model, where, settings.delete_batch_size, on_batch=_heartbeat, stop=should_stop
        )
        setattr(result, key, getattr(result, key) + counts[key])
    if export_cut is not None and not should_stop():
        # the exported copies of interaction history obey the same cutoff (after the rows are gone)
        mine = ExportObjects()
        errors: list[str] = []
        purge_tenants(session, settings, ROUTE, [ExportTarget(tenant.id, export_cut, mine, errors)])
        result.export_objects.deleted += mine.deleted
        result.export_objects.rewritten += mine.rewritten
        counts["export_objects_deleted"], counts["export_objects_rewritten"] = mine.deleted, mine.rewritten
        if errors:
            raise RuntimeError("; ".join(errors))
    return counts


def run(session: Session, settings: Settings, now: datetime) -> CleanupResult:
    result = CleanupResult()
    ids = tenant_ids(session, active_only=False)

    def step(tid: str | None) -> dict[str, int]:
        if should_stop():
            return {}
        tenant = session.get(Tenant, tid)
        if tenant is None:  # deleted since the list was read
            return {}
        return _cleanup_tenant(session, tenant, settings, now, result)

    done, errors = for_each_tenant(session, ids, step, job=ROUTE)
    result.tenants = len(ids)
    result.errors = errors
    result.ok = not errors
    return result


def demo(session: Session, tenants: Sequence[Any], now: datetime, rng: random.Random) -> None:
    """Expired suppressions, ancient daily summaries, interactions and traces past retention."""
    for t in tenants:
        tid = getattr(t, "id", t)
        for i in range(rng.randint(3, 8)):
            session.add(
                Suppression(
                    tenant_id=tid,
                    customer_id=f"cust-{i:04d}",
                    reason="demo: expired cooldown",
                    expires_at=now - timedelta(days=rng.randint(1, 30)),
                    created_at=now - timedelta(days=40),
                )
            )
        session.add(
            Suppression(
                tenant_id=tid,
                customer_id="cust-live",
                reason="demo: still active",
                expires_at=now + timedelta(days=7),
                created_at=now,
            )
        )
        for i in range(rng.randint(2, 5)):
            start = (now - timedelta(days=2555 + 30 + i)).replace(hour=0, minute=0, second=0, microsecond=0)
            session.add(
                InteractionSummary(
                    tenant_id=tid,
                    customer_id=f"cust-{i:04d}",
                    offer_id="offer-legacy",
                    period_type="daily",
                    period_key=start.strftime("%Y-%m-%d"),
                    period_start=start,
                    impressions=3,
                    created_at=start,
                )
            )
        for i in range(rng.randint(5, 12)):
            ts = now - timedelta(days=731 + i)
            session.add(
                InteractionHistory(
                    tenant_id=tid,
                    customer_id=f"cust-{i:04d}",
                    offer_id="offer-legacy",
                    interaction_type="impression",
                    occurred_at=ts,
                    created_at=ts,
                )
            )
        for i in range(rng.randint(3, 8)):
            ts = now - timedelta(days=366 + i)
            session.add(
                DecisionTrace(
                    tenant_id=tid,
                    customer_id=f"cust-{i:04d}",
                    top_offer_id="offer-legacy",
                    total_latency_ms=20.0,
                    created_at=ts,
                )
            )
    session.flush()
