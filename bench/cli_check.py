"""2. ``render-values check`` over N generated environment files vs N ``helm template -f`` calls.

The files are what a fleet of environments looks like: each overrides a few of the realistic knobs
(name overrides, API URL, time zone, per-job schedules and deadlines, suspended or disabled jobs,
operator routes, resources, replicas, history limits). They are generated from a fixed seed, all
valid, so both tools go through their whole pipeline. ``check`` is one process validating every file
on its own over the chart defaults; the reference is what CI would otherwise do: one ``helm
template`` process per file (helm also only checks the values schema). ``render-values`` runs the
checkout's package byte-compiled, as an installed wheel does (compiled before timing,
``PYTHONDONTWRITEBYTECODE`` dropped); helm runs with the same environment as before.
"""

from __future__ import annotations

import random
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

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
    env_with,
    interleave,
    ratios,
    rv_env,
    timed,
)
from kaireon_chart import registry

TITLE = "2 render-values check vs helm template per file"
GOAL = 10.0  # helm time / ours

_JOBS = tuple(r.key for r in registry.scheduled())
_ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "")
_DAILY = ("{m} {h} * * *", "{m} {h} * * 1-5", "{m} {h} * * MON-FRI", "{m} {h} */2 * *", "@daily")
_ROUTES = {
    "dsarPurge": ("/api/v1/cron/dsar-purge", "{m} {h} * * *"),
    "siemShip": ("/api/v1/cron/siem-ship", "*/5 * * * *"),  # deadline 240 s below (its period is 300 s)
    "exportInteractions": ("/api/v1/cron/export-interactions", "{m} * * * *"),
}


def environment(i: int, rng: random.Random) -> dict[str, Any]:
    """One environment's values: a handful of realistic overrides."""
    env = ("dev", "staging", "prod", "eu", "us", "apac")[i % 6]
    values: dict[str, Any] = {}
    cron: dict[str, Any] = {}
    schedules: dict[str, Any] = {}
    if rng.random() < 0.5:
        values["fullnameOverride"] = f"kai-{env}-{i}"
    if rng.random() < 0.4:
        cron["apiUrl"] = f"https://api.{env}{i}.example.com"
    if rng.random() < 0.5:
        cron["timeZone"] = rng.choice(_ZONES)
    if rng.random() < 0.3:
        cron["activeDeadlineSeconds"] = rng.choice((300, 900, 1800))
        # keep the frequent jobs within their period (or they warn, which is fine but not the point)
        schedules["flowSchedulerTick"] = {"activeDeadlineSeconds": 50}
        schedules["outboxReaper"] = {"activeDeadlineSeconds": 100}
        schedules["approvalsExpire"] = {"activeDeadlineSeconds": 600}
    if rng.random() < 0.3:
        cron["successfulJobsHistoryLimit"] = rng.randint(0, 5)
        cron["failedJobsHistoryLimit"] = rng.randint(1, 5)
    for job in rng.sample(_JOBS[:3] + ("scheduledRetrains",), rng.randint(0, 3)):
        entry = schedules.setdefault(job, {})
        entry["schedule"] = rng.choice(_DAILY).format(m=rng.randint(0, 59), h=rng.randint(0, 23))
        if rng.random() < 0.3:
            entry["timeZone"] = rng.choice(_ZONES[:-1])
    if rng.random() < 0.2:
        schedules.setdefault(rng.choice(_JOBS), {})["suspend"] = True
    if rng.random() < 0.2:
        schedules.setdefault(rng.choice(("scheduledRetrains", "gitopsDriftCheck")), {})["enabled"] = False
    if rng.random() < 0.3:
        schedules.setdefault("cleanup", {})["resources"] = {
            "requests": {"cpu": "20m", "memory": "48Mi"},
            "limits": {"memory": "96Mi"},
        }
    for key in rng.sample(sorted(_ROUTES), rng.randint(0, 3)):
        path, sched = _ROUTES[key]
        schedules[key] = {"schedule": sched.format(m=rng.randint(0, 59), h=rng.randint(0, 23)), "path": path}
        if key == "siemShip":
            schedules[key]["activeDeadlineSeconds"] = 240
    if rng.random() < 0.3:
        values["api"] = {"replicas": rng.randint(1, 6)}
    if rng.random() < 0.2:
        cron["enabled"] = rng.random() < 0.5
    if schedules:
        cron["schedules"] = schedules
    if cron:
        values["cron"] = cron
    return values


def write_environments(directory: Path, n: int, seed: int = 7) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for i in range(n):
        path = directory / f"env-{i:03d}.yaml"
        path.write_text(f"# environment {i}\n" + yaml.safe_dump(environment(i, rng), sort_keys=False))
        paths.append(path)
    return paths


def _check(files_dir: Path, env: dict[str, str]) -> Callable[[], float]:
    argv = [str(VENV_BIN / "render-values"), "check", str(files_dir), "--chart", str(REPO / "chart")]

    return lambda: timed(argv, env, stdout=subprocess.PIPE).wall


def _helm_each(helm: Path, files: list[Path]) -> Callable[[], float]:
    chart = str(REPO / "chart")
    env = env_with()

    def go() -> float:
        t0 = time.perf_counter()
        for f in files:
            proc = subprocess.run(
                [str(helm), "template", "kaireon", chart, "-f", str(f)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=env,
                cwd=REPO,
            )
            if proc.returncode != 0:
                raise RuntimeError(
                    f"{helm.name} template -f {f.name} exited {proc.returncode}: "
                    f"{proc.stderr.decode()[-500:]}"
                )
        return time.perf_counter() - t0

    return go


def run(profile: Profile, ctx: Context) -> list[Row]:
    files_dir = ctx.workdir / "environments"
    files = write_environments(files_dir, profile.check_files)
    cache = ctx.workdir / "rv-cache-check"
    procs = {
        "check (cold)": _check(files_dir, rv_env(KAIREON_CHART_CACHE="0")),
        "check (warm cache)": _check(
            files_dir, rv_env(KAIREON_CHART_CACHE="1", KAIREON_CHART_CACHE_DIR=str(cache))
        ),
        "helm3": _helm_each(TOOLS / "helm3", files),
        "helm4": _helm_each(TOOLS / "helm4", files),
    }
    byte_compile()
    ctx.log(f"  ({BYTECODE_NOTE})")
    procs["check (warm cache)"]()  # fill the warm cache once (untimed)
    samples = interleave(procs, profile.check_rounds)
    n = len(files)
    rows = []
    for ours in ("check (cold)", "check (warm cache)"):
        for ref in ("helm3", "helm4"):
            r = ratios(samples[ref], samples[ours])  # speed-up: helm time / ours
            rows.append(
                Row(
                    bench=TITLE,
                    case=f"render-values {ours}, {n} files, 1 process",
                    unit="s",
                    ours=Stats.of(samples[ours]),
                    ref_name=f"{n} × {ref} template -f",
                    ref=Stats.of(samples[ref]),
                    ratio=r,
                    ratio_label="speed-up (ref/ours time)",
                    goal=f"≥ {GOAL:.0f}×",
                    met=r.median >= GOAL,
                )
            )
    return rows
