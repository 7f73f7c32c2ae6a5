"""Database fixtures for service tests: every test gets a fresh database on each backend.

``db_url`` is parametrized over SQLite (a file under tmp_path) and PostgreSQL (a new database
created on KAIREON_TEST_PG, default postgresql+psycopg://postgres@127.0.0.1:5432, dropped after
the test). Without a reachable PostgreSQL the PostgreSQL half is skipped with a visible reason —
except under CI (CI=true), where it fails, because CI must not skip it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from service.config import Settings
from service.db import make_engine, make_sessionmaker
from service.models import Base

PG_ADMIN_URL = os.environ.get("KAIREON_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
_pg_state: dict[str, str | None] = {}


def _pg_unavailable() -> str | None:
    """None when PostgreSQL answers, else the reason (cached for the session)."""
    if "reason" not in _pg_state:
        try:
            eng = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
            with eng.connect() as conn:
                conn.execute(text("select 1"))
            eng.dispose()
            _pg_state["reason"] = None
        except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
            _pg_state["reason"] = (
                f"PostgreSQL not reachable at {make_url(PG_ADMIN_URL).render_as_string()}: {type(exc).__name__}"
            )
    return _pg_state["reason"]


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test; dropped afterwards."""
    reason = _pg_unavailable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI must not skip the PostgreSQL tests)")
        pytest.skip(reason)
    name = f"kt_{uuid.uuid4().hex[:16]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'kaireon.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request) -> str:
    """Parametrized: each test runs on SQLite and on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
def engine(db_url):
    eng = make_engine(db_url)
    Base.metadata.create_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session_factory(engine):
    return make_sessionmaker(engine)


@pytest.fixture
def session(session_factory) -> Iterator[Session]:
    with session_factory() as s:
        yield s


@pytest.fixture
def settings(db_url, tmp_path) -> Settings:
    """Settings for a test: its own database, storage under tmp_path, a known cron secret."""
    return Settings(
        database_url=db_url,
        cron_secret="test-cron-secret-0123456789abcdef",
        cron_token="test-cron-token-0123456789abcdef",
        attachment_storage_url=str(tmp_path / "attachments"),
        export_storage_url=str(tmp_path / "exportroot"),
        in_process_scheduler=False,
        _env_file=None,
    )


@pytest.fixture
def now() -> datetime:
    """A fixed clock for time rules."""
    return datetime(2026, 6, 15, 12, 0, 0, tzinfo=UTC)


# --------------------------------------------------------------------------------------------------
# Fake jobs for the shared-wrapper tests (added by the service-foundation work; additive)
# --------------------------------------------------------------------------------------------------
@pytest.fixture
def fake_job(monkeypatch):
    """Register a fake job module under ``route``: ``fake_job(route, run_fn, **attrs) -> module``.

    ``run_fn(session, settings, now)`` returns a pydantic model (or raises). The module lives only
    in sys.modules and JOB_MODULES for this test; a route name already registered (a real route)
    is pointed at the fake for the test's duration, so real jobs never run in these tests.
    """
    import sys
    import types

    from service import jobs

    def register(route: str, run_fn=None, **attrs):
        name = f"kaireon_fake_job_{uuid.uuid4().hex[:12]}"
        module = types.ModuleType(name)
        module.ROUTE = route
        if run_fn is not None:
            module.run = run_fn
        for k, v in attrs.items():
            setattr(module, k, v)
        monkeypatch.setitem(sys.modules, name, module)
        monkeypatch.setitem(jobs.JOB_MODULES, route, name)
        return module

    return register
