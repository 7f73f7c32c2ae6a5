"""Probes and metrics: ``/healthz`` (no I/O), ``/readyz`` (database reachable), ``/metrics``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from service.runner import error_detail

router = APIRouter(tags=["probes"])


@router.get("/healthz")
async def healthz() -> dict[str, bool]:
    """Liveness: the process answers. Touches no dependency (a DB blip must not restart pods)."""
    return {"ok": True}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """Readiness: the database answers ``SELECT 1``; 503 otherwise."""
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        detail = error_detail(exc).split(":", 1)[0]  # the exception type only: no host names or paths
        return JSONResponse({"ok": False, "error": "database_unavailable", "detail": detail}, status_code=503)
    return JSONResponse({"ok": True, "database": "ok"})


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """Prometheus text exposition of this process's metrics."""
    m = request.app.state.metrics
    return Response(m.render(), media_type=m.content_type)
