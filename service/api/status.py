"""``GET /status`` (HTML) and ``GET /status.json``: every route's last run, next fire time, lease
and backlog (:mod:`service.status`). Read-only.

Auth: ``Authorization: Bearer`` with ``STATUS_TOKEN`` (a read-only token) or ``CRON_SECRET``; both
compared in constant time (:func:`service.auth.secrets_equal`), every configured token checked
without short-circuiting. Neither configured: 503 (fail closed). Missing or wrong: 401.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from service.api.deps import RunnerDep, SettingsDep
from service.auth import UNAUTHORIZED_DETAIL, _raw_headers, _secret_bytes, parse_bearer, secrets_equal
from service.errors import AuthNotConfigured, Unauthorized
from service.jobs import v1_routes
from service.runner import Runner
from service.status import collect
from service.status_html import render

NO_STORE = {"Cache-Control": "no-store"}


def require_status_token(request: Request, settings: SettingsDep) -> None:
    accepted = [s for s in (_secret_bytes(settings.status_token), settings.cron_secret_value) if s]
    if not accepted:
        raise AuthNotConfigured(
            "neither STATUS_TOKEN nor CRON_SECRET is configured on the server", job="status"
        )
    token = parse_bearer(_raw_headers(request, b"authorization"))
    if token is None:
        raise Unauthorized(UNAUTHORIZED_DETAIL, job="status", headers={"WWW-Authenticate": "Bearer"})
    ok = False
    for expected in accepted:
        ok = secrets_equal(token, expected) | ok
    if not ok:
        raise Unauthorized(UNAUTHORIZED_DETAIL, job="status", headers={"WWW-Authenticate": "Bearer"})


router = APIRouter(tags=["status"], dependencies=[Depends(require_status_token)])


def _document(runner: Runner) -> dict[str, Any]:
    with runner.session_factory() as session:
        return collect(session, v1_routes(), runner.clock())


@router.get("/status.json")
async def status_json(runner: RunnerDep) -> JSONResponse:
    """Every route's last run, next fire time, lease and backlog, as JSON."""
    return JSONResponse(await run_in_threadpool(_document, runner), headers=NO_STORE)


@router.get("/status", response_class=HTMLResponse)
async def status_page(
    runner: RunnerDep,
    refresh: Annotated[int | None, Query(ge=5, le=3600, description="meta refresh, seconds")] = None,
) -> HTMLResponse:
    """The same as one HTML page (no JavaScript); ``?refresh=N`` reloads it every N seconds."""
    return HTMLResponse(render(await run_in_threadpool(_document, runner), refresh), headers=NO_STORE)
