"""Auth matrix on every cron route.

Decisions documented in service/auth.py and tested here:
* v1 accepts only ``Authorization: Bearer <CRON_SECRET>``; the scheme name is case-insensitive
  (RFC 9110 §11.1), so ``bearer <secret>`` is accepted; ``Basic`` and every other header
  (``X-Cron-Secret``, ``x-cron-token``) are 401.
* the token is compared exactly: longer, shorter, trailing garbage, wrong case -> 401.
* unset or empty CRON_SECRET -> 503 and the job never runs.
"""

from __future__ import annotations

import base64
import re

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from starlette.requests import Request

from service.app import create_app
from service.auth import parse_bearer, require_cron_bearer, require_legacy_secret, secrets_equal
from service.config import Settings
from service.errors import Unauthorized
from service.jobs import JOB_MODULES, LEGACY_ROUTE, v1_routes
from service.jobs._result import JobResult
from service.metrics import Metrics

ROUTES = v1_routes()
SECRET = "test-cron-secret-0123456789abcdef"  # the conftest settings fixture's values
TOKEN = "test-cron-token-0123456789abcdef"


class Ok(JobResult):
    ok: bool = True
    touched: int = 1


def _record_calls(fake_job) -> list[str]:
    """Point every route at a fake job that appends the route to the returned list."""
    seen: list[str] = []
    for route in list(JOB_MODULES):

        def run(session, settings, now, _r=route):
            seen.append(_r)
            return Ok()

        fake_job(route, run)
    return seen


@pytest.fixture
def calls(fake_job, engine):
    """Every route (v1 and legacy) points at a fake job that records its calls."""
    return _record_calls(fake_job)


def _client(settings, **changes) -> TestClient:
    """An app on a copy of ``settings`` with ``changes`` applied *and validated*."""
    return TestClient(create_app(Settings(**(settings.model_dump() | changes))))


def _assert_401(resp) -> None:
    assert resp.status_code == 401, resp.text
    assert resp.headers["www-authenticate"] == "Bearer"
    body = resp.json()
    assert body["ok"] is False and body["error"] == "unauthorized"
    assert body["detail"] == "missing or invalid credentials"
    assert SECRET not in resp.text and TOKEN not in resp.text


REJECTED_V1 = {
    "no header": [],
    "wrong secret": [("Authorization", "Bearer not-the-secret")],
    "longer secret": [("Authorization", f"Bearer {SECRET}x")],
    "shorter secret": [("Authorization", f"Bearer {SECRET[:-1]}")],
    "secret upper-cased": [("Authorization", f"Bearer {SECRET.upper()}")],
    "trailing garbage": [("Authorization", f"Bearer {SECRET} extra")],
    "scheme only": [("Authorization", "Bearer")],
    "no scheme": [("Authorization", SECRET)],
    "basic scheme": [("Authorization", "Basic " + base64.b64encode(f"cron:{SECRET}".encode()).decode())],
    "token scheme": [("Authorization", f"Token {SECRET}")],
    "x-cron-secret on v1": [("X-Cron-Secret", SECRET)],
    "x-cron-token on v1": [("x-cron-token", SECRET)],
    "query string": [],  # ?secret=... below
    "two authorization headers": [("Authorization", f"Bearer {SECRET}"), ("Authorization", "Bearer other")],
}


@pytest.fixture
def sqlite_settings(sqlite_url, tmp_path):
    """Auth does not touch the database: the per-route matrix runs on SQLite only (the other tests
    in this file, and the lease/runner tests, cover PostgreSQL)."""
    from service.db import make_engine
    from service.models import Base

    eng = make_engine(sqlite_url)
    Base.metadata.create_all(eng)
    eng.dispose()
    return Settings(
        database_url=sqlite_url,
        cron_secret=SECRET,
        cron_token=TOKEN,
        in_process_scheduler=False,
        export_storage_url=str(tmp_path / "exports"),
        attachment_storage_url=str(tmp_path / "att"),
    )


@pytest.fixture
def sqlite_calls(fake_job, sqlite_settings):
    return _record_calls(fake_job)


@pytest.mark.parametrize("route", ROUTES)
def test_v1_auth_matrix(sqlite_settings, sqlite_calls, route):
    calls = sqlite_calls
    client = _client(sqlite_settings)
    url = f"/api/v1/cron/{route}"
    for case, headers in REJECTED_V1.items():
        for method in ("GET", "POST"):
            target = url + (f"?secret={SECRET}&token={SECRET}" if case == "query string" else "")
            resp = client.request(method, target, headers=headers)
            _assert_401(resp)
    assert calls == [], "a rejected request ran the job"

    for method in ("GET", "POST"):
        for scheme in ("Bearer", "bearer", "BEARER"):
            resp = client.request(method, url, headers={"Authorization": f"{scheme} {SECRET}"})
            assert resp.status_code == 200, (scheme, resp.text)
            assert resp.json() == {"ok": True, "touched": 1}
            assert len(resp.headers["x-run-id"]) == 32
    # several spaces between scheme and token are allowed (RFC 9110: 1*SP)
    assert client.post(url, headers={"Authorization": f"Bearer   {SECRET}"}).status_code == 200
    assert calls == [route] * 7


@pytest.mark.parametrize("unset", [None, ""])
def test_v1_unset_secret_fails_closed(settings, calls, unset):
    client = _client(settings, cron_secret=unset)
    for route in ROUTES:
        for headers in (
            {},
            {"Authorization": "Bearer "},
            {"Authorization": f"Bearer {SECRET}"},
            {"Authorization": "Bearer anything"},
        ):
            resp = client.post(f"/api/v1/cron/{route}", headers=headers)
            assert resp.status_code == 503, resp.text
            body = resp.json()
            assert body["error"] == "auth_not_configured"
            assert body["detail"] == "CRON_SECRET is not configured on the server; the job did not run"
            assert body["job"] == route
    assert calls == []
    # the service itself is up: probes answer
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_v1_routes_are_registered_for_get_and_post(settings, calls):
    client = _client(settings)
    spec = client.get("/openapi.json").json()
    expected = {
        "cleanup",
        "engagement-health-recompute",
        "gitops-drift-check",
        "approvals-expire",
        "flow-scheduler-tick",
        "scheduled-retrains",
        "outbox-reaper",
        "dsar-purge",
        "siem-ship",
        "export-interactions",
    }
    assert set(ROUTES) == expected
    for route in expected:
        assert set(spec["paths"][f"/api/v1/cron/{route}"]) == {"get", "post"}
    assert set(spec["paths"]["/api/cron/tick"]) == {"get", "post"}
    assert (
        client.put("/api/v1/cron/cleanup", headers={"Authorization": f"Bearer {SECRET}"}).status_code == 405
    )
    assert (
        client.post("/api/v1/cron/no-such-job", headers={"Authorization": f"Bearer {SECRET}"}).status_code
        == 404
    )


LEGACY_OK = {
    "x-cron-token = CRON_TOKEN": {"x-cron-token": TOKEN},
    "x-cron-token = CRON_SECRET": {"x-cron-token": SECRET},
    "x-cron-secret = CRON_SECRET": {"x-cron-secret": SECRET},
    "x-cron-secret = CRON_TOKEN": {"x-cron-secret": TOKEN},
    "bearer = CRON_SECRET": {"Authorization": f"Bearer {SECRET}"},
    "bearer = CRON_TOKEN": {"Authorization": f"Bearer {TOKEN}"},
    "header names are case-insensitive": {"X-CRON-TOKEN": TOKEN},
    "one right header among wrong ones": {"x-cron-token": "nope", "x-cron-secret": SECRET},
}
LEGACY_BAD = {
    "no header": {},
    "wrong token": {"x-cron-token": "nope"},
    "longer": {"x-cron-token": TOKEN + "0"},
    "shorter": {"x-cron-token": TOKEN[:-1]},
    "basic": {"Authorization": "Basic " + base64.b64encode(TOKEN.encode()).decode()},
    "other header": {"x-api-key": TOKEN},
    "empty": {"x-cron-token": ""},
}


def test_legacy_tick_header_set(settings, calls):
    client = _client(settings)
    for case, headers in LEGACY_OK.items():
        for method in ("GET", "POST"):
            resp = client.request(method, "/api/cron/tick", headers=headers)
            assert resp.status_code == 200, (case, resp.text)
    assert calls == [LEGACY_ROUTE] * (2 * len(LEGACY_OK))
    calls.clear()
    for case, headers in LEGACY_BAD.items():
        resp = client.post("/api/cron/tick", headers=headers)
        assert resp.status_code == 401, case
        assert resp.json()["error"] == "unauthorized"
    assert calls == []


@pytest.mark.parametrize(
    ("token", "secret", "header", "value", "status"),
    [
        (TOKEN, None, "x-cron-token", TOKEN, 200),  # only CRON_TOKEN configured
        (TOKEN, None, "x-cron-secret", SECRET, 401),
        (None, SECRET, "x-cron-token", SECRET, 200),  # only CRON_SECRET configured
        (None, SECRET, "x-cron-token", TOKEN, 401),
        (None, None, "x-cron-token", TOKEN, 503),  # both unset: fail closed
        ("", "", "x-cron-token", "", 503),
    ],
)
def test_legacy_secret_sources(sqlite_settings, sqlite_calls, token, secret, header, value, status):
    calls = sqlite_calls
    client = _client(sqlite_settings, cron_token=token, cron_secret=secret)
    resp = client.post("/api/cron/tick", headers={header: value})
    assert resp.status_code == status, resp.text
    assert calls == ([LEGACY_ROUTE] if status == 200 else [])
    if status == 503:
        assert (
            resp.json()["detail"]
            == "CRON_TOKEN or CRON_SECRET is not configured on the server; the job did not run"
        )


def test_v1_does_not_accept_cron_token(settings, calls):
    """CRON_TOKEN is the legacy tick's secret only."""
    client = _client(settings)
    resp = client.post("/api/v1/cron/cleanup", headers={"Authorization": f"Bearer {TOKEN}"})
    _assert_401(resp)


# --------------------------------------------------------------------------------------------------
# Property: over arbitrary header values, v1 accepts exactly "<bearer in any case> 1*SP <secret>"
# --------------------------------------------------------------------------------------------------
# the scheme is case-insensitive, the token is exact
_ACCEPT = re.compile(rb"[ \t]*(?i:bearer) +" + re.escape(SECRET.encode()) + rb"[ \t]*")
_LEGACY_BEARER = re.compile(
    rb"[ \t]*(?i:bearer) +(" + re.escape(SECRET.encode()) + rb"|" + re.escape(TOKEN.encode()) + rb")[ \t]*"
)
# header values as HTTP carries them: visible ASCII/latin-1, spaces and tabs (no CR/LF, no NUL)
_header_bytes = st.binary(max_size=60).map(lambda b: bytes(c for c in b if c >= 0x20 or c == 0x09))
_near_secret = st.sampled_from(
    [
        SECRET,
        SECRET + "x",
        SECRET[:-1],
        SECRET.upper(),
        "",
        " " + SECRET,
        SECRET + " " + SECRET,
        SECRET.replace("-", "_"),
    ]
)
_scheme = st.sampled_from(["Bearer", "bearer", "BEARER", "BeArEr", "Basic", "Token", "Bearer:", ""])


def _request(headers: list[tuple[bytes, bytes]], path: str = "/api/v1/cron/cleanup") -> Request:
    return Request(
        {
            "type": "http",
            "method": "POST",
            "path": path,
            "headers": headers,
            "query_string": b"",
            "client": ("127.0.0.1", 1),
            "server": ("test", 80),
            "scheme": "http",
            "root_path": "",
        }
    )


_SETTINGS = Settings(
    database_url="sqlite:///:memory:", cron_secret=SECRET, cron_token=TOKEN, in_process_scheduler=False
)
_METRICS = Metrics()


def _accepted(value: bytes) -> bool:
    try:
        require_cron_bearer(_request([(b"authorization", value)]), _SETTINGS, _METRICS)
    except Unauthorized:
        return False
    return True


@hsettings(max_examples=300, deadline=None)
@given(scheme=_scheme, spaces=st.sampled_from([" ", "  ", "", "\t"]), token=_near_secret)
def test_bearer_parsing_over_variants(scheme, spaces, token):
    value = f"{scheme}{spaces}{token}".encode()
    assert _accepted(value) == bool(_ACCEPT.fullmatch(value))


@hsettings(max_examples=300, deadline=None)
@given(value=_header_bytes)
def test_arbitrary_header_values_are_rejected_unless_exact(value):
    assert _accepted(value) == bool(_ACCEPT.fullmatch(value))


@hsettings(max_examples=200, deadline=None)
@given(a=st.binary(max_size=80), b=st.binary(max_size=80))
def test_secrets_equal_is_equality(a, b):
    assert secrets_equal(a, b) == (a == b)


def test_parse_bearer_edge_cases():
    assert parse_bearer([b"Bearer abc"]) == b"abc"
    assert parse_bearer([b"bearer    abc"]) == b"abc"
    assert parse_bearer([b"Bearer"]) is None
    assert parse_bearer([b"Bearer "]) is None
    assert parse_bearer([b"Bearer a", b"Bearer a"]) is None
    assert parse_bearer([]) is None


@hsettings(max_examples=200, deadline=None)
@given(
    header=st.sampled_from([b"x-cron-token", b"x-cron-secret", b"authorization"]),
    value=_near_secret,
    which=st.sampled_from(["token", "secret"]),
)
def test_legacy_accepts_either_secret_in_any_header(header, value, which):
    real = {"token": TOKEN, "secret": SECRET}[which]
    raw = value.replace(SECRET, real).encode()
    if header == b"authorization":
        raw = b"Bearer " + raw
    req = _request([(header, raw)], path="/api/cron/tick")
    if header == b"authorization":
        ok = bool(_LEGACY_BEARER.fullmatch(raw))
    else:
        ok = raw.strip(b" \t") in (TOKEN.encode(), SECRET.encode())
    try:
        require_legacy_secret(req, _SETTINGS, _METRICS)
        assert ok
    except Unauthorized:
        assert not ok
