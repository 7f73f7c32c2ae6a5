"""``/api/v1/cron/<route>``: one GET+POST route per registered job, Bearer CRON_SECRET only."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from service.auth import require_cron_bearer
from service.jobs import v1_routes

PREFIX = "/api/v1/cron"

RESPONSES: dict[int | str, dict[str, str]] = {
    200: {"description": "The job's JSON result, or `{\"ok\": true, \"skipped\": \"already running\"}`"},
    401: {"description": "Missing or wrong `Authorization: Bearer` credentials"},
    500: {"description": "The job failed: `{\"ok\": false, \"error\": \"job_failed\", \"detail\": ...}`"},
    501: {"description": "The job is not implemented yet"},
    503: {"description": "CRON_SECRET is not configured (the job did not run), or the database is unavailable"},
}


def run_route(request: Request, route: str, trigger: str = "http") -> JSONResponse:
    outcome = request.app.state.runner.run(route, trigger=trigger)
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=outcome.headers)


def _endpoint(route: str) -> Callable[[Request], JSONResponse]:
    # A sync endpoint: FastAPI runs it in its thread pool, so a long job never blocks the event loop.
    def endpoint(request: Request) -> JSONResponse:
        return run_route(request, route)

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
