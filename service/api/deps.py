"""What the routes are given (FastAPI dependencies): the app's settings, runner (which holds the
session factory and clock), metrics and readiness probe, built once per app by :func:`service.app.create_app` and kept on ``app.state``.

Only this module reads ``app.state``; a route declares what it needs (``settings: SettingsDep``).
The functions are ``async`` so FastAPI calls them on the event loop: a probe never waits for a
worker thread of the request pool.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service.config import Settings
from service.metrics import Metrics
from service.readiness import ReadinessProbe
from service.runner import Runner


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_runner(request: Request) -> Runner:
    runner: Runner = request.app.state.runner
    return runner


async def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


async def get_readiness(request: Request) -> ReadinessProbe:
    probe: ReadinessProbe = request.app.state.readiness
    return probe


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
RunnerDep = Annotated[Runner, Depends(get_runner)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
ReadinessDep = Annotated[ReadinessProbe, Depends(get_readiness)]
