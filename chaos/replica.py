"""A real ``kaireon-service serve`` process (uvicorn, the CLI) on a loopback port.

Started with ``python -m service.cli serve`` from this checkout, its output (JSON log lines) in a
file under the scenario's work directory. ``kill9()`` is a crash at a random moment; ``restart()``
starts the same replica again on the same database and storage.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from chaos.common import (
    CRON_SECRET,
    LOOPBACK,
    free_port,
    log_problems,
    pythonpath_env,
    register_pid,
    wait_until,
)

START_TIMEOUT = 90.0


def service_env(database_url: str, workdir: Path, **extra: str) -> dict[str, str]:
    """The replica's environment: one database, storage under ``workdir``, no in-process scheduler."""
    env = {
        "DATABASE_URL": database_url,
        "CRON_SECRET": CRON_SECRET,
        "ATTACHMENT_STORAGE_URL": str(workdir / "attachments"),
        "EXPORT_STORAGE_URL": str(workdir / "exportroot"),
        "IN_PROCESS_SCHEDULER": "false",
        "MIGRATE_ON_START": "false",
        "LOG_LEVEL": "INFO",
    }
    env.update(extra)
    return env


class Replica:
    def __init__(self, name: str, env: dict[str, str], workdir: Path) -> None:
        self.name = name
        self.env = env
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.logs: list[Path] = []
        self.starts = 0

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self, wait: bool = True) -> Replica:
        self.starts += 1
        log_path = self.workdir / f"{self.name}.{self.starts}.log"
        self.logs.append(log_path)
        with open(log_path, "wb") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "service.cli",
                    "serve",
                    "--host",
                    LOOPBACK,
                    "--port",
                    str(self.port),
                    "--no-migrate",
                ],
                env=pythonpath_env(self.env),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=self.workdir,
            )
        register_pid(self.workdir, self.proc.pid)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self) -> None:
        def up() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError("exited")
            return httpx.get(self.base_url + "/healthz", timeout=2).status_code == 200

        if not wait_until(lambda: _alive_or_raise(self) and up(), START_TIMEOUT, 0.1):
            raise RuntimeError(
                f"replica {self.name} did not answer /healthz within {START_TIMEOUT:.0f} s: "
                f"{self.log_text()[-800:]}"
            )

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after 20 s; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        return self.proc.returncode

    def restart(self) -> Replica:
        self.kill9()
        return self.start()

    def request(
        self, method: str, path: str, *, auth: bool = True, timeout: float = 60.0, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if auth:
            headers["Authorization"] = f"Bearer {CRON_SECRET}"
        return httpx.request(method, self.base_url + path, headers=headers, timeout=timeout, **kwargs)

    def trigger(self, route: str, timeout: float = 120.0) -> httpx.Response:
        return self.request("POST", f"/api/v1/cron/{route}", timeout=timeout)

    def trigger_in_background(self, route: str) -> threading.Thread:
        """Trigger ``route`` on a started daemon thread, for a run this replica is killed in the middle of
        (the request's failure is expected and ignored)."""

        def trigger() -> None:
            try:
                self.trigger(route, timeout=120)
            except httpx.HTTPError:
                pass  # killed mid-request: expected

        th = threading.Thread(target=trigger, daemon=True)
        th.start()
        return th

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.logs if p.exists())

    def problems(self) -> list[str]:
        return log_problems(self.log_text(), f"replica {self.name}")


def _alive_or_raise(replica: Replica) -> bool:
    if replica.proc is not None and replica.proc.poll() is not None:
        raise RuntimeError(
            f"replica {replica.name} exited with {replica.proc.returncode}: {replica.log_text()[-800:]}"
        )
    return True


def run_cli(
    args: list[str], env: dict[str, str], cwd: Path, timeout: float = 120.0
) -> subprocess.CompletedProcess[str]:
    """``kaireon-service ARGS`` (this checkout's CLI) as a child process, bounded in time."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.cli", *args],
        env=pythonpath_env(env),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    register_pid(cwd, proc.pid)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
        return subprocess.CompletedProcess(
            proc.args, -9, out, err + f"\n[chaos] killed after {timeout:.0f} s (hang)"
        )
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def rerun_until_idle(
    replica: Replica, route: str, idle: Callable[[dict[str, Any]], bool], limit_s: float = 120.0
) -> list[str]:
    """Trigger ``route`` until ``idle(body)`` (nothing left to do); a crashed holder's lease (short TTL)
    is waited out. Bounded by ``limit_s``; returns failures (5xx, never idle)."""
    deadline = time.monotonic() + limit_s
    runs = 0
    while time.monotonic() < deadline:
        resp = replica.trigger(route, timeout=120)
        if resp.status_code >= 500:
            return [f"{route} re-run answered HTTP {resp.status_code}: {resp.text[:200]}"]
        body = resp.json()
        if "skipped" in body:
            time.sleep(0.5)
            continue
        runs += 1
        if idle(body):
            return []
    return [f"{route}: still work left after {runs} re-runs in {limit_s:.0f} s"]
