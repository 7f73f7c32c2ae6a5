"""8. What each start-up trick of ``render-values`` saves on a realistic run (``-f`` a values file).

The CPU time (user + system) of ``render-values -f tests/examples/valid/prod.yaml`` in the checkout,
against a copy of the package with one trick undone: without the chart snapshot
(``_generated/chart_snapshot.json``: PyYAML then parses the chart's values.yaml too), and without
the generated values validator (``draft7.py`` then walks the whole schema). CPU time rather than
wall time, because the machine is shared; the ratio is per round. A trick that saves less than 3 %
goes (docs/ARCHITECTURE.md, "Speed").

Then the lazy imports: each import kaireon_chart/ keeps inside a function on a render's path (the
``# lazy:`` comments cite these rows), with what it costs when a run does need it. The cost is the
``import`` statement's cumulative time under ``python -X importtime`` in a process that has just
rendered (only what the render did not load yet counts), median of the rounds; on top of the defaults
run (bench 1's run, no ``-f``; its CPU time is the reference column) and, in the notes, on top of the
realistic ``-f prod.yaml`` run. An import stays lazy only when it costs at least 0.5 % of the run
that skips it; optional dependencies (the extras) stay lazy regardless and are not listed. Every run
here is byte-compiled, as an installed package is (``PYTHONDONTWRITEBYTECODE`` is dropped).
"""

from __future__ import annotations

import resource
import shutil
import statistics
import subprocess
from collections.abc import Callable
from pathlib import Path

from bench.common import (
    PROFILES,
    REPO,
    VENV_BIN,
    Context,
    Profile,
    Row,
    Stats,
    env_with,
    interleave,
    ratios,
)

TITLE = "8 start-up tricks of render-values"
KEEP_ABOVE = 0.03  # a trick that saves less than this share of a run goes
LAZY_ABOVE = 0.005  # an import stays lazy only when it costs at least this share of the run that skips it
VALUES = REPO / "tests" / "examples" / "valid" / "prod.yaml"
DEFAULTS: list[str] = []  # bench 1's run: the chart's default values
REALISTIC = ["-f", str(VALUES)]
MARK = "#kaireon-bench-mark"

# (import statement, who imports it lazily and when a run needs it)
LAZY_IMPORTS = (
    ("import yaml", "PyYAML: goyaml, valuesfile, origins, chart, yamlout, commands; a run that reads YAML"),
    ("import zoneinfo", "cron, checks/time_facts, schedule/fires, tzdb: a job with a time zone"),
    ("from importlib import resources", "tzdb: a job with a time zone"),
    ("import kaireon_chart.schedule.fires", "checks/time_facts: a time zone's DST changes"),
    ("import difflib", "schema: an unknown key (did you mean ...?)"),
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


def _copy(workdir: Path, name: str) -> Path:
    root = workdir / f"tricks-{name}"
    shutil.copytree(
        REPO / "kaireon_chart", root / "kaireon_chart", ignore=shutil.ignore_patterns("__pycache__")
    )
    return root


def _undo_snapshot(root: Path) -> None:
    (root / "kaireon_chart" / "_generated" / "chart_snapshot.json").unlink()


def _undo_values_validator(root: Path) -> None:
    path = root / "kaireon_chart" / "_generated" / "values_validator.py"
    path.write_text(
        path.read_text(encoding="utf-8").replace("SCHEMA_JSON = '", "SCHEMA_JSON = 'x", 1), encoding="utf-8"
    )


def _env(pythonpath: Path) -> dict[str, str]:
    env = env_with(PYTHONPATH=str(pythonpath))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package is byte-compiled
    return env


def _runner(pythonpath: Path, args: list[str]) -> Callable[[], float]:
    argv = [str(VENV_BIN / "python"), "-m", "kaireon_chart.cli", "--chart", str(REPO / "chart"), *args]
    env = _env(pythonpath)

    def go() -> float:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=REPO)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode not in (0, 1):
            raise RuntimeError(f"render-values exited {proc.returncode}: {proc.stderr.decode()[-500:]}")
        return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    return go


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


def _probe(statement: str, args: list[str]) -> Callable[[], float]:
    """The cost of ``statement`` right after a render with ``args`` (ms)."""
    code = "\n".join(
        [
            "import os, sys",
            "from kaireon_chart.cli import main",
            f"main([*{args!r}, '--chart', {str(REPO / 'chart')!r}, '-o', os.devnull])",
            f"sys.stderr.write({MARK!r} + '\\n')",
            "sys.stderr.flush()",
            statement,
        ]
    )
    argv = [str(VENV_BIN / "python"), "-X", "importtime", "-c", code]
    env = _env(REPO)

    def go() -> float:
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=REPO)
        if proc.returncode != 0:
            raise RuntimeError(f"{statement!r} after a render failed: {proc.stderr[-500:]}")
        return import_cost_ms(proc.stderr)

    return go


def _trick_rows(profile: Profile, ctx: Context) -> list[Row]:
    variants = {"as shipped": REPO}
    for name, undo in (
        ("without the chart snapshot", _undo_snapshot),
        ("without the generated values validator", _undo_values_validator),
    ):
        root = _copy(Path(ctx.workdir), name.replace(" ", "-"))
        undo(root)
        variants[name] = root
    procs = {name: _runner(path, REALISTIC) for name, path in variants.items()}
    for fn in procs.values():  # warm-up: byte-code caches and the page cache
        fn()
    samples = interleave(procs, max(15, profile.cli_rounds))
    rows = []
    for name in list(variants)[1:]:
        r = ratios(samples["as shipped"], samples[name])
        saved = 1 - r.median
        rows.append(
            Row(
                bench=TITLE,
                case=f"render-values -f prod.yaml, CPU time vs {name}",
                unit="s",
                ours=Stats.of(samples["as shipped"]),
                ref_name=name,
                ref=Stats.of(samples[name]),
                ratio=r,
                ratio_label="shipped/undone CPU",
                goal=f"saves ≥ {KEEP_ABOVE:.0%}",
                met=saved >= KEEP_ABOVE,
                notes=f"saves {saved:.1%} of a run",
            )
        )
    return rows


def _lazy_rows(profile: Profile) -> list[Row]:
    defaults_run, realistic_run = _runner(REPO, DEFAULTS), _runner(REPO, REALISTIC)
    procs: dict[str, Callable[[], float]] = {
        "defaults": lambda: defaults_run() * 1000,
        "realistic": lambda: realistic_run() * 1000,
    }
    for statement, _why in LAZY_IMPORTS:
        procs[f"{statement} | defaults"] = _probe(statement, DEFAULTS)
        procs[f"{statement} | realistic"] = _probe(statement, REALISTIC)
    for fn in procs.values():  # warm-up: byte-code caches
        fn()
    samples = interleave(procs, max(3, profile.cli_rounds // 2))
    run_cpu, realistic_cpu = Stats.of(samples["defaults"]), statistics.median(samples["realistic"])
    rows = []
    for statement, why in LAZY_IMPORTS:
        cost = Stats.of(samples[f"{statement} | defaults"])
        on_realistic = statistics.median(samples[f"{statement} | realistic"])
        share = cost.median / run_cpu.median
        rows.append(
            Row(
                bench=TITLE,
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
    return rows


def run(profile: Profile, ctx: Context) -> list[Row]:
    return _trick_rows(profile, ctx) + _lazy_rows(profile)


if __name__ == "__main__":  # the lazy-import rows alone, smoke-sized: python -m bench.tricks
    for row in _lazy_rows(PROFILES["smoke"]):
        print(f"{row.ours.median if row.ours else 0:7.2f} ms  {row.case}  [{row.notes}]")
