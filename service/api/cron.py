"""``/api/v1/cron/<route>``: one GET+POST route per registered job, Bearer CRON_SECRET only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from service.api.deps import RunnerDep
from service.api.http import receive_whole_body
from service.auth import require_cron_bearer
from service.jobs import load_job, v1_routes
from service.jobs._dsar_preview import BadPreviewRequest, parse_flag
from service.runner import Runner
from service.shards import SHARDABLE_ROUTES, Shard, parse_shard

PREFIX = "/api/v1/cron"

RESPONSES: dict[int | str, dict[str, str]] = {
    200: {"description": 'The job\'s JSON result, or `{"ok": true, "skipped": "already running"}`'},
    400: {
        "description": "The request was not fully received (e.g. a malformed chunked body), or a bad `dryRun` / "
        "`maxShare` query parameter (dsar-purge preview), or a bad or misplaced `shard` / `shards`; the job did not run"
    },
    401: {"description": "Missing or wrong `Authorization: Bearer` credentials"},
    500: {"description": 'The job failed: `{"ok": false, "error": "job_failed", "detail": ...}`'},
    501: {"description": "The job is not implemented yet"},
    413: {"description": "The request carries a body over 64 KiB (triggers take none); the job did not run"},
    503: {
        "description": "CRON_SECRET is not configured (the job did not run), the database is unavailable, "
        "or the service is shutting down"
    },
}


# Routes with a ``?dryRun=true`` preview, and its documented query parameters.
PREVIEW_ROUTES = ("dsar-purge",)
PREVIEW_PARAMETERS = [
    {
        "name": "dryRun",
        "in": "query",
        "required": False,
        "schema": {"type": "boolean", "default": False},
        "description": "Preview: the counts a run would delete and per-tenant preflight findings; deletes nothing",
    },
    {
        "name": "maxShare",
        "in": "query",
        "required": False,
        "schema": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.5},
        "description": "Preview: flag a cutoff that would delete more than this share of a tenant's table",
    },
]

# Routes that loop over tenants take ``?shard=i&shards=n`` (service.shards): only that shard's tenants.
SHARD_PARAMETERS = [
    {
        "name": "shard",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 0},
        "description": "Sharded run: this call's shard index, 0 <= shard < shards (with shards)",
    },
    {
        "name": "shards",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
        "description": "Sharded run: the number of shards; the call processes the tenants with sha256(id) mod shards = shard",
    },
]


def run_preview(runner: Runner, route: str, query: dict[str, str]) -> JSONResponse:
    """``?dryRun=true`` on a job with a ``preview`` (dsar-purge): its preview, without the run lease
    and without deleting anything; a 400 for a job without one (a dry run is never silently a run)."""
    module = load_job(route)
    preview = getattr(module, "preview", None)
    if not callable(preview):
        raise BadPreviewRequest(
            f"dryRun is not supported by {route} (only dsar-purge has a preview)", job=route
        )
    result = preview(runner.session_factory, runner.settings, runner.clock(), query, clock=runner.clock)
    return JSONResponse(result.model_dump(mode="json", by_alias=True))


async def run_route(
    request: Request, runner: Runner, route: str, trigger: str = "http", shard: Shard | None = None
) -> JSONResponse:
    """Receive the whole request first (a job starts only for a fully and validly received request),
    then run the job on the thread pool, so a long job never blocks the event loop."""
    await receive_whole_body(request)
    outcome = await run_in_threadpool(runner.run, route, trigger, shard)
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=outcome.headers)


def _endpoint(route: str) -> Callable[[Request, Runner], Awaitable[JSONResponse]]:
    async def endpoint(request: Request, runner: RunnerDep) -> JSONResponse:
        if parse_flag("dryRun", request.query_params.get("dryRun")):  # a bad value: 400, nothing runs
            await receive_whole_body(request)
            return await run_in_threadpool(run_preview, runner, route, dict(request.query_params))
        shard = parse_shard(route, request.query_params)  # a bad or misplaced value: 400, nothing runs
        return await run_route(request, runner, route, shard=shard)

    endpoint.__name__ = "cron_" + route.replace("-", "_")
    endpoint.__doc__ = f"Run the `{route}` job once under its run lease and return its result."
    return endpoint


def build_router(routes: list[str] | None = None) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["cron"], dependencies=[Depends(require_cron_bearer)])
    for route in routes if routes is not None else v1_routes():
        endpoint = _endpoint(route)
        params = (PREVIEW_PARAMETERS if route in PREVIEW_ROUTES else []) + (
            SHARD_PARAMETERS if route in SHARDABLE_ROUTES else []
        )
        extra = {"parameters": params} if params else None
        for method in ("GET", "POST"):
            router.add_api_route(
                f"/{route}",
                endpoint,
                methods=[method],
                name=f"cron:{route}",
                operation_id=f"{method.lower()}_cron_{route.replace('-', '_')}",
                responses=RESPONSES,
                openapi_extra=extra,
            )
    return router
