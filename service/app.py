"""The FastAPI application factory.

``create_app(settings=None)`` builds everything per app (engine, session factory, metrics
registry, runner) — nothing happens at import time, so tests build as many apps as they like.
The lifespan starts the in-process scheduler when ``IN_PROCESS_SCHEDULER`` is true and stops it
(and disposes the engine) on shutdown.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from importlib.metadata import version

from fastapi import FastAPI
from sqlalchemy import Engine

from service.api import cron, health, legacy, status
from service.api.http import HeadAsGet
from service.config import Settings, get_settings
from service.db import engine_from_settings, make_sessionmaker
from service.errors import install_handlers
from service.jobs import JOB_MODULES, v1_routes
from service.jsonlog import get_logger, log_event, register_settings_secrets
from service.metrics import Metrics
from service.readiness import ReadinessProbe
from service.runner import Runner, utcnow
from service.scheduler import build_scheduler

log = get_logger("kaireon.app")


def engine_for(settings: Settings, *, statement_timeout: bool = True) -> Engine:
    """The service's engine, every wait bounded (:func:`service.db.engine_from_settings`)."""
    return engine_from_settings(settings, statement_timeout=statement_timeout)


def create_app(settings: Settings | None = None, *, clock: Callable[[], datetime] = utcnow) -> FastAPI:
    settings = settings or get_settings()
    register_settings_secrets(settings)
    engine = engine_for(settings)
    session_factory = make_sessionmaker(engine)
    metrics = Metrics()
    metrics.prime(list(JOB_MODULES))
    runner = Runner(settings, engine, session_factory, metrics, clock=clock)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.cron_secret_value is None:
            log_event(
                log,
                logging.WARNING,
                "CRON_SECRET is not set: every /api/v1/cron/* route answers 503 until it is "
                "(probes and the in-process scheduler keep working)",
            )
        scheduler = None
        if settings.in_process_scheduler:
            scheduler = build_scheduler(runner)
            scheduler.start()
            app.state.scheduler = scheduler
        try:
            yield
        finally:
            runner.stopping.set()  # lock-free flag (service.runner.StopFlag); running jobs stop at a batch
            if scheduler is not None:
                # one grace period for everything since SIGTERM (uvicorn's drain included)
                scheduler.stop(timeout=max(runner.stopping.remaining(settings.shutdown_grace_seconds), 1.0))
            runner.close()  # a last try at lease releases that failed while the database was down
            engine.dispose()

    app = FastAPI(
        title="kaireon-service",
        summary="Cron handlers of the KaireonAI cron tier",
        version=_version(),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = session_factory
    app.state.metrics = metrics
    app.state.runner = runner
    app.state.readiness = ReadinessProbe(engine, settings.readyz_timeout_seconds)
    app.state.scheduler = None
    app.state.started_at = datetime.now().astimezone()
    install_handlers(app)
    app.add_middleware(HeadAsGet)
    app.include_router(health.router)
    app.include_router(cron.build_router(v1_routes()))
    app.include_router(legacy.router)
    app.include_router(status.router)
    return app


def _version() -> str:
    try:
        return version("kaireon-chart")
    except Exception:  # noqa: BLE001 - running from a source tree without metadata
        return "0.0.0"
