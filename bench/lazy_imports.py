"""Bench 8's lazy-import rows: what each import kaireon_chart/ keeps inside a function costs a run.

Each ``# lazy:`` comment that cites bench 8 has a row here. The cost is the ``import`` statement's
cumulative time under ``python -X importtime`` in a process that has just rendered (only what the
render did not load yet counts), median of the rounds; on top of the defaults run (bench 1's run, no
``-f``; its CPU time is the reference column) and, in the notes, on top of the realistic
``-f prod.yaml`` run. An import stays lazy only when it costs at least 0.5 % of the run that skips
it; optional dependencies (the extras) stay lazy regardless and are not listed.
"""

from __future__ import annotations

import statistics
import subprocess
from collections.abc import Callable

from bench.common import (
    PROFILES,
    REPO,
    VENV_BIN,
    Profile,
    Row,
    Stats,
    byte_compile,
    interleave,
    rv_env,
    timed,
)

LAZY_ABOVE = 0.005  # an import stays lazy only when it costs at least this share of the run that skips it
CHART = str(REPO / "chart")
DEFAULTS: list[str] = []  # bench 1's run: the chart's default values
REALISTIC = ["-f", str(REPO / "tests" / "examples" / "valid" / "prod.yaml")]
MARK = "#kaireon-bench-mark"

# (import statement, who imports it lazily and when a run needs it)
LAZY_IMPORTS = (
    ("import yaml", "PyYAML: goyaml, valuesfile, origins, chart, yamlout, commands; a run that reads YAML"),
    ("import zoneinfo", "cron, checks/time_facts, schedule/fires, tzdb: a job with a time zone"),
    ("from importlib import resources", "tzdb: a job with a time zone"),
    ("import kaireon_chart.schedule.fires", "checks/time_facts: a time zone's DST changes"),
    ("import difflib", "schema: an unknown key (did you mean ...?)"),
    ("import hashlib", "names, kube, cache: a name over 52 characters, the OpenAPI slow path"),
    ("import jsonschema, referencing", "kube: a rejected manifest ([k8s] extra)"),
    ("import kaireon_chart.reporters, kaireon_chart.reports.locate", "commands: problems or a report"),
    ("import kaireon_chart.reports.junit", "reporters: --error-format/--report junit"),
    ("import kaireon_chart.reports.sarif", "reporters: sarif"),
    ("import kaireon_chart.reports.github", "reporters: github"),
    ("import kaireon_chart.reports.gitlab", "reporters: gitlab"),
    ("from importlib import metadata", "reports/sarif: the tool's version"),
    ("import kaireon_chart.doctor.findings", "reports/rules: a doctor- check id"),
    ("import kaireon_chart.schedule.timeline", "commands: check --herd"),
    ("import kaireon_chart.explain", "commands: explain"),
    ("import kaireon_chart.schedule.cli", "commands: schedule"),
    ("import kaireon_chart.routes", "commands: add-route; schedule/cli, stagger: --apply"),
    ("import kaireon_chart.doctor.client, kaireon_chart.doctor.command", "commands: doctor"),
)


def cpu_ms(args: list[str]) -> Callable[[], float]:
    """CPU milliseconds (user + system) of one ``render-values --chart chart *args`` process."""
    argv = [str(VENV_BIN / "render-values"), "--chart", CHART, *args]
    env = rv_env(KAIREON_CHART_CACHE="0")

    return lambda: timed(argv, env).cpu * 1000


def import_cost_ms(importtime_stderr: str) -> float:
    """Milliseconds the imports after the mark line took: the cumulative times of ``-X importtime``'s
    top-level lines (one per module the statement itself loaded; nested ones are inside them)."""
    _before, found, after = importtime_stderr.partition(MARK + "\n")
    if not found:
        raise ValueError("no mark line in the -X importtime output")
    total = 0
    for line in after.splitlines():
        if not line.startswith("import time:"):
            continue
        cumulative, name = line.split("|")[1:3]
        if name.startswith(" ") and not name.startswith("  "):  # depth 0: " name"
            total += int(cumulative)
    return total / 1000


def probe(statement: str, args: list[str]) -> Callable[[], float]:
    """The cost of ``statement`` right after a render with ``args`` (ms)."""
    code = "\n".join(
        [
            "import os, sys",
            "from kaireon_chart.cli import main",
            f"main([*{args!r}, '--chart', {CHART!r}, '-o', os.devnull])",
            f"sys.stderr.write({MARK!r} + '\\n')",
            "sys.stderr.flush()",
            statement,
        ]
    )
    argv = [str(VENV_BIN / "python"), "-X", "importtime", "-c", code]
    env = rv_env(KAIREON_CHART_CACHE="0")

    def go() -> float:
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=REPO)
        if proc.returncode != 0:
            raise RuntimeError(f"{statement!r} after a render failed: {proc.stderr[-500:]}")
        return import_cost_ms(proc.stderr)

    return go


def rows(profile: Profile, bench: str) -> list[Row]:
    """One row per entry of LAZY_IMPORTS, titled ``bench``."""
    byte_compile()
    procs: dict[str, Callable[[], float]] = {"defaults": cpu_ms(DEFAULTS), "realistic": cpu_ms(REALISTIC)}
    for statement, _why in LAZY_IMPORTS:
        procs[f"{statement} | defaults"] = probe(statement, DEFAULTS)
        procs[f"{statement} | realistic"] = probe(statement, REALISTIC)
    for fn in procs.values():  # warm-up: the page cache
        fn()
    samples = interleave(procs, max(min(profile.cli_rounds, 3), profile.cli_rounds // 2))  # full 7, smoke 3
    run_cpu, realistic_cpu = Stats.of(samples["defaults"]), statistics.median(samples["realistic"])
    out = []
    for statement, why in LAZY_IMPORTS:
        cost = Stats.of(samples[f"{statement} | defaults"])
        on_realistic = statistics.median(samples[f"{statement} | realistic"])
        share = cost.median / run_cpu.median
        out.append(
            Row(
                bench=bench,
                case=f"lazy `{statement}` ({why}): import ms on top of the defaults run",
                unit="ms",
                ours=cost,
                ref_name="defaults run, CPU ms",
                ref=run_cpu,
                goal=f"lazy if ≥ {LAZY_ABOVE:.1%} of the run",
                met=share >= LAZY_ABOVE,
                notes=(
                    f"{share:.1%} of the defaults run; on top of -f prod.yaml: {on_realistic:.2f} ms "
                    f"({on_realistic / realistic_cpu:.1%} of its {realistic_cpu:.0f} ms CPU)"
                ),
            )
        )
    return out


if __name__ == "__main__":  # the lazy-import rows alone, smoke-sized: python -m bench.lazy_imports
    for row in rows(PROFILES["smoke"], "8 lazy imports"):
        print(f"{row.ours.median if row.ours else 0:7.2f} ms  {row.case}  [{row.notes}]")
