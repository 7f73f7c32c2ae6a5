"""Legacy ``/api/cron/tick`` (alert rules + report schedules), GET and POST.

Accepts ``x-cron-token``, ``x-cron-secret`` or ``Authorization: Bearer`` carrying CRON_TOKEN or
CRON_SECRET (see :mod:`service.auth`).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from service.api.cron import RESPONSES, run_route
from service.api.deps import RunnerDep
from service.auth import require_legacy_secret
from service.jobs import LEGACY_ROUTE

router = APIRouter(tags=["cron (legacy)"])


async def legacy_tick(request: Request, runner: RunnerDep) -> JSONResponse:
    """Evaluate alert rules and due report schedules (the platform's EventBridge tick)."""
    return await run_route(request, runner, LEGACY_ROUTE)


for _method in ("GET", "POST"):
    router.add_api_route(
        "/api/cron/tick",
        legacy_tick,
        methods=[_method],
        name="cron:tick",
        operation_id=f"{_method.lower()}_cron_tick",
        responses=RESPONSES,
        dependencies=[Depends(require_legacy_secret)],
    )
