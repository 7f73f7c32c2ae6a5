"""Batched deletes: many short transactions instead of one long one.

Neither PostgreSQL nor stock SQLite has ``DELETE ... LIMIT``; the portable form is
``DELETE FROM t WHERE id IN (SELECT id FROM t WHERE <where> LIMIT :n)``. Each batch is
committed on its own, so a purge of millions of rows never holds one long lock (PostgreSQL) or the
single writer slot (SQLite) for long, and an interrupted purge simply resumes on the next run (the
predicate still selects what is left).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, select
from sqlalchemy.orm import Session, sessionmaker

from service.db import rowcount

SessionSource = Session | sessionmaker[Session] | Callable[[], Session]


def _pk_column(model: Any) -> Any:
    pk = model.__mapper__.primary_key
    if len(pk) != 1:
        raise ValueError(
            f"delete_in_batches needs a single-column primary key; {model.__name__} has {len(pk)}"
        )
    return pk[0]


def _predicate(where: ColumnElement[bool] | Iterable[ColumnElement[bool]]) -> ColumnElement[bool]:
    if isinstance(where, ColumnElement):
        return where
    clauses = list(where)
    if not clauses:
        raise ValueError("delete_in_batches needs at least one WHERE clause (refusing to empty a table)")
    return and_(*clauses)


def delete_in_batches(
    source: SessionSource,
    model: Any,
    where: ColumnElement[bool] | Iterable[ColumnElement[bool]],
    batch_size: int,
    *,
    max_batches: int | None = None,
    on_batch: Callable[[int], None] | None = None,
    order_by: Sequence[Any] = (),
    stop: Callable[[], bool] | None = None,
) -> int:
    """Delete every ``model`` row matching ``where`` in batches of ``batch_size``; return the count.

    ``source`` is either a session factory (each batch runs in a fresh session and commits) or a
    session (each batch is committed on it — anything the caller had pending is committed too).
    ``max_batches`` bounds one call (the rest is left for the next run); ``None`` = until done.
    ``on_batch(deleted)`` is called after each committed batch (e.g. ``service.runner.heartbeat``);
    ``stop()`` too, and a true answer ends the loop there (e.g. ``service.runner.should_stop``).
    Without ``order_by`` each batch takes the first ``batch_size`` matching rows the database finds
    (an index range scan on the predicate's index, no sort): ordering by the key instead would make
    every batch find *all* matching rows to pick the smallest ids. Pass ``order_by`` only when the
    deletion order matters (e.g. oldest first with a ``max_batches`` budget).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    pk = _pk_column(model)
    predicate = _predicate(where)
    ids = select(pk).where(predicate)
    if order_by:
        ids = ids.order_by(*order_by)
    batch = ids.limit(batch_size).scalar_subquery()
    stmt = delete(model).where(pk.in_(batch)).execution_options(synchronize_session=False)

    total = 0
    batches = 0
    while max_batches is None or batches < max_batches:
        if isinstance(source, Session):
            try:
                deleted = rowcount(source.execute(stmt))
                source.commit()
            except BaseException:
                source.rollback()
                raise
        else:
            with source() as s:
                try:
                    deleted = rowcount(s.execute(stmt))
                    s.commit()
                except BaseException:
                    s.rollback()
                    raise
        total += deleted
        batches += 1
        if on_batch is not None:
            on_batch(deleted)
        if deleted < batch_size or (stop is not None and stop()):
            break
    return total
