"""Settings errors name the environment variable and never echo secret values."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from service.cli import ConfigError, load_settings

SECRET = "do-not-print-this-secret-9f8e7d"


@pytest.fixture
def clean_env(monkeypatch):
    for k in list(os.environ):
        if k in {"DATABASE_URL", "CRON_SECRET", "CRON_TOKEN", "PORT", "HOST", "LOG_LEVEL", "IN_PROCESS_SCHEDULER",
                 "MIGRATE_ON_START"} or k.startswith("SIEM_"):
            monkeypatch.delenv(k)
    return monkeypatch


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"PORT": "abc"}, "PORT: Input should be a valid integer, unable to parse string as an integer"),
        ({"PORT": "70000"}, "PORT: Input should be less than or equal to 65535"),
        ({"IN_PROCESS_SCHEDULER": "maybe"}, "IN_PROCESS_SCHEDULER: Input should be a valid boolean, unable to interpret input"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL: Input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR'"),
        ({"DATABASE_URL": "mysql://db/x"}, "DATABASE_URL: unsupported driver 'mysql': must be a sqlite:/// or postgresql:// URL (use sqlite:///path/to/file.db or postgresql://user:password@host:5432/database)"),
        ({"LEASE_TTL_SECONDS": "1"}, "LEASE_TTL_SECONDS: Input should be greater than or equal to 5"),
        ({"SIEM_BACKEND": "splunk"}, "SIEM_ENDPOINT is required when SIEM_BACKEND=splunk"),
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


def test_serve_with_a_bad_value_exits_2_naming_the_variable(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIEM_", "CRON_", "PORT", "DATABASE_URL"))}
    env.update(PORT="not-a-port", CRON_SECRET=SECRET, SIEM_API_KEY=SECRET)
    proc = subprocess.run([sys.executable, "-m", "service.cli", "serve"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "PORT: Input should be a valid integer" in proc.stderr
    assert SECRET not in proc.stderr + proc.stdout
    assert "not-a-port" not in proc.stderr  # input values are not echoed (hide_input_in_errors)
    assert not (tmp_path / "var").exists()  # nothing started


def test_model_level_error_exits_2_without_the_secret(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIEM_", "CRON_", "PORT", "DATABASE_URL"))}
    env.update(CRON_SECRET=SECRET, SIEM_API_KEY=SECRET, SIEM_BACKEND="datadog")
    proc = subprocess.run([sys.executable, "-m", "service.cli", "migrate"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "SIEM_ENDPOINT is required when SIEM_BACKEND=datadog" in proc.stderr
    assert SECRET not in proc.stderr + proc.stdout
