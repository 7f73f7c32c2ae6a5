"""HTTP and start-up edges, on real processes where the behaviour lives in the server:

* a request whose body is not validly received (malformed chunked encoding) never runs its job;
* HEAD answers like GET, without a body, on every GET route;
* a malformed DATABASE_URL is a ``DATABASE_URL: message`` line and exit 2 (no traceback, no
  password) from ``migrate`` and ``serve``; 503 bodies carry no host, port or driver.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from service.app import create_app
from service.config import normalise_database_url
from tests.service.procs import AUTH, ServeProcess, service_env

PASSWORD = "hunter2-url-password"


# --------------------------------------------------------------------------------------------------
# 7. a job starts only after the whole request was validly received
# --------------------------------------------------------------------------------------------------
@pytest.fixture
def sqlite_server(tmp_path):
    url = f"sqlite:///{tmp_path / 'k.db'}"
    proc = ServeProcess(service_env(url), tmp_path)
    proc.start()
    yield proc, url
    proc.close()


def _raw(port: int, head: bytes, *rest: bytes, pause: float = 0.3, half_close: bool = False) -> bytes:
    """Send the request head, then each further piece after a pause (then, with ``half_close``, end
    the sending side as a client that gives up does); return everything answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(head)
        for piece in rest:
            time.sleep(pause)  # the server has the headers (and has called the app) before the body
            try:
                s.sendall(piece)
            except OSError:
                break
        if half_close:
            s.shutdown(socket.SHUT_WR)
        chunks = []
        try:
            while data := s.recv(65536):
                chunks.append(data)
        except (TimeoutError, ConnectionResetError):
            pass
    return b"".join(chunks)


def _head(route: str, extra: str = "") -> bytes:
    return (
        f"POST /api/v1/cron/{route} HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH['Authorization']}\r\n"
        f"{extra}Connection: close\r\n\r\n"
    ).encode()


def _runs(url: str, route: str) -> tuple[int, int]:
    eng = create_engine(url)
    try:
        with eng.connect() as conn:
            audits = conn.execute(
                text("SELECT count(*) FROM audit_log WHERE action = :a"), {"a": f"cron.{route}"}
            ).scalar_one()
            leases = conn.execute(
                text("SELECT count(*) FROM job_leases WHERE job = :j"), {"j": route}
            ).scalar_one()
    finally:
        eng.dispose()
    return audits, leases


@pytest.mark.parametrize(
    "body",
    [
        b"zz\r\nhello\r\n0\r\n\r\n",  # a chunk size that is not hex
        b"5\r\nhelloEXTRA\r\n0\r\n\r\n",  # a chunk longer than announced
        b"5\r\nhel",  # the client gives up mid-chunk
    ],
    ids=["bad-size", "overlong-chunk", "truncated"],
)
def test_a_malformed_chunked_body_never_runs_the_job(sqlite_server, body):
    proc, url = sqlite_server
    complete = body.endswith(b"\r\n")
    answer = _raw(
        proc.port, _head("outbox-reaper", "Transfer-Encoding: chunked\r\n"), body, half_close=not complete
    )
    if complete:
        assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    else:
        # the client half-closed: nothing arrives except, at most, a 400
        assert answer == b"" or answer.startswith(b"HTTP/1.1 400"), answer[:200]
    time.sleep(0.5)  # a job wrongly started would have written its lease row by now
    assert _runs(url, "outbox-reaper") == (0, 0)


def test_a_validly_chunked_trigger_runs_once(sqlite_server):
    proc, url = sqlite_server
    answer = _raw(
        proc.port, _head("outbox-reaper", "Transfer-Encoding: chunked\r\n"), b"2\r\n{}\r\n0\r\n\r\n"
    )
    assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
    assert _runs(url, "outbox-reaper") == (1, 1)


def test_a_trigger_body_over_the_bound_is_413_and_runs_nothing(settings, engine):
    client = TestClient(create_app(settings))
    r = client.post("/api/v1/cron/outbox-reaper", headers=AUTH, content=b"x" * (64 * 1024 + 1))
    assert r.status_code == 413 and r.json()["error"] == "request_too_large"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM job_leases")).scalar_one() == 0


# --------------------------------------------------------------------------------------------------
# 8. HEAD like GET on every GET route
# --------------------------------------------------------------------------------------------------
def test_head_answers_like_get_on_every_get_route(settings, engine):
    app = create_app(settings)
    client = TestClient(app)
    documented = app.openapi()["paths"]
    paths = sorted(
        {p for p, ops in documented.items() if "get" in ops} | {"/openapi.json", "/docs", "/redoc"}
    )
    assert {"/healthz", "/readyz", "/metrics", "/openapi.json", "/api/cron/tick"} <= set(paths)
    for path in paths:
        if path.startswith("/api/"):
            continue  # triggers: below, with and without credentials
        hdrs = AUTH if path.startswith("/status") else {}  # the status page: the cron bearer works too
        get, head = client.get(path, headers=hdrs), client.head(path, headers=hdrs)
        assert head.status_code == get.status_code == 200, path
        assert head.content == b"", path
        assert head.headers["content-type"] == get.headers["content-type"], path
        if path not in ("/metrics", "/status", "/status.json"):  # these change between two requests
            assert head.headers["content-length"] == get.headers["content-length"], path
    # a trigger: without credentials 401 like GET; with them it runs, like GET
    assert client.head("/api/v1/cron/outbox-reaper").status_code == 401
    r = client.head("/api/v1/cron/outbox-reaper", headers=AUTH)
    assert r.status_code == 200 and r.content == b"" and r.headers["x-run-id"]


def test_head_on_a_real_server(sqlite_server):
    import httpx

    proc, _url = sqlite_server
    for path in ("/healthz", "/readyz", "/metrics"):
        r = httpx.head(proc.base + path, timeout=10)
        assert r.status_code == 200 and r.content == b"", path
    assert httpx.head(proc.base + "/no-such-path", timeout=10).status_code == 404


# --------------------------------------------------------------------------------------------------
# 9. a malformed DATABASE_URL: one line, exit 2, no traceback, no password
# --------------------------------------------------------------------------------------------------
BAD_URLS = [
    f"mysql://u:{PASSWORD}@db/x",  # unknown driver
    f"postgresql://u:{PASSWORD}@db:abc/x",  # non-numeric port
    f"postgresql://u:{PASSWORD}@[::1/x",  # unclosed IPv6 bracket
    f"postgresql://u:{PASSWORD}@db:99999/x",  # port out of range
    "garbage",
    f"postgresql+asyncpg://u:{PASSWORD}@db/x",  # a driver the service does not ship
]


@pytest.mark.parametrize("url", BAD_URLS)
@pytest.mark.parametrize("command", ["migrate", "serve"])
def test_a_malformed_database_url_is_a_clear_error_and_exit_2(tmp_path, url, command):
    env = service_env(url)
    out = subprocess.run(
        [sys.executable, "-m", "service.cli", command],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2, out.stderr
    lines = [line.strip() for line in out.stderr.splitlines()]
    assert any(line.startswith("DATABASE_URL: ") for line in lines), out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    assert PASSWORD not in out.stderr + out.stdout


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scheme=st.sampled_from(["postgresql", "postgres", "postgresql+psycopg", "sqlite", "mysql", "", "pg"]),
    host=st.text(max_size=12),
    port=st.text(max_size=6),
    db=st.text(max_size=8),
)
def test_database_url_validation_never_crashes_or_echoes_the_password(scheme, host, port, db):
    url = f"{scheme}://user:{PASSWORD}@{host}:{port}/{db}"
    try:
        normalise_database_url(url)
    except ValueError as exc:
        assert PASSWORD not in str(exc)


def test_503_bodies_carry_no_host_port_or_driver(tmp_path):
    from service.config import Settings

    url = f"postgresql+psycopg://kaireon:{PASSWORD}@127.0.0.1:1/kaireon"
    client = TestClient(
        create_app(
            Settings(database_url=url, cron_secret=AUTH["Authorization"][7:], in_process_scheduler=False)
        )
    )
    for r in (client.get("/readyz"), client.post("/api/v1/cron/outbox-reaper", headers=AUTH)):
        assert r.status_code == 503, r.text
        for leak in (PASSWORD, "127.0.0.1", ":1", "port", "psycopg", "postgresql", "kaireon@"):
            assert leak not in r.text, (leak, r.text)
