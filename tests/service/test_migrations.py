"""Migrations: up from empty on SQLite and PostgreSQL, and the migrated schema equals the models
(so a model change without a migration fails here)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from service.db import make_engine
from service.migrations import current_revision, downgrade, head_revision, upgrade
from service.models import Base


def test_upgrade_from_empty_matches_the_models(db_url):
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
        assert diff == [], (
            f"models and migrations differ; add a migration (alembic revision --autogenerate): {diff}"
        )
        # idempotent
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_downgrade_to_base_removes_every_table(db_url):
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_single_head():
    from alembic.script import ScriptDirectory

    from service.migrations import alembic_config

    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1
