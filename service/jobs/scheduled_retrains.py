"""/api/v1/cron/scheduled-retrains (``0 2 * * *``) — queue retrains for models whose schedule came due.

Candidates: ``algorithm_models`` with ``status = 'active'``, ``auto_learn = true`` and
``learn_mode = 'scheduled'``. ``learn_schedule`` is a platform cron expression evaluated in
``learn_timezone`` (see :mod:`service.schedules`). A model is **due** when an occurrence falls in
``(since, now]`` where ``since`` is the latest of ``last_trained_at`` (or ``created_at`` for a model
never trained) and the ``scheduled_for`` of the last scheduled retrain job already queued for it —
so an occurrence is acted on once, even before the training finishes and moves ``last_trained_at``.

A due model gets one ``retrain_jobs`` row (``status = 'queued'``, ``reason = 'scheduled'``,
``scheduled_for`` = the occurrence). A model that already has a job ``queued`` or ``running`` (any
reason) never gets a second one: it is counted in ``alreadyQueued``, not in ``due``, and picked up by
a later run if the occurrence is still unserved when that job ends. A missing or invalid ``learn_schedule`` or time
zone skips the model: counted in ``skipped`` and listed in ``skippedModels`` with the reason.
Models are handled per tenant, each tenant in its own transaction; one tenant's failure is
reported in ``errors`` and the others continue.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from service.config import Settings
from service.jobs._result import ApiModel, JobResult
from service.jobs._tenant_loop import TenantError, for_each_tenant
from service.models.scheduling import AlgorithmModel, RetrainJob
from service.schedules import ScheduleError, parse_cron

ROUTE = "scheduled-retrains"
IN_FLIGHT = ("queued", "running")


class SkippedModel(ApiModel):
    model_id: str
    tenant_id: str
    reason: str


class ScheduledRetrainsResult(JobResult):
    ok: bool = True
    due: int = 0
    enqueued: int = 0
    skipped: int = 0
    already_queued: int = 0
    skipped_models: list[SkippedModel] = Field(default_factory=list)
    errors: list[TenantError] = Field(default_factory=list)

    @property
    def rows_affected(self) -> int:
        return self.enqueued


def _candidates() -> tuple[ColumnElement[bool], ...]:
    return (
        AlgorithmModel.status == "active",
        AlgorithmModel.auto_learn.is_(True),
        AlgorithmModel.learn_mode == "scheduled",
    )


def _tenant(session: Session, tenant_id: str, now: datetime) -> dict[str, Any]:
    models = session.scalars(
        select(AlgorithmModel)
        .where(AlgorithmModel.tenant_id == tenant_id, *_candidates())
        .order_by(AlgorithmModel.id)
    ).all()
    ids = [m.id for m in models]
    last_scheduled = (
        dict(
            session.execute(
                select(RetrainJob.model_id, func.max(RetrainJob.scheduled_for))
                .where(RetrainJob.model_id.in_(ids), RetrainJob.reason == "scheduled")
                .group_by(RetrainJob.model_id)
            ).all()
        )
        if ids
        else {}
    )
    in_flight = (
        set(
            session.scalars(
                select(RetrainJob.model_id).where(
                    RetrainJob.model_id.in_(ids), RetrainJob.status.in_(IN_FLIGHT)
                )
            )
        )
        if ids
        else set()
    )
    out: dict[str, Any] = {"due": 0, "enqueued": 0, "already": 0, "skipped": []}
    for m in models:
        try:
            schedule = parse_cron(m.learn_schedule, m.learn_timezone or "UTC", field="learn_schedule")
        except ScheduleError as exc:
            out["skipped"].append(SkippedModel(model_id=m.id, tenant_id=tenant_id, reason=str(exc)))
            continue
        since = m.last_trained_at or m.created_at
        scheduled = last_scheduled.get(m.id)
        if scheduled is not None and scheduled > since:
            since = scheduled
        latest = schedule.latest_at_or_before(now)
        if latest is None or latest <= since:
            continue
        if m.id in in_flight:
            out["already"] += 1
            continue
        out["due"] += 1
        session.add(
            RetrainJob(
                model_id=m.id,
                tenant_id=tenant_id,
                status="queued",
                reason="scheduled",
                scheduled_for=latest,
                created_at=now,
            )
        )
        out["enqueued"] += 1
    session.flush()
    return out


def run(session: Session, settings: Settings, now: datetime) -> ScheduledRetrainsResult:
    tenants = list(
        session.scalars(
            select(AlgorithmModel.tenant_id)
            .where(*_candidates())
            .distinct()
            .order_by(AlgorithmModel.tenant_id)
        )
    )
    done, errors = for_each_tenant(session, tenants, lambda tid: _tenant(session, tid, now), job=ROUTE)
    result = ScheduledRetrainsResult(errors=errors, ok=not errors)
    for out in done.values():
        result.due += out["due"]
        result.enqueued += out["enqueued"]
        result.already_queued += out["already"]
        result.skipped_models.extend(out["skipped"])
    result.skipped = len(result.skipped_models)
    return result


def demo(session: Session, tenants: Sequence[Any], now: datetime, rng: random.Random) -> None:
    """Due scheduled models, one with a retrain already running, one invalid schedule, one not due."""
    for t in tenants:
        tid = getattr(t, "id", t)
        created = now - timedelta(days=60)
        for i in range(2):
            session.add(
                AlgorithmModel(
                    id=f"mdl-{tid}-nightly-{i}"[:64],
                    tenant_id=tid,
                    name=f"Nightly GBM {i}",
                    model_type="gradient_boosted",
                    status="active",
                    auto_learn=True,
                    learn_mode="scheduled",
                    learn_schedule="0 1 * * *",
                    learn_timezone="UTC",
                    last_trained_at=now - timedelta(days=rng.randint(2, 9)),
                    created_at=created,
                )
            )
        session.add(
            AlgorithmModel(
                id=f"mdl-{tid}-weekly"[:64],
                tenant_id=tid,
                name="Weekly scorecard (Berlin)",
                model_type="scorecard",
                status="active",
                auto_learn=True,
                learn_mode="scheduled",
                learn_schedule="0 3 * * MON",
                learn_timezone="Europe/Berlin",
                last_trained_at=None,
                created_at=created,
            )
        )
        busy = AlgorithmModel(
            id=f"mdl-{tid}-busy"[:64],
            tenant_id=tid,
            name="Retrain already running",
            status="active",
            auto_learn=True,
            learn_mode="scheduled",
            learn_schedule="0 0 * * *",
            last_trained_at=now - timedelta(days=3),
            created_at=created,
        )
        session.add(busy)
        session.flush()
        session.add(
            RetrainJob(
                model_id=busy.id,
                tenant_id=tid,
                status="running",
                reason="manual",
                created_at=now - timedelta(minutes=30),
                started_at=now - timedelta(minutes=29),
            )
        )
        session.add(
            AlgorithmModel(
                id=f"mdl-{tid}-broken"[:64],
                tenant_id=tid,
                name="Invalid learn schedule",
                status="active",
                auto_learn=True,
                learn_mode="scheduled",
                learn_schedule="every night",
                created_at=created,
            )
        )
        session.add(
            AlgorithmModel(
                id=f"mdl-{tid}-fresh"[:64],
                tenant_id=tid,
                name="Trained after the occurrence",
                status="active",
                auto_learn=True,
                learn_mode="scheduled",
                learn_schedule="0 0 1 1 *",
                last_trained_at=now - timedelta(hours=1),
                created_at=created,
            )
        )
    session.flush()
