"""Probes and metrics: ``/healthz`` (no I/O), ``/readyz`` (database reachable), ``/metrics``.

None of them ever waits on a worker thread of the request pool: ``/healthz`` and ``/metrics`` are
computed on the event loop from process memory only (they never touch the database), and
``/readyz`` awaits a :class:`service.readiness.ReadinessProbe` for at most ``READYZ_TIMEOUT_SECONDS``.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from service.api.deps import MetricsDep, ReadinessDep

router = APIRouter(tags=["probes"])


@router.get("/healthz")
async def healthz() -> dict[str, bool]:
    """Liveness: the process answers. Touches no dependency (a DB blip must not restart pods)."""
    return {"ok": True}


@router.get("/readyz")
async def readyz(readiness: ReadinessDep) -> JSONResponse:
    """Readiness: the database answers ``SELECT 1`` within READYZ_TIMEOUT_SECONDS; 503 otherwise.

    The 503 body names the exception type only (no host names, ports, drivers or paths)."""
    failure = await readiness.check()
    if failure is not None:
        return JSONResponse(
            {"ok": False, "error": "database_unavailable", "detail": failure}, status_code=503
        )
    return JSONResponse({"ok": True, "database": "ok"})


@router.get("/metrics")
async def metrics(registry: MetricsDep) -> Response:
    """Prometheus text exposition of this process's metrics (memory only; never the database)."""
    return Response(registry.render(), media_type=registry.content_type)
