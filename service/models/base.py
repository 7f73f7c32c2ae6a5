"""The declarative base and the column types every model shares (SQLAlchemy 2, SQLite and PostgreSQL).

High-volume tables (interaction history, decision traces, audit log, outbox) use integer ids
(:data:`BigId`) so keyset pagination on ``(created_at, id)`` and batched deletes stay index range
scans. Entities use short string ids (:func:`new_id`). Every column a handler filters on is indexed.

All timestamps are timezone-aware UTC in Python. On SQLite they are stored as naive UTC (see
:class:`UTCDateTime`), so comparisons in SQL stay correct on both databases.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Integer primary keys: BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")
JsonType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend.

    PostgreSQL: ``timestamptz``. SQLite has no time zones: values are converted to UTC and stored
    naive, and read back as UTC-aware, so ``WHERE created_at < :cutoff`` compares like with like.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass timezone-aware UTC datetimes")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JsonType, list[Any]: JsonType}
