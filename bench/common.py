"""Shared benchmark plumbing: sizes per profile, interleaved measurement, statistics and result rows.

Every comparison is measured *interleaved*: one round runs each contender once (A, B, A, B, ...), so
slow drift of a noisy machine hits both sides alike, and the ratio is computed per round (A_i vs B_i)
before taking its median — never from two lone times.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

REPO = Path(__file__).resolve().parent.parent
TOOLS = REPO / ".tools"
VENV_BIN = REPO / ".venv" / "bin"

# the benchmarks, in their numbered order (python -m bench --only N)
MODULES = (
    "cli_render",
    "cli_check",
    "dsar_purge",
    "export_interactions",
    "flow_tick",
    "siem_ship",
    "ci_schedule",
    "tricks",
)


@dataclass(frozen=True)
class Profile:
    """Sizes and repetitions of one run of the suite."""

    name: str
    cli_rounds: int  # 1: render-values vs helm template, rounds of (cold, warm, helm3, helm4)
    check_files: int  # 2: generated environment files
    check_rounds: int
    purge_rows: int  # 3: expired rows (half of the table; the other half is kept)
    purge_tenants: int
    purge_rounds: int
    purge_sqlite_rows: int
    attachment_rows: int  # 3b: expired attachments (with blobs); as many are kept
    export_rows: int  # 4
    export_rounds: int
    pipelines: int  # 5
    tick_rounds: int
    siem_rows: int  # 6
    siem_rounds: int


PROFILES = {
    "full": Profile(
        "full",
        cli_rounds=15,
        check_files=100,
        check_rounds=3,
        purge_rows=1_000_000,
        purge_tenants=10,
        purge_rounds=3,
        purge_sqlite_rows=1_000_000,
        attachment_rows=10_000,
        export_rows=300_000,
        export_rounds=3,
        pipelines=10_000,
        tick_rounds=5,
        siem_rows=500,
        siem_rounds=7,
    ),
    "smoke": Profile(
        "smoke",
        cli_rounds=3,
        check_files=10,
        check_rounds=2,
        purge_rows=40_000,
        purge_tenants=4,
        purge_rounds=2,
        purge_sqlite_rows=40_000,
        attachment_rows=300,
        export_rows=20_000,
        export_rounds=2,
        pipelines=2_000,
        tick_rounds=2,
        siem_rows=500,
        siem_rounds=2,
    ),
    "tiny": Profile(
        "tiny",
        cli_rounds=1,
        check_files=3,
        check_rounds=1,
        purge_rows=2_000,
        purge_tenants=2,
        purge_rounds=1,
        purge_sqlite_rows=2_000,
        attachment_rows=20,
        export_rows=1_000,
        export_rounds=1,
        pipelines=200,
        tick_rounds=1,
        siem_rows=50,
        siem_rounds=1,
    ),
}


@dataclass(frozen=True)
class Stats:
    median: float
    lo: float
    hi: float
    n: int

    @classmethod
    def of(cls, samples: list[float]) -> Stats:
        if not samples:
            raise ValueError("no samples")
        return cls(statistics.median(samples), min(samples), max(samples), len(samples))


@dataclass
class Row:
    """One line of the results table: ours vs a reference, with the per-round ratio."""

    bench: str  # "1 render-values"
    case: str  # what was measured
    unit: str  # "s" | "rows/s"
    ours: Stats | None
    ref_name: str = ""
    ref: Stats | None = None
    ratio: Stats | None = None
    ratio_label: str = ""  # e.g. "ours/ref time", "speed-up", "ours/ref rows/s"
    goal: str = ""
    met: bool | None = None  # None: no goal, or not measured
    notes: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # e.g. peak RSS, longest statement

    @property
    def status(self) -> str:
        if self.ours is None:
            return "skipped"
        if self.met is None:
            return "—"
        return "met" if self.met else "MISSED"


@dataclass
class Context:
    """What a benchmark may use: a scratch directory and the PostgreSQL admin URL (None: unavailable)."""

    workdir: Path
    pg_admin_url: str | None
    pg_reason: str | None = None  # why PostgreSQL is unavailable
    log: Callable[[str], None] = print


def interleave(
    contenders: dict[str, Callable[[], float]], rounds: int, between: Callable[[], None] | None = None
) -> dict[str, list[float]]:
    """Run every contender once per round, in the given order; return each one's samples.

    Each contender returns its own measurement (seconds or rows/s), so set-up outside the timed
    part (copying a database, resetting a checkpoint) never counts.
    """
    out: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            if between is not None:
                between()
            out[name].append(fn())
    return out


def ratios(a: list[float], b: list[float]) -> Stats:
    """Per-round a_i / b_i (same round = measured back to back)."""
    return Stats.of([x / y for x, y in zip(a, b, strict=True) if y])


def fmt_num(v: float, unit: str) -> str:
    if unit == "s":
        if v < 1:
            return f"{v * 1000:.0f} ms"
        return f"{v:.2f} s"
    if unit == "rows/s":
        if v >= 1e6:
            return f"{v / 1e6:.2f} M/s"
        if v >= 1e3:
            return f"{v / 1e3:.0f} k/s"
        return f"{v:.0f}/s"
    if unit == "MB":
        return f"{v:.0f} MB"
    return f"{v:.3g}"


def fmt_stats(s: Stats | None, unit: str) -> str:
    if s is None:
        return "—"
    if s.n == 1:
        return fmt_num(s.median, unit)
    return f"{fmt_num(s.median, unit)} ({fmt_num(s.lo, unit)}–{fmt_num(s.hi, unit)})"


def fmt_ratio(s: Stats | None) -> str:
    if s is None:
        return "—"
    if s.n == 1:
        return f"{s.median:.2f}×"
    return f"{s.median:.2f}× ({s.lo:.2f}–{s.hi:.2f})"


# what the start-up benchmarks (1, 2, 7, 8) say about the code they run
BYTECODE_NOTE = (
    "kaireon_chart byte-compiled before timing and PYTHONDONTWRITEBYTECODE dropped, as an installed "
    "wheel runs"
)


def env_with(**extra: str) -> dict[str, str]:
    """This process's environment plus ``extra``, without ``PYTHONDONTWRITEBYTECODE``: a subprocess
    then reads the byte-code :func:`byte_compile` wrote, as an installed wheel's .pyc files are read
    (with the variable set, a checkout's run compiles every module it imports, every time)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(extra)
    return env


def rv_env(root: Path = REPO, **extra: str) -> dict[str, str]:
    """:func:`env_with` for a ``render-values`` process that imports ``root``'s kaireon_chart (not
    whichever checkout the virtualenv's editable install points at)."""
    return env_with(PYTHONPATH=str(root), **extra)


def byte_compile(root: Path = REPO) -> None:
    """Byte-compile ``root``'s kaireon_chart package with the interpreter and environment the
    benchmarks' subprocesses use (PyYAML and the standard library ship compiled already)."""
    proc = subprocess.run(
        [str(VENV_BIN / "python"), "-m", "compileall", "-q", str(root / "kaireon_chart")],
        capture_output=True,
        text=True,
        env=env_with(),
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"compileall {root / 'kaireon_chart'} failed: {(proc.stdout + proc.stderr)[-500:]}"
        )


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished children so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


class Timed(NamedTuple):
    wall: float  # seconds
    cpu: float  # seconds, user + system


def timed(
    argv: list[str], env: dict[str, str], *, exit_code: int = 0, stdout: Any = subprocess.DEVNULL
) -> Timed:
    """Run ``argv`` once in the checkout: its wall and CPU time. Raises (with the tail of its output)
    when it exits otherwise than ``exit_code``; ``stdout=subprocess.PIPE`` keeps stdout for that tail."""
    c0, t0 = children_cpu(), time.perf_counter()
    proc = subprocess.run(argv, stdout=stdout, stderr=subprocess.PIPE, env=env, cwd=REPO)
    wall, cpu = time.perf_counter() - t0, children_cpu() - c0
    if proc.returncode != exit_code:
        tail = (proc.stderr or proc.stdout or b"").decode(errors="replace")[-800:]
        raise RuntimeError(f"{' '.join(argv[:2])} exited {proc.returncode}: {tail}")
    return Timed(wall, cpu)


def run_job(spec: dict[str, Any], timeout: float = 900) -> dict[str, Any]:
    """Run one service job in a fresh process (:mod:`bench._worker`); its JSON report."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench._worker", json.dumps(spec)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"job {spec['module']} failed (exit {proc.returncode}): {proc.stderr[-1500:]}")
    report: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return report
