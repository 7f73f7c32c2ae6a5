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
    400: {"description": "A bad `dryRun` / `maxShare` query parameter (dsar-purge preview)"},
    501: {"description": "The job is not implemented yet"},
    503: {"description": "CRON_SECRET is not configured (the job did not run), or the database is unavailable"},
}


# Routes with a ``?dryRun=true`` preview, and its documented query parameters.
PREVIEW_ROUTES = ("dsar-purge",)
PREVIEW_PARAMETERS = [
    {"name": "dryRun", "in": "query", "required": False, "schema": {"type": "boolean", "default": False},
     "description": "Preview: the counts a run would delete and per-tenant preflight findings; deletes nothing"},
    {"name": "maxShare", "in": "query", "required": False,
     "schema": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.5},
     "description": "Preview: flag a cutoff that would delete more than this share of a tenant's table"},
]


def run_route(request: Request, route: str, trigger: str = "http") -> JSONResponse:
    outcome = request.app.state.runner.run(route, trigger=trigger)
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=outcome.headers)


def run_preview(request: Request, route: str) -> JSONResponse | None:
    """``?dryRun=true`` on a job with a ``preview`` (dsar-purge): its preview, without the run lease
    and without deleting anything; None when the request is an ordinary run."""
    from service.jobs import load_job
    from service.jobs._dsar_preview import BadPreviewRequest, parse_flag

    raw = request.query_params.get("dryRun")
    if not parse_flag("dryRun", raw):
        return None
    module = load_job(route)
    preview = getattr(module, "preview", None)
    if not callable(preview):
        raise BadPreviewRequest(f"dryRun is not supported by {route} (only dsar-purge has a preview)", job=route)
    runner = request.app.state.runner
    result = preview(runner.session_factory, runner.settings, runner.clock(), dict(request.query_params),
                     clock=runner.clock)
    return JSONResponse(result.model_dump(mode="json", by_alias=True))


def _endpoint(route: str) -> Callable[[Request], JSONResponse]:
    # A sync endpoint: FastAPI runs it in its thread pool, so a long job never blocks the event loop.
    def endpoint(request: Request) -> JSONResponse:
        return run_preview(request, route) or run_route(request, route)

    endpoint.__name__ = "cron_" + route.replace("-", "_")
    endpoint.__doc__ = f"Run the `{route}` job once under its run lease and return its result."
    return endpoint


def build_router(routes: list[str] | None = None) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["cron"], dependencies=[Depends(require_cron_bearer)])
    for route in routes if routes is not None else v1_routes():
        endpoint = _endpoint(route)
        extra = {"parameters": PREVIEW_PARAMETERS} if route in PREVIEW_ROUTES else None
        for method in ("GET", "POST"):
            router.add_api_route(f"/{route}", endpoint, methods=[method], name=f"cron:{route}",
                                 operation_id=f"{method.lower()}_cron_{route.replace('-', '_')}",
                                 responses=RESPONSES, openapi_extra=extra)
    return router
