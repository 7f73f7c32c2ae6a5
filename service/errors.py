"""Service errors, mapped to HTTP in one place (:func:`install_handlers`).

Every error body has the same JSON shape::

    {"ok": false, "error": "<code>", "detail": "<what happened>", "job": <route|null>, "run_id": <id|null>}

Bodies never carry a stack trace or a secret: ``detail`` is built by the code that raises, and
messages derived from exceptions pass through :func:`service.jsonlog.redact` first.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError

from service.jsonlog import get_logger, redact


class ServiceError(Exception):
    status_code = 500
    code = "internal_error"

    def __init__(
        self,
        detail: str,
        *,
        job: str | None = None,
        run_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.job = job
        self.run_id = run_id
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {
            "ok": False,
            "error": self.code,
            "detail": self.detail,
            "job": self.job,
            "run_id": self.run_id,
        }


class Unauthorized(ServiceError):
    status_code = 401
    code = "unauthorized"


class AuthNotConfigured(ServiceError):
    """The shared secret is unset: the route fails closed and the job never runs."""

    status_code = 503
    code = "auth_not_configured"


class JobNotImplemented(ServiceError):
    status_code = 501
    code = "not_implemented"


class JobFailed(ServiceError):
    status_code = 500
    code = "job_failed"


class LeaseLost(ServiceError):
    """The run's lease expired and another holder took it over; the run stops."""

    status_code = 500
    code = "lease_lost"


class DatabaseUnavailable(ServiceError):
    status_code = 503
    code = "database_unavailable"


class ShuttingDown(ServiceError):
    """The process received SIGTERM: no new run starts (another replica or the next slot runs it)."""

    status_code = 503
    code = "shutting_down"


class RequestIncomplete(ServiceError):
    """The request body was not fully and validly received (client gone, malformed chunking):
    the job is not started. The server has usually answered 400 already."""

    status_code = 400
    code = "request_incomplete"


class RequestTooLarge(ServiceError):
    """A cron trigger carries no payload; a body over the bound is refused before the job runs."""

    status_code = 413
    code = "request_too_large"


def db_unavailable_detail(exc: BaseException) -> str:
    """A 503 detail for a database failure: the exception type only — never a host, port, driver
    message or path (those go to the logs, password scrubbed)."""
    return f"the database is unavailable ({type(exc).__name__})"


def error_text(exc: BaseException) -> str:
    """``Type: first 300 characters`` of ``exc`` on one line, every registered secret scrubbed: what a
    job puts in its response body (an entry's ``errors``) when it carries on past a failure."""
    text = " ".join(str(exc).split())
    return redact(f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__)


def connection_lost(exc: BaseException) -> bool:
    """True when ``exc`` means the PostgreSQL connection itself failed (not a SQL error such as a
    deadlock or a timeout): SQLAlchemy marked the connection invalidated, or the driver error has no
    SQLSTATE / a connection-class one (08xxx, 57P0x)."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    if not hasattr(orig, "sqlstate"):
        return False  # SQLite: "database is locked" and friends are not an outage
    state = getattr(orig, "sqlstate", None)
    return state is None or state.startswith("08") or state.startswith("57P0")


def error_response(err: ServiceError) -> JSONResponse:
    return JSONResponse(err.body(), status_code=err.status_code, headers=err.headers)


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:  # pragma: no cover - safety net
        get_logger("kaireon.app").error(
            "unhandled error", extra={"fields": {"error_type": type(exc).__name__}}
        )
        return error_response(ServiceError(redact(f"{type(exc).__name__}: {exc}")))
