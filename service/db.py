"""Engine and session factory. SQLite is the embedded default; PostgreSQL is production."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, Result, create_engine, event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import Session, sessionmaker

from service.config import Settings


def make_engine(database_url: str, **kwargs: object) -> Engine:
    """Create the engine for ``database_url`` with the right per-backend settings.

    SQLite: WAL journal, foreign keys on, a busy timeout so two writers wait instead of failing,
    and the parent directory created for file databases.
    """
    if database_url.startswith("sqlite"):
        path = database_url.split(":///", 1)[1] if ":///" in database_url else ""
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        engine = create_engine(
            database_url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: object) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(database_url, **kwargs)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def postgres_connect_args(settings: Settings, *, statement_timeout: bool = True) -> dict[str, object]:
    """libpq/psycopg options that bound every wait on PostgreSQL (documented in docs/service.md).

    * ``connect_timeout``: a new connection gives up after DB_CONNECT_TIMEOUT_SECONDS;
    * TCP keepalives: a peer that vanished (host down, network cut) is detected after
      DB_KEEPALIVES_IDLE_SECONDS + 3 x 10 s instead of the kernel's two hours;
    * ``statement_timeout`` (startup option; DB_STATEMENT_TIMEOUT_SECONDS, 0 = none): the server
      cancels a statement that runs too long;
    * no server-side prepared statements (``prepare_threshold=None``), so the service works behind
      PgBouncer in transaction pooling mode.
    """
    args: dict[str, object] = {
        "connect_timeout": settings.db_connect_timeout_seconds,
        "prepare_threshold": None,
        "keepalives": 1,
        "keepalives_idle": settings.db_keepalives_idle_seconds,
        "keepalives_interval": 10,
        "keepalives_count": 3,
    }
    ms = int(settings.db_statement_timeout_seconds * 1000)
    if statement_timeout and ms > 0:
        args["options"] = f"-c statement_timeout={ms}"
    return args


def engine_from_settings(settings: Settings, *, statement_timeout: bool = True) -> Engine:
    """The service's engine with every wait bounded (PostgreSQL: see :func:`postgres_connect_args`;
    both: a pool checkout waits at most DB_POOL_TIMEOUT_SECONDS). ``statement_timeout=False`` is for
    schema migrations, which may legitimately run long."""
    if settings.dialect == "postgresql":
        return make_engine(
            settings.database_url,
            connect_args=postgres_connect_args(settings, statement_timeout=statement_timeout),
            pool_timeout=settings.db_pool_timeout_seconds,
        )
    return make_engine(settings.database_url, pool_timeout=settings.db_pool_timeout_seconds)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE run through ``Session.execute`` matched (0 when the driver cannot
    tell). ``Session.execute`` is typed to return a ``Result``; for DML it is a ``CursorResult``."""
    return cast(CursorResult[Any], result).rowcount or 0
