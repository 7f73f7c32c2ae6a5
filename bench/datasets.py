"""Bulk-loaded benchmark data (generate_series / recursive CTE, never ORM inserts).

Retention data: ``n`` rows in each of ``decision_traces`` and ``interaction_history`` spread evenly
over 730 days in insertion (= id) order, tenants round-robin, so exactly the older half of each table
is older than the 365-day cutoff; realistic payloads (a ~150 B JSON decision result, a small context).
"""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timedelta

import psycopg

from service.db import make_engine
from service.models import Base

SPAN = timedelta(days=730)
RETENTION_DAYS = 365
TYPES = "'impression','impression','impression','click','dismiss','convert','accept'"


def cutoff(now: datetime) -> datetime:
    return now - timedelta(days=RETENTION_DAYS)


def create_schema(sqlalchemy_url: str) -> None:
    engine = make_engine(sqlalchemy_url)
    Base.metadata.create_all(engine)
    engine.dispose()


# --------------------------------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------------------------------
_PG_TENANT = "'t' || lpad((g %% {t})::text, 3, '0')"
_PG_TS = "%(start)s::timestamptz + (g * %(step_us)s) * interval '1 microsecond'"


def pg_tenants(conn: psycopg.Connection, tenants: int, classes: tuple[str, ...]) -> None:
    conn.execute(
        "INSERT INTO tenants (id, name, active, interaction_history_retention_days, summary_retention_days, "
        "decision_trace_retention_days, timezone, settings, created_at) "
        "SELECT 't' || lpad(i::text, 3, '0'), 'Tenant ' || i, true, 730, 2555, 365, 'UTC', '{}'::jsonb, now() "
        "FROM generate_series(0, %(t)s - 1) i",
        {"t": tenants},
    )
    conn.execute(
        "INSERT INTO retention_configs (id, tenant_id, data_class, retention_days, legal_hold, created_at, updated_at) "
        "SELECT 'rc_' || t.id || '_' || c, t.id, c, %(days)s, false, now(), now() FROM tenants t, unnest(%(classes)s::text[]) c",
        {"days": RETENTION_DAYS, "classes": list(classes)},
    )


def pg_retention_rows(conn: psycopg.Connection, n: int, tenants: int, now: datetime) -> None:
    params = {"start": now - SPAN, "step_us": int(SPAN.total_seconds() * 1e6) // n, "n": n}
    tenant = _PG_TENANT.format(t=tenants)
    conn.execute(
        "INSERT INTO decision_traces (tenant_id, customer_id, request_id, decision_flow_key, top_offer_id, "
        "candidate_count, final_count, total_latency_ms, degraded_scoring, result, created_at) "
        f"SELECT {tenant}, 'cust-' || ((g * 7919) %% 200000), substr(md5(g::text), 1, 24), 'flow-' || (g %% 7), "
        "'offer-' || (g %% 50), 5 + g %% 20, 1 + g %% 3, (g %% 1000) / 10.0, g %% 97 = 0, "
        "jsonb_build_object('offers', jsonb_build_array("
        "  jsonb_build_object('offerId', 'offer-' || (g %% 50), 'score', (g %% 1000) / 1000.0),"
        "  jsonb_build_object('offerId', 'offer-' || ((g + 7) %% 50), 'score', 0.5)),"
        "  'arbitration', 'weighted', 'channel', 'web'), "
        f"{_PG_TS} FROM generate_series(0::bigint, %(n)s - 1) g",
        params,
    )
    conn.execute(
        "INSERT INTO interaction_history (tenant_id, customer_id, offer_id, creative_id, channel_id, "
        "interaction_type, outcome_type_key, direction, conversion_value, context, occurred_at, created_at) "
        f"SELECT {tenant}, 'cust-' || ((g * 7919) %% 200000), 'offer-' || (g %% 50), 'cr-' || (g %% 200), "
        "(array['web','email','push'])[1 + g %% 3], "
        f"(array[{TYPES.replace('%', '%%')}])[1 + g %% 7], (array[{TYPES}])[1 + g %% 7], 'outbound', "
        "CASE WHEN g %% 7 = 5 THEN (g %% 250)::float8 END, "
        "jsonb_build_object('campaign', 'c-' || (g %% 40), 'placement', 'hero'), "
        f"{_PG_TS}, {_PG_TS} FROM generate_series(0::bigint, %(n)s - 1) g",
        params,
    )


def pg_attachments(conn: psycopg.Connection, n: int, tenants: int, now: datetime) -> list[tuple[str, bytes]]:
    """``n`` attachment rows over 730 days; returns (storage_key, blob) for the caller to write."""
    params = {"start": now - SPAN, "step_us": int(SPAN.total_seconds() * 1e6) // n, "n": n}
    tenant = _PG_TENANT.format(t=tenants)
    conn.execute(
        "INSERT INTO ai_attachments (tenant_id, sha256, storage_key, filename, content_type, size_bytes, created_at) "
        f"SELECT {tenant}, encode(sha256(g::text::bytea), 'hex'), "
        f"{tenant} || '/' || substr(md5(g::text), 1, 2) || '/' || md5(g::text) || '.bin', "
        f"'note-' || g || '.txt', 'text/plain', 1024, {_PG_TS} FROM generate_series(0::bigint, %(n)s - 1) g",
        params,
    )
    return [(key, os.urandom(1024)) for (key,) in conn.execute("SELECT storage_key FROM ai_attachments")]


# --------------------------------------------------------------------------------------------------
# SQLite (timestamps stored as SQLAlchemy stores them: naive UTC 'YYYY-MM-DD HH:MM:SS.ffffff')
# --------------------------------------------------------------------------------------------------
def sqlite_ts(dt: datetime) -> str:
    return dt.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def sqlite_retention_db(path: str, n: int, tenants: int, now: datetime) -> None:
    create_schema(f"sqlite:///{path}")
    start = sqlite_ts(now - SPAN)[:19]
    step = SPAN.total_seconds() / n
    tenant = f"'t' || substr('000' || (g % {tenants}), -3)"
    ts = f"strftime('%Y-%m-%d %H:%M:%S', '{start}', '+' || CAST(g * {step!r} AS INTEGER) || ' seconds') || '.000000'"
    series = f"WITH RECURSIVE s(g) AS (SELECT 0 UNION ALL SELECT g + 1 FROM s WHERE g < {n - 1}) "
    now_s = sqlite_ts(now)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        for i in range(tenants):
            db.execute(
                "INSERT INTO tenants (id, name, active, interaction_history_retention_days, summary_retention_days,"
                " decision_trace_retention_days, timezone, settings, created_at) VALUES (?,?,1,730,2555,365,'UTC','{}',?)",
                (f"t{i:03d}", f"Tenant {i}", now_s),
            )
            for c in ("decision_traces", "interactions", "ai_attachments"):
                db.execute(
                    "INSERT INTO retention_configs (id, tenant_id, data_class, retention_days, legal_hold, created_at,"
                    " updated_at) VALUES (?,?,?,?,0,?,?)",
                    (f"rc_t{i:03d}_{c}", f"t{i:03d}", c, RETENTION_DAYS, now_s, now_s),
                )
        db.execute(
            series
            + "INSERT INTO decision_traces (tenant_id, customer_id, request_id, decision_flow_key, top_offer_id, "
            "candidate_count, final_count, total_latency_ms, degraded_scoring, result, created_at) "
            f"SELECT {tenant}, 'cust-' || ((g * 7919) % 200000), substr(hex(randomblob(12)), 1, 24), 'flow-' || (g % 7), "
            "'offer-' || (g % 50), 5 + g % 20, 1 + g % 3, (g % 1000) / 10.0, g % 97 = 0, "
            "json_object('offers', json_array(json_object('offerId', 'offer-' || (g % 50), 'score', (g % 1000) / 1000.0),"
            " json_object('offerId', 'offer-' || ((g + 7) % 50), 'score', 0.5)), 'arbitration', 'weighted', 'channel', 'web'), "
            f"{ts} FROM s"
        )
        db.execute(
            series
            + "INSERT INTO interaction_history (tenant_id, customer_id, offer_id, creative_id, channel_id, "
            "interaction_type, outcome_type_key, direction, conversion_value, context, occurred_at, created_at) "
            f"SELECT {tenant}, 'cust-' || ((g * 7919) % 200000), 'offer-' || (g % 50), 'cr-' || (g % 200), "
            "CASE g % 3 WHEN 0 THEN 'web' WHEN 1 THEN 'email' ELSE 'push' END, "
            "CASE g % 7 WHEN 3 THEN 'click' WHEN 4 THEN 'dismiss' WHEN 5 THEN 'convert' WHEN 6 THEN 'accept' ELSE 'impression' END, "
            "CASE g % 7 WHEN 3 THEN 'click' WHEN 4 THEN 'dismiss' WHEN 5 THEN 'convert' WHEN 6 THEN 'accept' ELSE 'impression' END, "
            "'outbound', CASE WHEN g % 7 = 5 THEN CAST(g % 250 AS REAL) END, "
            "json_object('campaign', 'c-' || (g % 40), 'placement', 'hero'), "
            f"{ts}, {ts} FROM s"
        )
        db.execute("ANALYZE")
        db.commit()
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
