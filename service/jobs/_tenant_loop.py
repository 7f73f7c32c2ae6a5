"""Per-tenant error isolation shared by the jobs: one tenant's failure never stops the others."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from service import shards
from service.errors import LeaseLost
from service.jobs._result import ApiModel
from service.models.tenants import Tenant
from service.runcontext import error_detail

T = TypeVar("T")
K = TypeVar("K", bound=str | None)  # a tenant id (None: a step not bound to one tenant)
log = logging.getLogger("kaireon.jobs")


class TenantError(ApiModel):
    """One failed tenant in a job response: ``{"tenantId": ..., "error": "<Type>: <message>"}``."""

    tenant_id: str | None
    error: str


def tenant_ids(session: Session, *, active_only: bool) -> list[str]:
    stmt = select(Tenant.id).order_by(Tenant.id)
    if active_only:
        stmt = stmt.where(Tenant.active.is_(True))
    return shards.mine(session.scalars(stmt))  # a sharded run: only its shard's tenants


def error_text(exc: BaseException) -> str:
    return error_detail(exc)


def for_each_tenant(
    session: Session, ids: Iterable[K], step: Callable[[K], T], *, job: str
) -> tuple[dict[K, T], list[TenantError]]:
    """Run ``step(tenant_id)`` per tenant; commit after each, roll back and record a failure.

    A lost run lease (:class:`service.errors.LeaseLost`) is not a tenant failure: it propagates
    so the whole run stops.
    """
    done: dict[K, T] = {}
    errors: list[TenantError] = []
    for tid in ids:
        try:
            done[tid] = step(tid)
            session.commit()
        except LeaseLost:
            session.rollback()
            raise
        except Exception as exc:  # noqa: BLE001 - isolate this tenant, report it, continue
            session.rollback()
            text = error_text(exc)
            log.warning("%s: tenant %s failed: %s", job, tid, text)
            errors.append(TenantError(tenant_id=tid, error=text))
    return done, errors
