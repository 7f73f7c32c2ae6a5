"""The legacy tick's alert metrics, operators and severity (the rules: docs/service.md, legacy tick)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from service.models.decisioning import DecisionTrace, InteractionHistory

METRICS = ("acceptance_rate", "ctr", "revenue", "selection_frequency", "latency_p99", "degraded_scoring_rate")
OPERATORS = ("gt", "lt", "gte", "lte", "eq")
EQ_TOLERANCE = 1e-9


def percentile_nearest_rank(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


def compute_metric(session: Session, tenant_id: str, metric: str, lo: datetime, hi: datetime) -> float | None:
    """The metric over ``(lo, hi]`` for the tenant; None when undefined (no denominator)."""
    if metric in ("acceptance_rate", "ctr", "revenue"):
        ih = InteractionHistory
        impressions, accepts, clicks, revenue = session.execute(
            select(
                func.sum(case((ih.interaction_type == "impression", 1), else_=0)),
                func.sum(case((ih.interaction_type.in_(("accept", "convert")), 1), else_=0)),
                func.sum(case((ih.interaction_type.in_(("click", "convert")), 1), else_=0)),
                func.sum(func.coalesce(ih.conversion_value, 0.0)),
            ).where(ih.tenant_id == tenant_id, ih.occurred_at > lo, ih.occurred_at <= hi)
        ).one()
        impressions = int(impressions or 0)
        if metric == "revenue":
            return float(revenue or 0.0)
        if not impressions:
            return None
        return (
            int(accepts or 0) / impressions if metric == "acceptance_rate" else int(clicks or 0) / impressions
        )
    dt = DecisionTrace
    window = (dt.tenant_id == tenant_id, dt.created_at > lo, dt.created_at <= hi)
    if metric == "selection_frequency":
        return float(
            session.scalar(select(func.count()).select_from(dt).where(*window, dt.top_offer_id.is_not(None)))
            or 0
        )
    if metric == "latency_p99":
        return percentile_nearest_rank(
            list(session.scalars(select(dt.total_latency_ms).where(*window))), 0.99
        )
    if metric == "degraded_scoring_rate":
        total, degraded = session.execute(
            select(func.count(), func.sum(case((dt.degraded_scoring.is_(True), 1), else_=0))).where(*window)
        ).one()
        return int(degraded or 0) / total if total else None
    raise ValueError(f"alert_rules.metric {metric!r} is not one of {', '.join(METRICS)}")


def compare(observed: float, operator: str, threshold: float) -> bool:
    if operator == "gt":
        return observed > threshold
    if operator == "lt":
        return observed < threshold
    if operator == "gte":
        return observed >= threshold
    if operator == "lte":
        return observed <= threshold
    if operator == "eq":
        return abs(observed - threshold) <= EQ_TOLERANCE
    raise ValueError(f"alert_rules.operator {operator!r} is not one of {', '.join(OPERATORS)}")


def severity(observed: float, threshold: float, baseline: float | None) -> str:
    ref = threshold if threshold != 0 else baseline
    if ref is None or ref == 0:
        d = 0.0 if observed == (ref or 0.0) else math.inf
    else:
        d = abs(observed - ref) / abs(ref)
    if d >= 1.0:
        return "critical"
    if d >= 0.5:
        return "warning"
    return "info"
