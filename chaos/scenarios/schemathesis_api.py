"""schemathesis over the service's own OpenAPI document, against a real replica with demo data.

Proves: every generated request (positive and negative, with the bearer token and without) gets a
non-5xx answer whose body matches the documented schema, and the replica's log stays free of
tracebacks and of the secret.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from chaos.common import CRON_SECRET, Result, pythonpath_env, register_pid, result, tail
from chaos.data import prepare
from chaos.replica import Replica, service_env
from service.config import Settings
from service.demo import load_demo_data

NAME = "schemathesis_api"
CHECKS = "not_a_server_error,response_schema_conformance"


def _schemathesis() -> list[str]:
    exe = Path(sys.executable).with_name("schemathesis")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("schemathesis")
    if found:
        return [found]
    raise RuntimeError("schemathesis is not installed (pip install -e '.[test]')")


def _demo(url: str, workdir: Path) -> None:
    engine = prepare(url)
    settings = Settings(
        database_url=url,
        attachment_storage_url=str(workdir / "attachments"),
        export_storage_url=str(workdir / "exportroot"),
        _env_file=None,
    )  # type: ignore[call-arg]
    try:
        load_demo_data(engine, settings, tenants=3, rows=60, seed=7)
    finally:
        engine.dispose()


def run(quick: bool, seed: int, workdir: Path) -> list[Result]:
    url = f"sqlite:///{workdir / 'kaireon.db'}"
    _demo(url, workdir)
    replica = Replica("api", service_env(url, workdir), workdir)
    fails: list[str] = []
    try:
        replica.start()
        args = [
            *_schemathesis(),
            "run",
            f"{replica.base_url}/openapi.json",
            "--header",
            f"Authorization: Bearer {CRON_SECRET}",
            "--checks",
            CHECKS,
            "--max-examples",
            "2" if quick else "60",
            "--seed",
            str(seed),
            "--workers",
            "2",
            "--request-timeout",
            "60",
            "--generation-database",
            "none",
            "--no-color",
            "--output-sanitize",
            "true",
        ]
        if quick:
            args += ["--phases", "examples,coverage,fuzzing", "--no-shrink"]
        proc = subprocess.Popen(
            args,
            env=pythonpath_env(),
            cwd=workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        register_pid(workdir, proc.pid)
        try:
            out, _ = proc.communicate(timeout=180 if quick else 1200)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate(timeout=30)
            fails.append("schemathesis did not finish in time (hang)")
        (workdir / "schemathesis.log").write_text(out)
        if proc.returncode != 0:
            fails.append(f"schemathesis exit {proc.returncode}: {tail(out, 1500)}")
        if CRON_SECRET in out:
            fails.append("the secret appears in schemathesis' output (a response echoed it)")
        fails += replica.problems()
    finally:
        replica.stop()
    requests = replica.log_text().count('"logger": "uvicorn.access"')
    if requests == 0:
        fails.append("no request reached the replica (the check would prove nothing)")
    return [
        result(
            NAME,
            "schemathesis over /openapi.json (bearer token): no 5xx, responses match the schema",
            requests,
            fails,
        )
    ]
