"""What every scenario shares: result rows, free loopback ports, bounded waits, process registry."""

from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

LOOPBACK = "127.0.0.1"
REPO = Path(__file__).resolve().parent.parent
#: the bearer secret every replica of the campaign is started with (never printed by the service)
CRON_SECRET = "chaos-cron-secret-3f9a1c7e5b2d4086"
TRACEBACK = "Traceback (most recent call last)"

Result = dict[str, Any]


def result(scenario: str, tried: str, count: int, failures: list[str]) -> Result:
    """One row of the campaign table: what was tried, how often, whether it held (no failure)."""
    return {"scenario": scenario, "tried": tried, "count": count, "held": not failures, "failures": failures}


def free_port() -> int:
    """A free TCP port on the loopback interface (bound to 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds have passed (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if predicate():
                return True
        except Exception:  # noqa: BLE001 - not yet: keep polling until the deadline
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def register_pid(workdir: Path, pid: int) -> None:
    """Record a process this scenario started, so the campaign can end it if the scenario hangs."""
    with open(workdir / "pids", "a", encoding="ascii") as f:
        f.write(f"{pid}\n")


def log_problems(text: str, label: str) -> list[str]:
    """Tracebacks and the cron secret in a process's output are failures of the campaign."""
    problems: list[str] = []
    if TRACEBACK in text:
        tail = text[text.index(TRACEBACK) :].splitlines()
        last = next((ln for ln in reversed(tail[:60]) if ln and not ln.startswith(" ")), "?")
        problems.append(f"{label}: traceback in the log ({last.strip()[:200]})")
    if CRON_SECRET in text:
        problems.append(f"{label}: the cron secret appears in the log")
    return problems


def pythonpath_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a child Python process: this checkout's code first on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "SIEM_", "CRON_"))}
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def tail(text: str, n: int = 400) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= n else "…" + text[-n:]
