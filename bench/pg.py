"""Scratch PostgreSQL databases for the benchmarks: created fresh, copied from a template, always dropped."""

from __future__ import annotations

import atexit
import os
import uuid
from typing import Any, cast

import psycopg
from sqlalchemy.engine import make_url

ADMIN_URL = os.environ.get(
    "KAIREON_BENCH_PG",
    os.environ.get("KAIREON_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
)
_created: set[str] = set()


def conninfo(url: str, database: str | None = None) -> str:
    u = make_url(url)
    if database is not None:
        u = u.set(database=database)
    return u.set(drivername="postgresql").render_as_string(hide_password=False)


def sqlalchemy_url(database: str, admin_url: str = ADMIN_URL) -> str:
    return make_url(admin_url).set(database=database).render_as_string(hide_password=False)


def unavailable(admin_url: str = ADMIN_URL) -> str | None:
    """None when PostgreSQL answers, else a reason (the host, never a password)."""
    try:
        with psycopg.connect(conninfo(admin_url), connect_timeout=3) as conn:
            conn.execute("select 1")
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        host = make_url(admin_url).host
        return f"PostgreSQL not reachable at {host}: {type(exc).__name__}"


def server_version(admin_url: str = ADMIN_URL) -> str:
    with psycopg.connect(conninfo(admin_url)) as conn:
        row = cast("tuple[Any, ...]", conn.execute("show server_version").fetchone())  # always one row
        return str(row[0])


def _admin(sql: str, admin_url: str) -> None:
    with psycopg.connect(conninfo(admin_url), autocommit=True) as conn:
        conn.execute(sql)


def create(prefix: str = "kbench", template: str | None = None, admin_url: str = ADMIN_URL) -> str:
    """A new database (optionally a file copy of ``template``); its name. Dropped at exit at the latest."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    sql = f'CREATE DATABASE "{name}"'
    if template is not None:
        sql += f' TEMPLATE "{template}" STRATEGY = FILE_COPY'
    _admin(sql, admin_url)
    _created.add(name)
    return name


def drop(name: str, admin_url: str = ADMIN_URL) -> None:
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', admin_url)
    _created.discard(name)


@atexit.register
def _drop_leftovers() -> None:
    for name in list(_created):
        try:
            drop(name)
        except Exception:  # noqa: BLE001, S110 - best effort at exit
            pass
