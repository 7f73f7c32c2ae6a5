"""The campaign runner: every scenario in its own bounded child process, one table, one verdict.

Each module of :mod:`chaos.scenarios` exposes ``run(quick, seed, workdir) -> list[dict]``. The
runner starts ``python -m chaos.child NAME`` per scenario (a new session, a time limit), reads the
rows the child wrote as JSON, and turns a child that crashed (traceback) or ran past its limit
(hang) into failed rows. Processes a scenario started are listed in ``<workdir>/pids``; whatever is
still alive after the child ends is killed by pid.
"""

from __future__ import annotations

import json
import os
import pkgutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from chaos import scenarios
from chaos.common import Result, pythonpath_env, result, tail

QUICK_LIMIT_S = 240.0
FULL_LIMIT_S = 1500.0


def scenario_names() -> list[str]:
    """Every scenario module present (``render_fuzz`` included when it exists)."""
    return sorted(m.name for m in pkgutil.iter_modules(scenarios.__path__) if not m.name.startswith("_"))


def _kill_registered(workdir: Path) -> None:
    pids = workdir / "pids"
    if not pids.exists():
        return
    for line in pids.read_text().split():
        try:
            os.killpg(int(line), signal.SIGKILL)
        except (OSError, ValueError):
            try:
                os.kill(int(line), signal.SIGKILL)
            except (OSError, ValueError):
                pass


def run_scenario(
    name: str, quick: bool, seed: int, workdir: Path, limit_s: float | None = None
) -> list[Result]:
    """Run one scenario in a child process; never raises, never waits past ``limit_s`` (+30 s)."""
    limit = limit_s or (QUICK_LIMIT_S if quick else FULL_LIMIT_S)
    workdir.mkdir(parents=True, exist_ok=True)
    out_json = workdir / "result.json"
    args = [
        sys.executable,
        "-m",
        "chaos.child",
        name,
        "--seed",
        str(seed),
        "--workdir",
        str(workdir),
        "--out",
        str(out_json),
    ] + (["--quick"] if quick else [])
    started = time.monotonic()
    with open(workdir / "child.log", "wb") as log:
        proc = subprocess.Popen(
            args, env=pythonpath_env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        hung = False
        try:
            proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            hung = True
            os.killpg(proc.pid, signal.SIGTERM)  # the child cleans up its PostgreSQL and replicas
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
    _kill_registered(workdir)
    elapsed = time.monotonic() - started
    text = (workdir / "child.log").read_text(errors="replace")
    rows: list[Result] = []
    if out_json.exists():
        try:
            rows = json.loads(out_json.read_text())
        except ValueError:
            rows = []
    if hung:
        rows.append(
            result(
                name,
                f"the whole scenario within {limit:.0f} s",
                1,
                [f"hang: still running after {elapsed:.0f} s; output: {tail(text)}"],
            )
        )
    elif proc.returncode != 0 or not rows:
        rows.append(
            result(
                name,
                "the scenario itself",
                1,
                [f"scenario crashed (exit {proc.returncode}): {tail(text, 1200)}"],
            )
        )
    for row in rows:
        row.setdefault("seconds", round(elapsed, 1))
    return rows


def format_table(rows: list[Result]) -> str:
    """The campaign table: scenario | what was tried | how often | held."""
    head = ("scenario", "what was tried", "count", "held")
    body = [(r["scenario"], r["tried"], str(r["count"]), "yes" if r["held"] else "NO") for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(head)]
    widths[1] = min(widths[1], 78)

    def line(cells: tuple[str, ...]) -> str:
        return " | ".join(
            c[: widths[i]].ljust(widths[i]) if i == 1 else c.ljust(widths[i]) for i, c in enumerate(cells)
        )

    out = [line(head), "-+-".join("-" * w for w in widths)]
    out += [line(b) for b in body]
    failed = [r for r in rows if not r["held"]]
    held = len(rows) - len(failed)
    out.append("")
    out.append(f"{held} of {len(rows)} held" + ("" if not failed else "; failures:"))
    for r in failed:
        for f in r["failures"][:10]:
            out.append(f"  [{r['scenario']}] {r['tried']}: {f}")
        if len(r["failures"]) > 10:
            out.append(f"  [{r['scenario']}] … {len(r['failures']) - 10} more")
    return "\n".join(out)
