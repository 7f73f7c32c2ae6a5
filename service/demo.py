"""``kaireon-service demo-data``: realistic demo rows in every table.

The base data is written here: tenants (one inactive when there are four or more), per-class
retention configs with legal holds, interaction history over ~2.3 years (so part of it is past the
730-day default retention), daily/weekly/monthly/all-time interaction summaries, decision traces,
suppressions (expired and live) and admin audit rows. Then every registered job module's optional
``demo(session, tenants, now, rng)`` hook adds the rows *that* job acts on (stuck outbox rows,
expired approvals, due pipelines and retrains, alert rules that fire, due report schedules,
attachments with blobs, …). Each hook runs in a savepoint: a failing hook is reported and skipped,
the rest of the data stays.

Deterministic for a given ``--seed`` (apart from ``now``).
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.orm import Session

from service.config import Settings
from service.db import make_sessionmaker
from service.jobs import JOB_MODULES, load_job
from service.jsonlog import get_logger, log_event
from service.models import Base
from service.models.audit import AuditLog
from service.models.decisioning import DecisionTrace, InteractionHistory, InteractionSummary, Suppression
from service.models.tenants import (
    DATA_CLASS_AI_ATTACHMENTS,
    DATA_CLASS_DECISION_TRACES,
    DATA_CLASS_INTERACTIONS,
    DATA_CLASS_SUMMARIES,
    DATA_CLASS_SUPPRESSIONS,
    RetentionConfig,
    Tenant,
)

log = get_logger("kaireon.demo")

TENANT_NAMES = [
    "Acme Corp",
    "Beta Inc",
    "Globex Retail",
    "Initech Bank",
    "Umbrella Telecom",
    "Hooli Media",
    "Stark Insurance",
    "Wayne Travel",
    "Wonka Foods",
    "Tyrell Energy",
]
OFFERS = [
    ("offer-cashback", "cards"),
    ("offer-travel-miles", "cards"),
    ("offer-mortgage-fix", "loans"),
    ("offer-savings-boost", "savings"),
    ("offer-premium-upgrade", "accounts"),
    ("offer-auto-loan", "loans"),
    ("offer-roaming-pack", "telco"),
    ("offer-family-plan", "telco"),
]
CHANNELS = ["web", "mobile-app", "email", "sms", "call-center"]
# interaction_type, weight, outcome key
TYPES = [
    ("impression", 70, None),
    ("click", 14, "click"),
    ("dismiss", 9, "dismissed"),
    ("accept", 4, "accepted"),
    ("convert", 3, "converted"),
]
HISTORY_DAYS = 850  # a little past the 730-day default retention


def _pick_type(rng: random.Random) -> tuple[str, str | None]:
    r = rng.uniform(0, sum(w for _, w, _ in TYPES))
    for name, w, outcome in TYPES:
        r -= w
        if r <= 0:
            return name, outcome
    return TYPES[0][0], TYPES[0][2]


def reset_all(session: Session) -> None:
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(delete(table))


def _tenants(n: int, now: datetime) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        name = TENANT_NAMES[i % len(TENANT_NAMES)] + (
            f" {i // len(TENANT_NAMES) + 1}" if i >= len(TENANT_NAMES) else ""
        )
        out.append(
            {
                "id": f"tenant_{i + 1:03d}",
                "name": name,
                "active": not (n >= 4 and i == n - 1),  # the last of 4+ tenants is inactive (offboarded)
                "interaction_history_retention_days": 730,
                "summary_retention_days": 2555,
                "decision_trace_retention_days": 365 if i % 2 == 0 else 180,
                "timezone": ["UTC", "Europe/Berlin", "America/New_York", "Asia/Singapore"][i % 4],
                "settings": {
                    "decisionTraceEnabled": True,
                    "decisionTraceSampleRate": 0.1,
                    "retentionDays": 365,
                    "approvalWorkflowEnabled": i % 2 == 0,
                },
                "created_at": now - timedelta(days=HISTORY_DAYS + 30 - i),
            }
        )
    return out


def _retention_configs(tenants: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Configs that leave room for the jobs' own hooks (dsar-purge configures tenants 1-2's
    interactions/traces/attachments; tenant 3 is deliberately left without configs)."""
    rows = []
    for i, t in enumerate(tenants):
        if i == 2:
            continue
        classes: dict[str, tuple[int | None, bool, str | None]] = {
            DATA_CLASS_SUMMARIES: (2555, False, None),
            DATA_CLASS_SUPPRESSIONS: (90, False, None),
        }
        if i == 1:
            classes[DATA_CLASS_SUMMARIES] = (365, True, "regulator inquiry REG-2026-114: preserve summaries")
        if i >= 3:
            classes.update(
                {
                    DATA_CLASS_INTERACTIONS: (
                        365,
                        i % 2 == 1,
                        "litigation hold: case 24-cv-0193" if i % 2 == 1 else None,
                    ),
                    DATA_CLASS_DECISION_TRACES: (180, False, None),
                    DATA_CLASS_AI_ATTACHMENTS: (None, True, "legal hold until further notice"),
                }
            )
        for data_class, (days, hold, reason) in classes.items():
            rows.append(
                {
                    "id": f"rc_{t['id']}_{data_class}",
                    "tenant_id": t["id"],
                    "data_class": data_class,
                    "retention_days": days,
                    "legal_hold": hold,
                    "reason": reason,
                    "created_at": now - timedelta(days=120),
                    "updated_at": now - timedelta(days=5),
                }
            )
    return rows


def _history(tenant_id: str, rows: int, now: datetime, rng: random.Random) -> list[dict[str, Any]]:
    customers = [f"cust-{rng.randint(10000, 99999)}" for _ in range(max(5, rows // 8))]
    out: list[dict[str, Any]] = []
    for _ in range(rows):
        # skewed towards recent activity
        age = min(HISTORY_DAYS, rng.expovariate(1 / 220))
        occurred = now - timedelta(days=age, seconds=rng.randint(0, 86399))
        itype, outcome = _pick_type(rng)
        offer, category = rng.choice(OFFERS)
        out.append(
            {
                "tenant_id": tenant_id,
                "customer_id": rng.choice(customers),
                "offer_id": offer,
                "creative_id": f"{offer}-cr{rng.randint(1, 3)}",
                "channel_id": rng.choice(CHANNELS),
                "interaction_type": itype,
                "outcome_type_key": outcome,
                "direction": "inbound" if rng.random() < 0.2 else "outbound",
                "conversion_value": round(rng.uniform(20, 900), 2) if itype == "convert" else None,
                "context": {"offerCategory": category, "placement": rng.choice(["hero", "sidebar", "inbox"])},
                "occurred_at": occurred,
                "created_at": occurred + timedelta(seconds=rng.randint(0, 5)),
            }
        )
    out.sort(key=lambda r: r["created_at"])
    return out


def _summaries(tenant_id: str, history: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    agg: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    periods: dict[str, Callable[[datetime], tuple[str, datetime]]] = {
        "daily": lambda d: (d.strftime("%Y-%m-%d"), datetime(d.year, d.month, d.day, tzinfo=UTC)),
        "weekly": lambda d: (
            (d - timedelta(days=d.weekday())).strftime("%G-W%V"),
            datetime(d.year, d.month, d.day, tzinfo=UTC) - timedelta(days=d.weekday()),
        ),
        "monthly": lambda d: (d.strftime("%Y-%m"), datetime(d.year, d.month, 1, tzinfo=UTC)),
        "alltime": lambda d: ("alltime", datetime(2020, 1, 1, tzinfo=UTC)),
    }
    for h in history:
        for ptype, keyfn in periods.items():
            pkey, pstart = keyfn(h["occurred_at"])
            k = (h["customer_id"], h["offer_id"], ptype, pkey)
            row = agg.get(k)
            if row is None:
                row = agg[k] = {
                    "tenant_id": tenant_id,
                    "customer_id": h["customer_id"],
                    "offer_id": h["offer_id"],
                    "period_type": ptype,
                    "period_key": pkey,
                    "period_start": pstart,
                    "impressions": 0,
                    "positive": 0,
                    "negative": 0,
                    "neutral": 0,
                    "converts": 0,
                    "total_value": 0.0,
                    "last_contact_at": None,
                    "created_at": pstart,
                }
            t = h["interaction_type"]
            row["impressions"] += t == "impression"
            row["positive"] += t in ("click", "accept", "convert")
            row["negative"] += t == "dismiss"
            row["neutral"] += t == "impression"
            row["converts"] += t == "convert"
            row["total_value"] = round(row["total_value"] + (h["conversion_value"] or 0.0), 2)
            if row["last_contact_at"] is None or h["occurred_at"] > row["last_contact_at"]:
                row["last_contact_at"] = h["occurred_at"]
    return list(agg.values())


def _traces(tenant_id: str, n: int, now: datetime, rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for _ in range(n):
        created = now - timedelta(days=min(500, rng.expovariate(1 / 150)), seconds=rng.randint(0, 86399))
        offer, _cat = rng.choice(OFFERS)
        candidates = rng.randint(4, 40)
        degraded = rng.random() < 0.03
        out.append(
            {
                "tenant_id": tenant_id,
                "customer_id": f"cust-{rng.randint(10000, 99999)}",
                "request_id": f"req-{rng.getrandbits(48):012x}",
                "decision_flow_key": rng.choice(["nba-web", "nba-app", "email-weekly"]),
                "top_offer_id": offer,
                "candidate_count": candidates,
                "final_count": rng.randint(1, min(3, candidates)),
                "total_latency_ms": round(rng.lognormvariate(3.0, 0.5) * (4 if degraded else 1), 2),
                "degraded_scoring": degraded,
                "result": {"count": 1, "topOffer": {"offerId": offer, "score": round(rng.random(), 4)}},
                "created_at": created,
            }
        )
    return out


def _suppressions(tenant_id: str, now: datetime, rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for i in range(12):
        expired = i % 3 != 0
        policy = rng.choice(["cooldown", "frequency_cap", "outcome_based"])
        hours = rng.choice([24, 72, 168, 336])
        created = now - timedelta(
            hours=hours + (rng.randint(1, 400) if expired else -rng.randint(1, hours - 1))
        )
        offer, category = rng.choice(OFFERS)
        scope = rng.choice(["global", "offer", "category"])
        out.append(
            {
                "tenant_id": tenant_id,
                "customer_id": f"cust-{rng.randint(10000, 99999)}",
                "scope": scope,
                "scope_id": {"global": "all", "offer": offer, "category": category}[scope],
                "policy_type": policy,
                "reason": f"{policy.replace('_', ' ').title()} {hours}h after {rng.choice(['dismissed', 'unsubscribed', 'converted'])}",
                "trigger_count": rng.randint(1, 4),
                "expires_at": created + timedelta(hours=hours),
                "created_at": created,
            }
        )
    return out


def _audit(tenant_id: str, now: datetime, rng: random.Random) -> list[dict[str, Any]]:
    actions = [
        ("create", "offer"),
        ("update", "offer"),
        ("update", "contact_policy"),
        ("soft_delete", "creative"),
        ("update", "arbitration_profile"),
        ("mandatory_override", "decision_flow"),
        ("restore", "offer"),
    ]
    out = []
    for _ in range(15):
        action, etype = rng.choice(actions)
        offer, _ = rng.choice(OFFERS)
        out.append(
            {
                "tenant_id": tenant_id,
                "action": action,
                "entity_type": etype,
                "entity_id": offer,
                "entity_name": offer.replace("offer-", "").replace("-", " ").title(),
                "changes": {"priority": {"from": rng.randint(1, 5), "to": rng.randint(1, 5)}},
                "user_id": f"user-{rng.randint(1, 9)}",
                "user_name": rng.choice(["ana.admin", "bo.editor", "cy.ops"]),
                "request_id": f"req-{rng.getrandbits(48):012x}",
                "created_at": now - timedelta(days=rng.uniform(0, 60)),
            }
        )
    return out


def load_demo_data(
    engine: Engine,
    settings: Settings,
    *,
    tenants: int = 3,
    rows: int = 500,
    seed: int = 42,
    reset: bool = False,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Write the demo data; returns a summary (row counts per table, hooks run, hook errors)."""
    now = now or datetime.now(UTC)
    rng = random.Random(seed)
    factory = make_sessionmaker(engine)
    summary: dict[str, Any] = {"ok": True, "tenants": tenants, "rows_per_tenant": rows, "seed": seed}
    with factory() as session:
        if reset:
            reset_all(session)
            session.commit()
        elif session.scalar(select(func.count()).select_from(Tenant)):
            summary["skipped"] = "demo data already present (use --reset to regenerate)"
            return summary

        tenant_rows = _tenants(tenants, now)
        session.execute(insert(Tenant), tenant_rows)
        session.execute(insert(RetentionConfig), _retention_configs(tenant_rows, now))
        for t in tenant_rows:
            hist = _history(t["id"], rows, now, rng)
            if hist:
                session.execute(insert(InteractionHistory), hist)
                session.execute(insert(InteractionSummary), _summaries(t["id"], hist, now))
            traces = _traces(t["id"], max(rows // 2, 1), now, rng)
            session.execute(insert(DecisionTrace), traces)
            session.execute(insert(Suppression), _suppressions(t["id"], now, rng))
            session.execute(insert(AuditLog), _audit(t["id"], now, rng))
        session.commit()

        tenant_objs = list(session.scalars(select(Tenant).order_by(Tenant.id)))
        # hooks that write outside the database (attachment blobs) use these settings
        session.info["settings"] = settings
        hooks: list[str] = []
        errors: dict[str, str] = {}
        missing: list[str] = []
        for route in JOB_MODULES:
            try:
                module = load_job(route)
            except Exception as exc:  # noqa: BLE001 - a broken module must not stop the demo
                errors[route] = f"import: {type(exc).__name__}: {exc}"
                continue
            if module is None:
                missing.append(route)
                continue
            hook = getattr(module, "demo", None)
            if not callable(hook):
                continue
            try:
                with session.begin_nested():
                    hook(session, tenant_objs, now, random.Random(f"{seed}:{route}"))
                session.commit()
                hooks.append(route)
            except Exception as exc:  # noqa: BLE001
                session.rollback()
                errors[route] = f"{type(exc).__name__}: {exc}"
                log_event(log, logging.WARNING, "demo hook failed", route=route, error=errors[route])
        summary["hooks"] = hooks
        if missing:
            summary["jobs_not_implemented"] = missing
        if errors:
            summary["hook_errors"] = errors
        counts: dict[str, int] = defaultdict(int)
        for table in Base.metadata.sorted_tables:
            counts[table.name] = session.scalar(select(func.count()).select_from(table)) or 0
        summary["rows"] = dict(sorted(counts.items()))
    return summary
