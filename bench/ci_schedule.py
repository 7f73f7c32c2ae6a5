"""7. CI reports and schedule analysis.

* ``render-values check`` over N generated environment files (the set of benchmark 2) writing every
  report format in the same run (SARIF, JUnit, GitLab Code Quality, JSON, GitHub annotations; text to
  stdout) vs N ``helm template -f`` calls (helm 3 and helm 4): goal ≥ 10× faster.
* ``render-values schedule``: N generated jobs (daily, hourly, every 5/15 minutes, weekly, a few every
  minute, mixed time zones) over 7 days: collisions, peak concurrency, heatmap, herds, stagger
  suggestions. In-process (the library call, no fire time cached from an earlier round) and end to end
  (one CLI process, JSON out): goal < 1 s. With ``--stagger`` (the analysis runs again on the
  suggested schedules): informational.

``render-values`` runs the checkout's package byte-compiled, as an installed wheel does (compiled
before timing, ``PYTHONDONTWRITEBYTECODE`` dropped); helm runs with the same environment as before.
"""

from __future__ import annotations

import random
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from bench.cli_check import _helm_each, write_environments
from bench.common import (
    BYTECODE_NOTE,
    REPO,
    TOOLS,
    VENV_BIN,
    Context,
    Profile,
    Row,
    Stats,
    byte_compile,
    interleave,
    ratios,
    rv_env,
    timed,
)
from kaireon_chart.chart import load_chart
from kaireon_chart.schedule import fires, output, stagger
from kaireon_chart.schedule.timeline import Timeline, herd_problems, jobs_of
from kaireon_chart.values import coalesce

TITLE = "7 CI reports and schedule analysis"
GOAL_SPEEDUP = 10.0
GOAL_S = 1.0
FORMATS = ("sarif", "junit", "gitlab", "json", "github")
START = "2026-12-01T00:00Z"
_ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney")


def jobs_values(n: int, seed: int = 11) -> dict[str, Any]:
    """Values with ``n`` jobs of realistic cadences (daily dominate; a few every minute)."""
    rng = random.Random(seed)
    schedules: dict[str, Any] = {}
    for i in range(n):
        kind = rng.random()
        m, h = rng.randint(0, 59), rng.randint(0, 23)
        if kind < 0.40:
            expr = f"{rng.choice((0, 0, 15, 30, m))} {h} * * *"
        elif kind < 0.60:
            expr = f"{m} * * * *"
        elif kind < 0.75:
            expr = "*/5 * * * *"
        elif kind < 0.85:
            expr = "*/15 * * * *"
        elif kind < 0.95:
            expr = f"{m} {h} * * {rng.randint(0, 6)}"
        else:
            expr = "* * * * *"
        entry = {
            "schedule": expr,
            "path": f"/api/v1/cron/job-{i:03d}",
            "activeDeadlineSeconds": rng.choice((50, 240, 600, 1800)),
        }
        if rng.random() < 0.4:
            entry["timeZone"] = rng.choice(_ZONES)
        schedules[f"job{i:03d}"] = entry
    return {"cron": {"schedules": schedules}}


CPU: dict[str, list[float]] = {}  # contender -> CPU seconds per round (user + system): load-independent


def _check_all_reports(files_dir: Path, out_dir: Path, env: dict[str, str]) -> Callable[[], float]:
    argv = [str(VENV_BIN / "render-values"), "check", str(files_dir), "--chart", str(REPO / "chart")]
    for fmt in FORMATS:
        argv += ["--report", f"{fmt}={out_dir / ('report.' + fmt)}"]

    def go() -> float:
        t = timed(argv, env, stdout=subprocess.PIPE)
        CPU.setdefault("check + all reports", []).append(t.cpu)
        return t.wall

    return go


def _schedule_in_process(values: dict[str, Any], with_stagger: bool) -> Callable[[], float]:
    chart = load_chart(REPO / "chart")
    merged = coalesce(values, chart.values)
    start = datetime(2026, 12, 1, tzinfo=UTC)

    def go() -> float:
        fires._MEMO.clear()  # cold: no fire time computed by an earlier round
        t0, c0 = time.perf_counter(), time.process_time()
        jobs, skipped = jobs_of(merged, "kaireon", chart)
        tl = Timeline(jobs, start, 7)
        data = output.data(tl, skipped, 3)
        output.text(data)
        herd_problems(tl, 3)
        if with_stagger:
            found = stagger.suggestions(jobs, (1, 5))
            output.data(Timeline(stagger.staggered(jobs, found), start, 7), skipped, 3)
        label = "schedule --stagger (library)" if with_stagger else "schedule (library)"
        CPU.setdefault(label, []).append(time.process_time() - c0)
        return time.perf_counter() - t0

    return go


def _schedule_cli(values_file: Path) -> Callable[[], float]:
    argv = [
        str(VENV_BIN / "render-values"),
        "schedule",
        "-f",
        str(values_file),
        "--chart",
        str(REPO / "chart"),
        "--from",
        START,
        "--days",
        "7",
        "--format",
        "json",
        "--herd",
        "3",
    ]

    def go() -> float:
        t = timed(argv, rv_env(), stdout=subprocess.PIPE)
        CPU.setdefault("schedule (CLI, JSON out)", []).append(t.cpu)
        return t.wall

    return go


def run(profile: Profile, ctx: Context) -> list[Row]:
    n = profile.check_files
    files_dir = ctx.workdir / "environments-ci"
    files = write_environments(files_dir, n)
    out_dir = ctx.workdir / "reports"
    out_dir.mkdir(exist_ok=True)
    values = jobs_values(n)
    values_file = ctx.workdir / "jobs.yaml"
    values_file.write_text(yaml.safe_dump(values, sort_keys=False), encoding="utf-8")
    procs = {
        "check + all reports": _check_all_reports(files_dir, out_dir, rv_env(KAIREON_CHART_CACHE="0")),
        "helm3": _helm_each(TOOLS / "helm3", files),
        "helm4": _helm_each(TOOLS / "helm4", files),
        "schedule (library)": _schedule_in_process(values, with_stagger=False),
        "schedule (CLI, JSON out)": _schedule_cli(values_file),
        "schedule --stagger (library)": _schedule_in_process(values, with_stagger=True),
    }
    byte_compile()
    ctx.log(f"  ({BYTECODE_NOTE})")
    CPU.clear()
    samples = interleave(procs, profile.check_rounds)
    ours = "check + all reports"
    rows = []
    for ref in ("helm3", "helm4"):
        r = ratios(samples[ref], samples[ours])
        rows.append(
            Row(
                bench=TITLE,
                case=f"render-values check, {n} files, {len(FORMATS)} report files written, 1 process",
                unit="s",
                ours=Stats.of(samples[ours]),
                ref_name=f"{n} × {ref} template -f",
                ref=Stats.of(samples[ref]),
                ratio=r,
                ratio_label="speed-up (ref/ours time)",
                goal=f"≥ {GOAL_SPEEDUP:.0f}×",
                met=r.median >= GOAL_SPEEDUP,
                notes=_cpu_note(ours),
            )
        )
    for label in ("schedule (library)", "schedule (CLI, JSON out)", "schedule --stagger (library)"):
        stats = Stats.of(samples[label])
        goal = "stagger" not in label  # the stagger run analyses twice (before and after): informational
        rows.append(
            Row(
                bench=TITLE,
                case=f"render-values {label}: {n} jobs over 7 days",
                unit="s",
                ours=stats,
                goal=f"< {GOAL_S:.0f} s (median)" if goal else "(informational)",
                met=stats.median < GOAL_S if goal else None,
                notes=_cpu_note(label),
            )
        )
    return rows


def _cpu_note(label: str) -> str:
    cpu = CPU.get(label)
    if not cpu:
        return ""
    s = Stats.of(cpu)
    return f"CPU time (user + system, load-independent): median {s.median:.3f} s ({s.lo:.3f}–{s.hi:.3f})"
