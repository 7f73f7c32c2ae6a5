"""Authentication of the cron routes (FastAPI dependencies).

``/api/v1/cron/*`` — :func:`require_cron_bearer`:

* only ``Authorization: Bearer <CRON_SECRET>`` is accepted. ``X-Cron-Secret`` and every other
  header are ignored on these routes (a request carrying only ``X-Cron-Secret`` gets 401);
* the scheme name is matched case-insensitively (``bearer`` == ``Bearer``), as RFC 9110 §11.1 says
  auth schemes are; any other scheme (``Basic`` …) is 401. One or more spaces may separate scheme
  and token; the token itself is compared byte for byte, nothing is trimmed from inside it;
* comparison is over the raw header bytes: both sides are HMAC-SHA256'd with a per-process random
  key and the digests compared with ``hmac.compare_digest``, so the time taken depends neither on
  where the first differing byte is nor on the token's length;
* two ``Authorization`` headers are rejected (ambiguous);
* missing or wrong -> 401, ``WWW-Authenticate: Bearer`` and one uniform JSON body (the body does
  not say which check failed);
* ``CRON_SECRET`` unset or empty -> 503 ``auth_not_configured``: the route fails closed and the job
  never runs.

``/api/cron/tick`` (legacy) — :func:`require_legacy_secret`: any of ``x-cron-token``,
``x-cron-secret`` or ``Authorization: Bearer`` may carry the secret, and it may equal either
``CRON_TOKEN`` or ``CRON_SECRET``; every (header, secret) pair is compared, without
short-circuiting. Both secrets unset -> 503.

Nothing here logs or returns a header value.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPBearer

from service.api.deps import MetricsDep, SettingsDep
from service.errors import AuthNotConfigured, Unauthorized
from service.jsonlog import get_logger, log_event
from service.metrics import Metrics

log = get_logger("kaireon.auth")

_KEY = secrets.token_bytes(32)

# Declared for the OpenAPI document only (security schemes carry no secret); parsing is ours.
_bearer_doc = HTTPBearer(auto_error=False, description="Authorization: Bearer <CRON_SECRET>")
_legacy_doc = APIKeyHeader(
    name="x-cron-token",
    auto_error=False,
    description="CRON_TOKEN or CRON_SECRET (x-cron-secret and Bearer also accepted)",
)

UNAUTHORIZED_DETAIL = "missing or invalid credentials"


def _digest(value: bytes) -> bytes:
    return hmac.new(_KEY, value, hashlib.sha256).digest()


def secrets_equal(given: bytes, expected: bytes) -> bool:
    """Constant-time equality over bytes (length-independent, via keyed digests)."""
    return hmac.compare_digest(_digest(given), _digest(expected))


def _raw_headers(request: Request, name: bytes) -> list[bytes]:
    return [v for k, v in request.scope.get("headers", []) if k.lower() == name]


def parse_bearer(values: list[bytes]) -> bytes | None:
    """The token of a single ``Authorization: Bearer <token>`` header, else None."""
    if len(values) != 1:
        return None
    raw = values[0].strip(b" \t")
    scheme, sep, rest = raw.partition(b" ")
    if not sep or scheme.lower() != b"bearer":
        return None
    token = rest.lstrip(b" ")
    return token or None


def _secret_bytes(value: object) -> bytes | None:
    if value is None:
        return None
    s = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
    return s.encode("utf-8") if s else None


def _route_name(request: Request) -> str:
    path = request.url.path
    return path.rsplit("/", 1)[-1]


def _unauthorized(request: Request, metrics: Metrics, reason: str) -> Unauthorized:
    route = _route_name(request)
    metrics.runs.labels(route=route, outcome="unauthorized").inc()
    log_event(
        log,
        logging.WARNING,
        "cron request rejected",
        route=route,
        reason=reason,
        client=request.client.host if request.client else None,
    )
    return Unauthorized(UNAUTHORIZED_DETAIL, job=route, headers={"WWW-Authenticate": "Bearer"})


def _not_configured(request: Request, metrics: Metrics, what: str) -> AuthNotConfigured:
    route = _route_name(request)
    metrics.runs.labels(route=route, outcome="auth_not_configured").inc()
    log_event(
        log, logging.ERROR, "cron route refused: shared secret not configured", route=route, missing=what
    )
    return AuthNotConfigured(f"{what} is not configured on the server; the job did not run", job=route)


def require_cron_bearer(
    request: Request,
    settings: SettingsDep,
    metrics: MetricsDep,
    _doc: Annotated[object, Security(_bearer_doc)] = None,
) -> None:
    expected = settings.cron_secret_value
    if expected is None:
        raise _not_configured(request, metrics, "CRON_SECRET")
    token = parse_bearer(_raw_headers(request, b"authorization"))
    if token is None:
        raise _unauthorized(request, metrics, "missing or malformed bearer credentials")
    if not secrets_equal(token, expected):
        raise _unauthorized(request, metrics, "wrong bearer secret")


def require_legacy_secret(
    request: Request,
    settings: SettingsDep,
    metrics: MetricsDep,
    _doc: Annotated[object, Security(_legacy_doc)] = None,
) -> None:
    accepted = [s for s in (_secret_bytes(settings.cron_token), _secret_bytes(settings.cron_secret)) if s]
    if not accepted:
        raise _not_configured(request, metrics, "CRON_TOKEN or CRON_SECRET")
    offered: list[bytes] = []
    for name in (b"x-cron-token", b"x-cron-secret"):
        values = _raw_headers(request, name)
        if len(values) == 1 and values[0].strip(b" \t"):
            offered.append(values[0].strip(b" \t"))
    bearer = parse_bearer(_raw_headers(request, b"authorization"))
    if bearer is not None:
        offered.append(bearer)
    if not offered:
        raise _unauthorized(request, metrics, "no credentials")
    ok = False
    for given in offered:
        for expected in accepted:
            ok |= secrets_equal(given, expected)
    if not ok:
        raise _unauthorized(request, metrics, "wrong secret")


CronAuthDep = Annotated[None, Depends(require_cron_bearer)]
LegacyAuthDep = Annotated[None, Depends(require_legacy_secret)]
