"""/api/v1/cron/flow-scheduler-tick (``* * * * *``) — fire due pipelines from their ``ir.schedule``.

As the platform documents (see :mod:`service.schedules` for the schedule dialects): every enabled
pipeline with a schedule is due when an occurrence falls in ``(lastRunAt, now]`` (interval: when
``now - lastRunAt >= minutes``); a never-run pipeline looks back 24 hours. Each due pipeline is
dispatched: one ``pipeline_runs`` row (``status = 'queued'``, ``trigger = 'schedule'``,
``scheduled_for`` = the occurrence that made it due — the most recent one) and the pipeline's
``last_run_at = now`` (the tick time; several missed occurrences collapse into one run) and
``last_run_status = 'queued'``. Its result entry is ``{"fired": true, "status": 201}``, mirroring the
platform's run route.

A malformed schedule skips that pipeline and never fails the tick: it is counted in ``scheduled``,
not in ``due``, and listed in ``results`` with ``{"fired": false, "status": 422}``. ``failed``
counts dispatches that raised (their entries carry ``status: 500``). The response is exactly
``{tickAt, totalPipelines, scheduled, due, dispatched, failed, results, durationMs}``; a concurrent
tick answers ``{"skipped": true}`` (the runner's lease).

Speed: one column-only SELECT, schedules compiled once per distinct (expression, time zone) and the
latest occurrence computed once per distinct schedule per tick, one multi-row INSERT for the runs
and one UPDATE per 1000 pipelines. If the bulk dispatch fails, the tick falls back to dispatching
pipeline by pipeline (a savepoint each), so one bad row costs only its own dispatch.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from pydantic import Field
from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

from service.config import Settings
from service.jobs._result import ApiModel, JobResult
from service.models.scheduling import Pipeline, PipelineRun
from service.schedules import DueEvaluator, ScheduleError, compile_pipeline_schedule

ROUTE = "flow-scheduler-tick"
# a mapped class's __table__ is typed FromClause; these are Tables
_PIPES = cast(Table, Pipeline.__table__)
_RUNS = cast(Table, PipelineRun.__table__)
STATUS_DISPATCHED = 201
STATUS_MALFORMED = 422
STATUS_FAILED = 500
_CHUNK = 1000
log = logging.getLogger("kaireon.jobs.flow")


class PipelineResult(ApiModel):
    pipeline_id: str
    tenant_id: str
    fired: bool
    status: int


class FlowTickResult(JobResult):
    tick_at: str
    total_pipelines: int = 0
    scheduled: int = 0
    due: int = 0
    dispatched: int = 0
    failed: int = 0
    results: list[PipelineResult] = Field(default_factory=list)
    duration_ms: int = 0

    @property
    def rows_affected(self) -> int:
        return self.dispatched


def iso_millis(dt: datetime) -> str:
    """``2026-04-27T20:00:00.000Z`` — the platform's JavaScript ``toISOString()`` form."""
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _bulk_dispatch(session: Session, due: list[tuple[str, str, datetime]], now: datetime) -> None:
    # Core statements on the tables (not the ORM bulk path): no per-row ORM bookkeeping
    session.execute(
        _RUNS.insert(),
        [
            {
                "pipeline_id": pid,
                "tenant_id": tid,
                "trigger": "schedule",
                "scheduled_for": occ,
                "status": "queued",
                "created_at": now,
            }
            for pid, tid, occ in due
        ],
    )
    ids = [pid for pid, _, _ in due]
    for start in range(0, len(ids), _CHUNK):
        session.execute(
            _PIPES.update()
            .where(_PIPES.c.id.in_(ids[start : start + _CHUNK]))
            .values(last_run_at=now, last_run_status="queued")
        )


def _dispatch_one(
    session: Session, pipeline_id: str, tenant_id: str, occurrence: datetime, now: datetime
) -> None:
    session.execute(
        insert(PipelineRun).values(
            pipeline_id=pipeline_id,
            tenant_id=tenant_id,
            trigger="schedule",
            scheduled_for=occurrence,
            status="queued",
            created_at=now,
        )
    )
    session.execute(
        update(Pipeline)
        .where(Pipeline.id == pipeline_id)
        .values(last_run_at=now, last_run_status="queued")
        .execution_options(synchronize_session=False)
    )


def run(session: Session, settings: Settings, now: datetime) -> FlowTickResult:
    started = time.perf_counter()
    total = session.scalar(select(func.count()).select_from(_PIPES)) or 0
    c = _PIPES.c
    rows = session.execute(
        select(c.id, c.tenant_id, c.schedule, c.last_run_at, c.created_at)
        .where(c.enabled.is_(True))
        .order_by(c.id)
    ).all()
    evaluator = DueEvaluator(now)
    scheduled = 0
    results: list[PipelineResult] = []
    due: list[tuple[str, str, datetime]] = []
    for pid, tid, schedule, last_run_at, created_at in rows:
        if not schedule:  # no schedule (SQL NULL, JSON null or {}): manual-only pipeline
            continue
        scheduled += 1
        try:
            compiled = compile_pipeline_schedule(schedule, created_at)
            occurrence = evaluator.due_occurrence(compiled, last_run_at)
        except Exception as exc:  # noqa: BLE001 - ScheduleError, or anything a parser throws: skip it
            reason = exc if isinstance(exc, ScheduleError) else f"{type(exc).__name__}: {exc}"
            log.warning("flow-scheduler-tick: pipeline %s (tenant %s) skipped: %s", pid, tid, reason)
            results.append(
                PipelineResult.model_construct(
                    pipeline_id=pid, tenant_id=tid, fired=False, status=STATUS_MALFORMED
                )
            )
            continue
        if occurrence is not None:
            due.append((pid, tid, occurrence))

    failed_ids: set[str] = set()
    if due:
        try:
            with session.begin_nested():
                _bulk_dispatch(session, due, now)
        except Exception as exc:  # noqa: BLE001 - fall back to one savepoint per pipeline
            log.warning("flow-scheduler-tick: bulk dispatch failed (%s); dispatching one by one", exc)
            for pid, tid, occ in due:
                try:
                    with session.begin_nested():
                        _dispatch_one(session, pid, tid, occ, now)
                except Exception as one_exc:  # noqa: BLE001 - this pipeline fails, the rest go on
                    log.error("flow-scheduler-tick: dispatch of pipeline %s failed: %s", pid, one_exc)
                    failed_ids.add(pid)
        session.commit()
    for pid, tid, _ in due:
        ok = pid not in failed_ids
        # built without re-validation: the values are ours and typed (10,000 entries per tick)
        results.append(
            PipelineResult.model_construct(
                pipeline_id=pid, tenant_id=tid, fired=ok, status=STATUS_DISPATCHED if ok else STATUS_FAILED
            )
        )
    return FlowTickResult.model_construct(
        tick_at=iso_millis(now),
        total_pipelines=total,
        scheduled=scheduled,
        due=len(due),
        dispatched=len(due) - len(failed_ids),
        failed=len(failed_ids),
        results=results,
        duration_ms=round((time.perf_counter() - started) * 1000),
    )


def demo(session: Session, tenants: Sequence[Any], now: datetime, rng: random.Random) -> None:
    """Pipelines of every schedule kind that are due on the first tick, one malformed, one not due."""
    for t in tenants:
        tid = getattr(t, "id", t)
        created = now - timedelta(days=30)
        specs: list[tuple[str, dict[str, Any] | None, datetime | None]] = [
            (
                "Hourly cron (Berlin)",
                {"kind": "cron", "expression": "0 * * * *", "timezone": "Europe/Berlin"},
                now - timedelta(hours=2),
            ),
            (
                "Nightly cron, never run",
                {"kind": "cron", "expression": "30 2 * * *", "timezone": "America/New_York"},
                None,
            ),
            ("Every 15 minutes", {"kind": "interval", "minutes": 15}, now - timedelta(minutes=20)),
            ("Every 5 minutes, never run", {"kind": "interval", "minutes": 5}, None),
            (
                "Daily rrule at 06:00",
                {"kind": "rrule", "rrule": "FREQ=DAILY;BYHOUR=6;BYMINUTE=0", "timezone": "UTC"},
                now - timedelta(days=1, hours=1),
            ),
            ("Malformed cron", {"kind": "cron", "expression": "61 25 * * *", "timezone": "UTC"}, None),
            (
                "Daily interval, ran a minute ago",
                {"kind": "interval", "minutes": 1440},
                now - timedelta(minutes=1),
            ),
            ("Manual only", None, None),
        ]
        for i, (name, schedule, last) in enumerate(specs):
            session.add(
                Pipeline(
                    id=f"pl-{tid}-{i}"[:64],
                    tenant_id=tid,
                    name=name,
                    schedule=schedule,
                    enabled=True,
                    last_run_at=last,
                    created_at=created,
                )
            )
        session.add(
            Pipeline(
                id=f"pl-{tid}-off"[:64],
                tenant_id=tid,
                name="Disabled hourly",
                schedule={"kind": "interval", "minutes": 60},
                enabled=False,
                created_at=created,
            )
        )
    session.flush()
