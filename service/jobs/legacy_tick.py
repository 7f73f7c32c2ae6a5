"""Legacy ``POST /api/cron/tick`` — alert rules and report schedules, per active tenant.

**Alert rules** (enabled ones). Each rule looks at the window ``(now - windowMinutes, now]`` and,
for the severity of a zero threshold, the equal-width baseline window before it. Metrics:

* ``acceptance_rate`` = (``accept`` + ``convert`` events) / ``impression`` events;
* ``ctr`` = (``click`` + ``convert`` events) / ``impression`` events (the platform's definition);
* ``revenue`` = sum of ``conversion_value`` over the window's interactions (0 when none);
* ``selection_frequency`` = decision traces in the window that selected an offer
  (``top_offer_id`` not null) — a count per window;
* ``latency_p99`` = 99th percentile (nearest rank: the ⌈0.99·n⌉-th smallest) of the window's
  decision traces' ``total_latency_ms``;
* ``degraded_scoring_rate`` = decision traces with ``degraded_scoring`` / all decision traces.

Interactions are windowed by ``occurred_at``, decision traces by ``created_at``. A ratio with a zero
denominator (no impressions / no traces) is undefined: the rule is evaluated but cannot fire and
keeps its status. ``last_value`` records the observed value. Operators: ``gt`` ``lt`` ``gte`` ``lte``
``eq`` (``eq`` within 1e-9). A triggered rule fires unless it is inside its cooldown
(``now - last_fired_at < cooldownMinutes``; exactly at the end of the cooldown it may fire again).

Severity: ``d = |observed − threshold| / |threshold|``; for threshold 0, ``d = |observed − baseline|
/ |baseline|`` with the baseline window's value (undefined or zero baseline: ``d`` is 0 when the
observed value equals it, else infinite). ``d ≥ 1.0`` critical, ``d ≥ 0.5`` warning, else info.

Firing writes: one ``notifications`` row per entry of ``channels`` (a provider id string, or an
object ``{"type", "target"}`` rendered ``"<type>:<target>"``; no channels = one in-app
notification with ``channel`` null), one ``outbox_events`` row per notification (topic
``notifications``, type ``alert.fired``), ``last_fired_at = now``, ``status = 'firing'`` and one
``audit_log`` row ``alert_fired``. A rule whose condition no longer holds goes back to ``ok``.

**Report schedules**: enabled ones with ``next_run_at <= now`` are due. Each gets a
``report_runs`` row (``queued``, ``scheduled_for`` = the old ``next_run_at``), ``last_run_at = now``,
``last_status = 'queued'`` and ``next_run_at`` = the next occurrence strictly after *now* in the
schedule's time zone (anchored off now: missed ticks are not replayed). An invalid cron expression
or time zone parks the schedule: ``next_run_at = null``, ``last_status = 'invalid_schedule'``,
counted in ``failed`` (a parked schedule stays parked until it is edited). A schedule with no
``next_run_at`` is not due.

A rule that cannot be evaluated (unknown metric or operator, window < 1 minute, no finite
threshold) is checked before anything is written, skipped and reported in ``errors`` as
``"alert rule <id>: ..."``; the tenant's other rules and its report schedules still run. Each tenant is one transaction; a tenant-level failure is
reported in ``errors`` and the other tenants continue.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from pydantic import Field
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from service.config import Settings
from service.jobs._alert_metrics import (
    METRICS,
    OPERATORS,
    compare,
    compute_metric,
    severity,
)
from service.jobs._result import ApiModel, JobResult
from service.jobs._tenant_loop import TenantError, error_text, for_each_tenant, tenant_ids
from service.models.alerts import AlertRule, Notification
from service.models.audit import AuditLog
from service.models.decisioning import DecisionTrace, InteractionHistory
from service.models.outbox import OutboxEvent
from service.models.scheduling import ReportRun, ReportSchedule
from service.schedules import ScheduleError, parse_cron

ROUTE = "tick"


class AlertCounts(ApiModel):
    evaluated: int = 0
    fired: int = 0


class ReportCounts(ApiModel):
    due: int = 0
    ran: int = 0
    failed: int = 0


class TickResult(JobResult):
    ok: bool = True
    tenants: int = 0
    alerts: AlertCounts = Field(default_factory=AlertCounts)
    reports: ReportCounts = Field(default_factory=ReportCounts)
    errors: list[TenantError] = Field(default_factory=list)

    @property
    def rows_affected(self) -> int:
        return self.alerts.fired + self.reports.ran + self.reports.failed


def _channel_name(channel: Any) -> str | None:
    if isinstance(channel, dict):
        kind, target = channel.get("type"), channel.get("target")
        return f"{kind}:{target}" if target is not None else str(kind)
    return None if channel is None else str(channel)


def _validate_rule(rule: AlertRule) -> None:
    if rule.metric not in METRICS:
        raise ValueError(f"alert_rules.metric {rule.metric!r} is not one of {', '.join(METRICS)}")
    if rule.operator not in OPERATORS:
        raise ValueError(f"alert_rules.operator {rule.operator!r} is not one of {', '.join(OPERATORS)}")
    if rule.window_minutes is None or rule.window_minutes < 1:
        raise ValueError(f"alert_rules.window_minutes must be >= 1, got {rule.window_minutes!r}")
    if rule.threshold is None or not math.isfinite(rule.threshold):
        raise ValueError(f"alert_rules.threshold must be a finite number, got {rule.threshold!r}")


def _evaluate_rule(session: Session, rule: AlertRule, now: datetime) -> bool:
    width = timedelta(minutes=rule.window_minutes)
    observed = compute_metric(session, rule.tenant_id, rule.metric, now - width, now)
    rule.last_value = observed
    if observed is None:
        return False
    if not compare(observed, rule.operator, rule.threshold):
        rule.status = "ok"
        return False
    rule.status = "firing"
    cooldown = timedelta(minutes=max(rule.cooldown_minutes or 0, 0))
    if rule.last_fired_at is not None and now - rule.last_fired_at < cooldown:
        return False
    baseline = (
        compute_metric(session, rule.tenant_id, rule.metric, now - 2 * width, now - width)
        if rule.threshold == 0
        else None
    )
    sev = severity(observed, rule.threshold, baseline)
    message = (
        f"Alert '{rule.name}': {rule.metric} = {observed:.6g} {rule.operator} {rule.threshold:.6g} "
        f"over the last {rule.window_minutes} min ({sev})"
    )
    payload = {
        "ruleId": rule.id,
        "ruleName": rule.name,
        "metric": rule.metric,
        "operator": rule.operator,
        "threshold": rule.threshold,
        "observed": observed,
        "baseline": baseline,
        "severity": sev,
        "windowMinutes": rule.window_minutes,
        "firedAt": now.isoformat(),
    }
    channels = [_channel_name(c) for c in (rule.channels or [])] or [None]
    for channel in channels:
        note = Notification(
            tenant_id=rule.tenant_id,
            alert_rule_id=rule.id,
            channel=channel,
            severity=sev,
            message=message,
            payload=payload,
            status="queued",
            created_at=now,
        )
        session.add(note)
        session.flush()
        session.add(
            OutboxEvent(
                tenant_id=rule.tenant_id,
                topic="notifications",
                event_type="alert.fired",
                payload=dict(payload, notificationId=note.id, channel=channel),
                status="pending",
                created_at=now,
            )
        )
    rule.last_fired_at = now
    session.add(
        AuditLog(
            tenant_id=rule.tenant_id,
            action="alert_fired",
            entity_type="alert_rule",
            entity_id=rule.id,
            entity_name=rule.name,
            changes={
                "observed": observed,
                "threshold": rule.threshold,
                "operator": rule.operator,
                "severity": sev,
                "baseline": baseline,
                "channels": channels,
            },
            user_id="system:cron",
            user_name="cron",
            created_at=now,
        )
    )
    return True


def _run_report(session: Session, sched: ReportSchedule, now: datetime) -> bool:
    """Run one due schedule; False when its cron/time zone is invalid (it is parked)."""
    try:
        cron = parse_cron(sched.cron_expression, sched.timezone or "UTC", field="cron_expression")
    except ScheduleError as exc:
        sched.next_run_at = None
        sched.last_status = "invalid_schedule"
        session.add(
            AuditLog(
                tenant_id=sched.tenant_id,
                action="report_schedule_parked",
                entity_type="report_schedule",
                entity_id=sched.id,
                entity_name=sched.name,
                changes={"error": str(exc)},
                user_id="system:cron",
                user_name="cron",
                created_at=now,
            )
        )
        return False
    session.add(
        ReportRun(
            schedule_id=sched.id,
            tenant_id=sched.tenant_id,
            status="queued",
            scheduled_for=sched.next_run_at,
            output={"templateId": sched.template_id, "destinations": sched.destinations or []},
            created_at=now,
        )
    )
    sched.last_run_at = now
    sched.last_status = "queued"
    sched.next_run_at = cron.next_after(now)
    return True


def _tenant(session: Session, tenant_id: str, now: datetime) -> dict[str, Any]:
    out: dict[str, Any] = {"evaluated": 0, "fired": 0, "due": 0, "ran": 0, "failed": 0, "rule_errors": []}
    rules = session.scalars(
        select(AlertRule)
        .where(AlertRule.tenant_id == tenant_id, AlertRule.enabled.is_(True))
        .order_by(AlertRule.id)
    ).all()
    for rule in rules:
        out["evaluated"] += 1
        try:
            _validate_rule(rule)  # before any write: a broken rule costs only itself
        except ValueError as exc:
            out["rule_errors"].append(f"alert rule {rule.id}: {error_text(exc)}")
            continue
        out["fired"] += int(_evaluate_rule(session, rule, now))
    due = session.scalars(
        select(ReportSchedule)
        .where(
            ReportSchedule.tenant_id == tenant_id,
            ReportSchedule.enabled.is_(True),
            ReportSchedule.next_run_at.is_not(None),
            ReportSchedule.next_run_at <= now,
        )
        .order_by(ReportSchedule.id)
    ).all()
    for sched in due:
        out["due"] += 1
        if _run_report(session, sched, now):
            out["ran"] += 1
        else:
            out["failed"] += 1
    session.flush()
    return out


def run(session: Session, settings: Settings, now: datetime) -> TickResult:
    ids = tenant_ids(session, active_only=True)
    done, errors = for_each_tenant(session, ids, lambda tid: _tenant(session, tid, now), job="tick")
    result = TickResult(tenants=len(ids), errors=errors)
    for tid, d in done.items():
        result.errors.extend(TenantError(tenant_id=tid, error=e) for e in d["rule_errors"])
        result.alerts.evaluated += d["evaluated"]
        result.alerts.fired += d["fired"]
        result.reports.due += d["due"]
        result.reports.ran += d["ran"]
        result.reports.failed += d["failed"]
    result.ok = not result.errors
    return result


def demo(session: Session, tenants: Sequence[Any], now: datetime, rng: random.Random) -> None:
    """Recent traffic, alert rules that fire (and one that does not), due and broken report schedules."""
    for t in tenants:
        tid = getattr(t, "id", t)
        rows = []
        for i in range(50):
            ts = now - timedelta(minutes=rng.uniform(0.1, 4.9))
            kind = "impression" if i < 40 else ("click" if i < 44 else "convert")
            rows.append(
                {
                    "tenant_id": tid,
                    "customer_id": f"c{i}",
                    "offer_id": "offer-demo",
                    "interaction_type": kind,
                    "occurred_at": ts,
                    "created_at": ts,
                    "direction": "outbound",
                    "context": {},
                    "conversion_value": 30.0 if kind == "convert" else None,
                }
            )
        session.execute(
            cast(Table, InteractionHistory.__table__).insert(), rows
        )  # Core, not the ORM bulk path
        for i in range(20):
            ts = now - timedelta(minutes=rng.uniform(0.1, 4.9))
            session.add(
                DecisionTrace(
                    tenant_id=tid,
                    customer_id=f"c{i}",
                    top_offer_id="offer-demo",
                    total_latency_ms=rng.uniform(20, 80) if i else 950.0,
                    degraded_scoring=i % 5 == 0,
                    created_at=ts,
                )
            )
        session.add(
            AlertRule(
                tenant_id=tid,
                name="p99 latency above 500 ms",
                metric="latency_p99",
                operator="gt",
                threshold=500.0,
                window_minutes=5,
                cooldown_minutes=60,
                channels=["00000000-0000-4000-8000-000000000001"],
            )
        )
        session.add(
            AlertRule(
                tenant_id=tid,
                name="Degraded scoring over 10%",
                metric="degraded_scoring_rate",
                operator="gte",
                threshold=0.1,
                window_minutes=5,
                cooldown_minutes=30,
                channels=[
                    {"type": "webhook", "target": "https://hooks.example.invalid/alerts"},
                    {"type": "email", "target": "oncall@example.invalid"},
                ],
            )
        )
        session.add(
            AlertRule(
                tenant_id=tid,
                name="CTR collapsed",
                metric="ctr",
                operator="lt",
                threshold=0.01,
                window_minutes=5,
                cooldown_minutes=60,
                channels=[],
            )
        )
        session.add(
            ReportSchedule(
                tenant_id=tid,
                template_id="tpl-weekly-kpis",
                name="Weekly KPIs (Berlin)",
                cron_expression="0 8 * * MON",
                timezone="Europe/Berlin",
                destinations=[{"type": "email", "to": "team@example.invalid"}],
                next_run_at=now - timedelta(minutes=rng.randint(1, 120)),
            )
        )
        session.add(
            ReportSchedule(
                tenant_id=tid,
                template_id="tpl-daily",
                name="Daily digest",
                cron_expression="0 7 * * *",
                timezone="UTC",
                next_run_at=now + timedelta(hours=3),
            )
        )
        session.add(
            ReportSchedule(
                tenant_id=tid,
                template_id="tpl-broken",
                name="Broken schedule",
                cron_expression="every monday",
                timezone="UTC",
                next_run_at=now - timedelta(minutes=5),
            )
        )
    session.flush()
