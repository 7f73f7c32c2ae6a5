"""Settings errors name the environment variable and never echo secret values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from service.cli import ConfigError, load_settings

SECRET = "do-not-print-this-secret-9f8e7d"


@pytest.fixture
def clean_env(monkeypatch):
    for k in list(os.environ):
        if k in {
            "DATABASE_URL",
            "CRON_SECRET",
            "CRON_TOKEN",
            "PORT",
            "HOST",
            "LOG_LEVEL",
            "IN_PROCESS_SCHEDULER",
            "MIGRATE_ON_START",
        } or k.startswith("SIEM_"):
            monkeypatch.delenv(k)
    return monkeypatch


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"PORT": "abc"}, "PORT: Input should be a valid integer, unable to parse string as an integer"),
        ({"PORT": "70000"}, "PORT: Input should be less than or equal to 65535"),
        (
            {"IN_PROCESS_SCHEDULER": "maybe"},
            "IN_PROCESS_SCHEDULER: Input should be a valid boolean, unable to interpret input",
        ),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL: Input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR'"),
        (
            {"DATABASE_URL": "mysql://db/x"},
            "DATABASE_URL: unsupported driver 'mysql': must be a sqlite:/// or postgresql:// URL (use sqlite:///path/to/file.db or postgresql://user:password@host:5432/database)",
        ),
        ({"LEASE_TTL_SECONDS": "1"}, "LEASE_TTL_SECONDS: Input should be greater than or equal to 5"),
        ({"SIEM_BACKEND": "splunk"}, "SIEM_ENDPOINT is required when SIEM_BACKEND=splunk"),
        ({"DB_POOL_TIMEOUT_SECONDS": "0"}, "DB_POOL_TIMEOUT_SECONDS: Input should be greater than 0"),
        (
            {"DB_CONNECT_TIMEOUT_SECONDS": "soon"},
            "DB_CONNECT_TIMEOUT_SECONDS: Input should be a valid integer, unable to parse string as an integer",
        ),
        (
            {"DB_STATEMENT_TIMEOUT_SECONDS": "-1"},
            "DB_STATEMENT_TIMEOUT_SECONDS: Input should be greater than or equal to 0",
        ),
        (
            {"DB_KEEPALIVES_IDLE_SECONDS": "0"},
            "DB_KEEPALIVES_IDLE_SECONDS: Input should be greater than or equal to 1",
        ),
        ({"READYZ_TIMEOUT_SECONDS": "0"}, "READYZ_TIMEOUT_SECONDS: Input should be greater than 0"),
        (
            {"SHUTDOWN_GRACE_SECONDS": "x"},
            "SHUTDOWN_GRACE_SECONDS: Input should be a valid number, unable to parse string as a number",
        ),
        (
            {"DATABASE_URL": "postgresql://u:pw@db:abc/x"},
            "DATABASE_URL: cannot be parsed: the port must be a number and an IPv6 host needs brackets ([::1]:5432) "
            "(use sqlite:///path/to/file.db or postgresql://user:password@host:5432/database)",
        ),
    ],
)
def test_bad_value_names_the_variable(clean_env, env, expected):
    clean_env.setenv("CRON_SECRET", SECRET)
    for k, v in env.items():
        clean_env.setenv(k, v)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert expected in str(err.value).splitlines()
    assert SECRET not in str(err.value)


def test_several_errors_are_all_reported(clean_env):
    clean_env.setenv("PORT", "x")
    clean_env.setenv("DELETE_BATCH_SIZE", "0")
    with pytest.raises(ConfigError) as err:
        load_settings()
    lines = str(err.value).splitlines()
    assert any(line.startswith("PORT: ") for line in lines)
    assert any(line.startswith("DELETE_BATCH_SIZE: ") for line in lines)


def test_defaults(clean_env):
    s = load_settings()
    assert s.port == 3000
    assert s.database_url == "sqlite:///./var/kaireon.db"
    assert s.in_process_scheduler is True
    assert s.cron_secret_value is None
    assert s.export_storage_url == "."


def test_postgres_urls_are_normalised(clean_env):
    clean_env.setenv("DATABASE_URL", "postgres://u:p@h:5432/db")
    assert load_settings().database_url == "postgresql+psycopg://u:p@h:5432/db"


def _service_cli(cwd: Path, command: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m service.cli <command>`` in ``cwd`` with ``env`` over an environment free of service settings."""
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("SIEM_", "CRON_", "PORT", "DATABASE_URL"))
    }
    return subprocess.run(
        [sys.executable, "-m", "service.cli", command],
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_with_a_bad_value_exits_2_naming_the_variable(tmp_path):
    proc = _service_cli(tmp_path, "serve", PORT="not-a-port", CRON_SECRET=SECRET, SIEM_API_KEY=SECRET)
    assert proc.returncode == 2
    assert "PORT: Input should be a valid integer" in proc.stderr
    assert SECRET not in proc.stderr + proc.stdout
    assert "not-a-port" not in proc.stderr  # input values are not echoed (hide_input_in_errors)
    assert not (tmp_path / "var").exists()  # nothing started


def test_model_level_error_exits_2_without_the_secret(tmp_path):
    proc = _service_cli(tmp_path, "migrate", CRON_SECRET=SECRET, SIEM_API_KEY=SECRET, SIEM_BACKEND="datadog")
    assert proc.returncode == 2
    assert "SIEM_ENDPOINT is required when SIEM_BACKEND=datadog" in proc.stderr
    assert SECRET not in proc.stderr + proc.stdout


def test_database_waits_are_bounded_on_a_real_postgresql(pg_url):
    """The engine's sessions carry statement_timeout and keepalives; migrate's engine has no timeout."""
    from sqlalchemy import text

    from service.config import Settings
    from service.db import engine_from_settings

    settings = Settings(
        database_url=pg_url,
        db_statement_timeout_seconds=7.5,
        db_keepalives_idle_seconds=45,
        db_pool_timeout_seconds=3,
        _env_file=None,
    )
    engine = engine_from_settings(settings)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "7500ms"
            # the client socket itself has keepalives on, first probe after 45 s idle
            import os
            import socket

            fd = os.dup(conn.connection.dbapi_connection.pgconn.socket)
            with socket.socket(fileno=fd) as sock:
                assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 45
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == 3
        assert engine.pool.timeout() == 3
    finally:
        engine.dispose()
    migrate_engine = engine_from_settings(settings, statement_timeout=False)
    try:
        with migrate_engine.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "0"
    finally:
        migrate_engine.dispose()
