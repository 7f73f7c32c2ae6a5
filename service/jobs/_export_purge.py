"""Retention for exported interaction history: dsar-purge and cleanup purge export objects too.

export-interactions records every object it writes in ``export_objects`` (key, row count, oldest and
newest ``created_at``), committed with the batch's ``pending_*`` before the write. For one tenant and
a cutoff, :func:`purge_exports` works through the tenant's recorded objects whose oldest row is
older than the cutoff, one object per short transaction that holds its row (PostgreSQL ``SELECT …
FOR UPDATE SKIP LOCKED``: two purges never work on the same object; SQLite ``BEGIN IMMEDIATE``):

* every row older (``newest_created_at < cutoff``): the object is deleted through the store, then
  its row is deleted — an object already gone counts as deleted; a failed delete keeps the row (the
  row is the durable queue: the next run retries it);
* straddling the cutoff: the object is read, the records whose ``createdAt`` is older are dropped
  (the kept lines stay byte for byte), the object is rewritten in one atomic write — local store:
  temporary file (``.kaireon-tmp.…``) + fsync + rename; S3: one ``PutObject`` — so a reader sees the
  old or the new object, never a partial one; then the row is updated. A crash between the rewrite
  and the update leaves the row stale: the next run reads the rewritten object, finds nothing more
  to drop, writes nothing, and corrects the row — the same end state. An object left with no row is
  deleted as above.

The attachment queue (:mod:`service.blob_deletions`) does not fit: it drains the attachment store and
re-checks ``storage_key`` references, while an export object is referenced by nothing but its own
``export_objects`` row, which serves as its queue entry.

Legal hold is absolute: the caller never calls this for a held class, and the hold is re-read in
every object's transaction (a hold set during the run stops the tenant's export purge). An object
that is the tenant's in-flight export batch (the checkpoint's ``pending_object``) is left for the
next run: export-interactions will rewrite it from the database, whose expired rows are gone by then.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from service.config import Settings
from service.errors import LeaseLost
from service.errors import error_text as _err
from service.jobs._result import ApiModel
from service.metrics import observe_export_purge
from service.models.exports import ExportCheckpoint, ExportObject
from service.models.tenants import DATA_CLASS_INTERACTIONS, RetentionConfig
from service.runcontext import heartbeat, should_stop
from service.storage import Store, export_store, show

log = logging.getLogger("service.jobs.export_purge")
_CHUNK = 200  # recorded objects read per query (each is then handled in its own transaction)
_MAX_FAILURES = (
    20  # failed objects per tenant and run before the tenant stops (an outage, not one bad object)
)


class ExportObjects(ApiModel):
    """``exportObjects`` of a purge response: objects deleted and objects rewritten without expired rows."""

    deleted: int = 0
    rewritten: int = 0


@dataclass
class Target:
    """One tenant whose interaction history is purged (not on hold): its cutoff, counts and errors."""

    tenant_id: str
    cutoff: datetime
    counts: ExportObjects
    errors: list[str]


class StopPurge(Exception):
    """The service is shutting down: stop between objects, keep what is committed."""


def _between() -> None:
    heartbeat()  # renews the run lease; LeaseLost stops the run
    if should_stop():
        raise StopPurge()


def purge_tenants(session: Session, settings: Settings, route: str, targets: Sequence[Target]) -> bool:
    """Purge the export objects of every target, each tenant's failure in its own ``errors``
    (``exportObjects: …``); True when stopped by a shutdown. Counts go to the metrics too."""
    if not targets:
        return False
    try:
        store = export_store(settings)
    except Exception as exc:  # noqa: BLE001 - every target learns why; the row purges stand
        for t in targets:
            t.errors.append(f"exportObjects: export store unavailable: {_err(exc)}")
        return False
    stopped = False
    for t in targets:
        before = (t.counts.deleted, t.counts.rewritten)
        try:
            purge_exports(session, store, t.tenant_id, t.cutoff, t.counts, between=_between, errors=t.errors)
        except LeaseLost:
            raise
        except StopPurge:
            stopped = True
        except HeldNow as exc:
            log.warning("%s: %s; its export objects are left alone", route, exc)
        except Exception as exc:  # noqa: BLE001 - this tenant's exports fail, the others continue
            session.rollback()
            t.errors.append(f"exportObjects: {_err(exc)}")
            log.warning("%s: tenant %s: export purge failed: %s", route, show(t.tenant_id), _err(exc))
        observe_export_purge(
            route, deleted=t.counts.deleted - before[0], rewritten=t.counts.rewritten - before[1]
        )
        if stopped:
            break
    return stopped


class HeldNow(Exception):
    """The tenant's interaction history was put on legal hold during the run."""


@dataclass
class _Outcome:
    deleted: bool = False
    rewritten: bool = False


def _candidates(tenant_id: str, cutoff: datetime, after: str) -> Any:
    return (
        select(ExportObject.object_key)
        .where(
            ExportObject.tenant_id == tenant_id,
            ExportObject.oldest_created_at < cutoff,
            ExportObject.object_key > after,
        )
        .order_by(ExportObject.object_key)
        .limit(_CHUNK)
    )


def _pending(session: Session, tenant_id: str) -> str | None:
    return session.scalar(
        select(ExportCheckpoint.pending_object).where(ExportCheckpoint.tenant_id == tenant_id)
    )


def preview_exports(session: Session, tenant_id: str, cutoff: datetime) -> ExportObjects:
    """What :func:`purge_exports` would do, from the records alone (read-only, the store is not asked)."""
    pending = _pending(session, tenant_id)
    base = select(func.count()).where(
        ExportObject.tenant_id == tenant_id,
        ExportObject.oldest_created_at < cutoff,
        ExportObject.object_key != (pending or ""),
    )
    deleted = session.scalar(base.where(ExportObject.newest_created_at < cutoff)) or 0
    rewritten = session.scalar(base.where(ExportObject.newest_created_at >= cutoff)) or 0
    return ExportObjects(deleted=int(deleted), rewritten=int(rewritten))


def purge_exports(
    session: Session,
    store: Store,
    tenant_id: str,
    cutoff: datetime,
    counts: ExportObjects,
    *,
    between: Callable[[], None] | None = None,
    errors: list[str] | None = None,
) -> None:
    """Purge the tenant's export objects past ``cutoff`` (see the module doc), adding to ``counts``.

    ``between()`` runs before each object (heartbeat, shutdown: it may raise to stop). Raises
    :class:`HeldNow` when a legal hold appears. An object that fails (store, database, unreadable
    line) is left as it was: with ``errors``, its error is appended there and the next object follows
    (after ``_MAX_FAILURES`` failures the tenant stops: likely an outage); without, it raises."""
    after = ""
    failures = 0
    while True:
        keys = list(session.scalars(_candidates(tenant_id, cutoff, after)))
        session.commit()
        for key in keys:
            if between is not None:
                between()
            try:
                outcome = _purge_one(session, store, tenant_id, key, cutoff)
            except (LeaseLost, StopPurge, HeldNow):
                raise
            except Exception as exc:
                if errors is None:
                    raise
                failures += 1
                errors.append(f"exportObjects: {_err(exc)}")
                log.warning(
                    "export purge: tenant %s: object %s left as it was: %s",
                    show(tenant_id),
                    show(key),
                    _err(exc),
                )
                if failures >= _MAX_FAILURES:
                    errors.append(
                        f"exportObjects: stopped after {failures} failed objects; the rest wait for "
                        "the next run"
                    )
                    return
                continue
            counts.deleted += outcome.deleted
            counts.rewritten += outcome.rewritten
        if len(keys) < _CHUNK:
            return
        after = keys[-1]


def _purge_one(session: Session, store: Store, tenant_id: str, key: str, cutoff: datetime) -> _Outcome:
    dialect = session.get_bind().dialect.name
    try:
        if dialect == "sqlite":
            session.execute(text("BEGIN IMMEDIATE"))
        if _held(session, tenant_id):
            raise HeldNow(f"tenant {show(tenant_id)}: interaction history put on legal hold during the run")
        q = select(ExportObject).where(ExportObject.object_key == key, ExportObject.tenant_id == tenant_id)
        if dialect == "postgresql":
            q = q.with_for_update(skip_locked=True)
        obj = session.scalars(q).one_or_none()
        if obj is None or obj.oldest_created_at >= cutoff or _pending(session, tenant_id) == key:
            session.rollback()  # gone, already handled, locked by another purge, or an in-flight export
            return _Outcome()
        outcome = _apply(session, store, obj, cutoff)
        session.commit()
        return outcome
    except BaseException:
        session.rollback()
        raise


def _apply(session: Session, store: Store, obj: ExportObject, cutoff: datetime) -> _Outcome:
    key = obj.object_key
    if obj.newest_created_at < cutoff:
        return _delete(session, store, obj)
    try:
        data = store.get(key)
    except (FileNotFoundError, KeyError) as exc:
        log.info(
            "export purge: object %s already gone (%s); its record is dropped", show(key), type(exc).__name__
        )
        session.delete(obj)
        return _Outcome()
    except Exception as exc:
        if _is_missing(exc):
            session.delete(obj)
            return _Outcome()
        raise
    kept, oldest, newest = _keep_after(data, cutoff, key)
    if not kept:
        return _delete(session, store, obj)
    new = b"".join(kept)
    if new != data:
        store.put(key, new)  # atomic: temp file + rename (local) or one PutObject (S3)
    obj.row_count = len(kept)
    assert oldest is not None and newest is not None
    obj.oldest_created_at, obj.newest_created_at = oldest, newest
    return _Outcome(rewritten=True)


def _delete(session: Session, store: Store, obj: ExportObject) -> _Outcome:
    report = store.delete_many([obj.object_key])
    if report.failed:
        reason = next(iter(report.failed.values()))
        raise RuntimeError(
            f"export object {show(obj.object_key)} could not be deleted: {reason}; retried by the next run"
        )
    session.delete(obj)
    return _Outcome(deleted=True)


def _keep_after(
    data: bytes, cutoff: datetime, key: str
) -> tuple[list[bytes], datetime | None, datetime | None]:
    """The NDJSON lines (with their newline) whose ``createdAt`` is not older than ``cutoff``, and the
    oldest and newest kept ``createdAt``. A line without a readable ``createdAt`` fails the object
    (it is left untouched: fail closed, never guess)."""
    kept: list[bytes] = []
    oldest: datetime | None = None
    newest: datetime | None = None
    for n, line in enumerate(data.splitlines(keepends=True), 1):
        if not line.strip():
            continue
        try:
            created = datetime.fromisoformat(orjson.loads(line)["createdAt"])
            if created.tzinfo is None:
                raise ValueError("createdAt has no time zone")
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(
                f"export object {show(key)} line {n}: no readable createdAt ({exc}); left untouched"
            ) from None
        if created < cutoff:
            continue
        kept.append(line if line.endswith(b"\n") else line + b"\n")
        oldest = created if oldest is None or created < oldest else oldest
        newest = created if newest is None or created > newest else newest
    return kept, oldest, newest


def _is_missing(exc: BaseException) -> bool:
    code = getattr(exc, "response", {}).get("Error", {}).get("Code") if hasattr(exc, "response") else None
    return code in ("404", "NoSuchKey", "NotFound")


def _held(session: Session, tenant_id: str) -> bool:
    """Legal hold is absolute: re-read in each object's transaction."""
    return (
        session.scalar(
            select(RetentionConfig.id)
            .where(
                RetentionConfig.tenant_id == tenant_id,
                RetentionConfig.data_class == DATA_CLASS_INTERACTIONS,
                RetentionConfig.legal_hold.is_(True),
            )
            .limit(1)
        )
        is not None
    )
