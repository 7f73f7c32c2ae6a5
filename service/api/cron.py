"""``/api/v1/cron/<route>``: one GET+POST route per registered job, Bearer CRON_SECRET only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from service.api.http import receive_whole_body
from service.auth import require_cron_bearer
from service.jobs import v1_routes

PREFIX = "/api/v1/cron"

RESPONSES: dict[int | str, dict[str, str]] = {
    200: {"description": "The job's JSON result, or `{\"ok\": true, \"skipped\": \"already running\"}`"},
    400: {"description": "The request was not fully received (e.g. a malformed chunked body); the job did not run"},
    401: {"description": "Missing or wrong `Authorization: Bearer` credentials"},
    500: {"description": "The job failed: `{\"ok\": false, \"error\": \"job_failed\", \"detail\": ...}`"},
    501: {"description": "The job is not implemented yet"},
    413: {"description": "The request carries a body over 64 KiB (triggers take none); the job did not run"},
    503: {"description": "CRON_SECRET is not configured (the job did not run), the database is unavailable, "
                         "or the service is shutting down"},
}


async def run_route(request: Request, route: str, trigger: str = "http") -> JSONResponse:
    """Receive the whole request first (a job starts only for a fully and validly received request),
    then run the job on the thread pool, so a long job never blocks the event loop."""
    await receive_whole_body(request)
    outcome = await run_in_threadpool(request.app.state.runner.run, route, trigger)
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=outcome.headers)


def _endpoint(route: str) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def endpoint(request: Request) -> JSONResponse:
        return await run_route(request, route)

    endpoint.__name__ = "cron_" + route.replace("-", "_")
    endpoint.__doc__ = f"Run the `{route}` job once under its run lease and return its result."
    return endpoint


def build_router(routes: list[str] | None = None) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["cron"], dependencies=[Depends(require_cron_bearer)])
    for route in routes if routes is not None else v1_routes():
        endpoint = _endpoint(route)
        for method in ("GET", "POST"):
            router.add_api_route(f"/{route}", endpoint, methods=[method], name=f"cron:{route}",
                                 operation_id=f"{method.lower()}_cron_{route.replace('-', '_')}",
                                 responses=RESPONSES)
    return router
