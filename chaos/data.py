"""Rows for the scenarios, written with the service's own models and migrations.

``prepare(url)`` upgrades a fresh database with the service's Alembic migrations (as ``kaireon-service
migrate`` does). ``add_interactions`` writes interaction rows with strictly increasing
``created_at`` (keyset exports only pick up rows after their checkpoint) — on PostgreSQL in one
``INSERT … SELECT generate_series`` statement.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, text

from service.db import make_engine
from service.migrations import upgrade
from service.models.audit import AuditLog
from service.models.decisioning import InteractionHistory
from service.models.tenants import RetentionConfig, Tenant

_MIGRATE = threading.Lock()  # Alembic's command API keeps module-level state: one upgrade at a time


def prepare(url: str) -> Engine:
    engine = make_engine(url)
    with _MIGRATE:
        upgrade(engine)
    return engine


def add_tenants(engine: Engine, ids: list[str]) -> None:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(Tenant),
            [
                {
                    "id": t,
                    "name": f"tenant {t!r}"[:200],
                    "active": True,
                    "settings": {},
                    "created_at": now,
                    "timezone": "UTC",
                    "interaction_history_retention_days": 730,
                    "summary_retention_days": 2555,
                    "decision_trace_retention_days": 365,
                }
                for t in ids
            ],
        )


def add_retention(engine: Engine, tenant: str, data_class: str, days: int | None, hold: bool) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(RetentionConfig),
            [
                {
                    "id": f"rc-{tenant}-{data_class}"[:64],
                    "tenant_id": tenant,
                    "data_class": data_class,
                    "retention_days": days,
                    "legal_hold": hold,
                    "created_at": datetime.now(UTC),
                    "updated_at": datetime.now(UTC),
                }
            ],
        )


def add_interactions(
    engine: Engine, tenant: str, count: int, start: datetime, step_ms: int = 1, pad: int = 0, **overrides: Any
) -> None:
    """``count`` rows for ``tenant`` created at ``start + i*step_ms`` (increasing), context padded."""
    if engine.dialect.name == "postgresql" and not overrides:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO interaction_history (tenant_id, customer_id, offer_id, channel_id, interaction_type, "
                    "direction, conversion_value, context, occurred_at, created_at) "
                    "SELECT :t, 'cust-' || g, 'offer-' || (g % 7), 'web', 'impression', 'outbound', g * 0.5, "
                    "json_build_object('n', g, 'pad', repeat('x', :pad)), "
                    ":start + g * make_interval(secs => :step / 1000.0), :start + g * make_interval(secs => :step / 1000.0) "
                    "FROM generate_series(0, :n - 1) AS g"
                ),
                {"t": tenant, "pad": pad, "start": start, "step": step_ms, "n": count},
            )
        return
    rows = []
    for i in range(count):
        at = start + timedelta(milliseconds=i * step_ms)
        row = {
            "tenant_id": tenant,
            "customer_id": f"cust-{i}",
            "offer_id": f"offer-{i % 7}",
            "channel_id": "web",
            "interaction_type": "impression",
            "direction": "outbound",
            "conversion_value": i * 0.5,
            "context": {"n": i, "pad": "x" * pad},
            "occurred_at": at,
            "created_at": at,
        }
        row.update(overrides)
        rows.append(row)
    with engine.begin() as conn:
        conn.execute(insert(InteractionHistory), rows)


def add_audit_rows(engine: Engine, count: int, at: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(AuditLog),
            [
                {
                    "tenant_id": "t1",
                    "action": "update",
                    "entity_type": "offer",
                    "entity_id": f"offer-{i}",
                    "entity_name": f"Offer {i}",
                    "changes": {"i": i},
                    "user_id": "u1",
                    "user_name": "chaos",
                    "request_id": f"req-{i}",
                    "created_at": at,
                }
                for i in range(count)
            ],
        )


def scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()
