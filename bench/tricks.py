"""8. What each ahead-of-time trick of ``render-values`` saves on the runs it targets; the lazy imports.

Each trick is undone in a copy of the package; the copy and the checkout run the same commands,
interleaved, with helm 3 and helm 4 on the defaults in the same rounds (CPU time, user + system,
and wall time; every ratio per round):

* the generated values validator (``_generated/values_validator.py``; undone: a stand-in module, so
  ``draft7.Walker`` walks the schema for every file) on the defaults run, ``-f prod.yaml``,
  ``check`` over bench 2's environment files (a CI or pre-commit run) and an invalid file
  (informational: there it only adds its own verdict before the walker words the problems);
* the compact CronJob OpenAPI schemas (``_generated/kube_schemas/``; undone: deleted, so kube.py
  builds the compact schema from kubernetes-validate's bundle in the process) on the defaults run,
  ``-f prod.yaml`` and ``check``;
* the chart snapshot (``_generated/chart_snapshot.json``; undone: deleted, so PyYAML parses the
  chart's Chart.yaml and values.yaml) on the defaults run and ``-f prod.yaml``.

The rule (docs/ARCHITECTURE.md, "Speed"): a trick stays when it saves at least 3 % of the CPU time
of a realistic run it targets (``-f`` a file, or ``check``), or when bench 1's goal needs it (it
saves at least 3 % of the defaults run, and without it that run's wall time exceeds 1.0× helm 3's
or helm 4's). A kept trick's rows say "met" where it pays and are informational elsewhere; a trick
that should go has its rows MISSED. Every ``render-values`` here runs byte-compiled (the copies too;
``PYTHONDONTWRITEBYTECODE`` dropped), as an installed wheel does.

Then the lazy imports (bench/lazy_imports.py): one row per import kaireon_chart/ keeps inside a
function, with what it costs a run that needs it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple

from bench import lazy_imports
from bench.cli_check import write_environments
from bench.cli_render import GOAL as BENCH1_GOAL
from bench.cli_render import wall_runner
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

TITLE = "8 start-up tricks of render-values"
KEEP_ABOVE = 0.03  # a trick that saves less than this share of every realistic run it targets goes
CHART = str(REPO / "chart")
VALID = REPO / "tests" / "examples" / "valid" / "prod.yaml"
INVALID = REPO / "tests" / "examples" / "invalid" / "typo-key.yaml"
HELMS = ("helm3", "helm4")
SHIPPED = "as shipped"
# what a run counts for: bench 1's goal, a user's realistic run, or nothing (measured, shown)
GOAL, REALISTIC, INFO = "bench 1's run", "realistic", "informational"


class Run(NamedTuple):
    label: str
    args: tuple[str, ...]  # after ``render-values``
    kind: str  # GOAL, REALISTIC or INFO
    exit_code: int = 0


class Trick(NamedTuple):
    name: str
    undo: Callable[[Path], None]  # undoes the trick in a copy of the repository (its kaireon_chart/)
    runs: tuple[str, ...]  # the keys of the runs it is measured on


class Verdict(NamedTuple):
    keep: bool
    reason: str
    status: dict[str, bool | None]  # per run: met (True), MISSED (False) or informational (None)


def _undo_values_validator(root: Path) -> None:
    (root / "kaireon_chart" / "_generated" / "values_validator.py").write_text(
        '"""bench 8: the generated values validator, undone (schema.py then walks the schema)."""\n\n'
        'SCHEMA_JSON = ""\n\n\ndef is_valid(values):\n    return False\n',
        encoding="utf-8",
    )


def _undo_kube_schemas(root: Path) -> None:
    shutil.rmtree(root / "kaireon_chart" / "_generated" / "kube_schemas")


def _undo_snapshot(root: Path) -> None:
    (root / "kaireon_chart" / "_generated" / "chart_snapshot.json").unlink()


TRICKS = (
    Trick("the generated values validator", _undo_values_validator, ("defaults", "prod", "check", "invalid")),
    Trick("the compact Kubernetes schemas", _undo_kube_schemas, ("defaults", "prod", "check")),
    Trick("the chart snapshot", _undo_snapshot, ("defaults", "prod")),
)


def runs(check_dir: Path, n: int) -> dict[str, Run]:
    return {
        "defaults": Run("on the defaults (bench 1's run)", ("--chart", CHART), GOAL),
        "prod": Run("-f prod.yaml", ("--chart", CHART, "-f", str(VALID)), REALISTIC),
        "check": Run(
            f"check over {n} files (bench 2's)", ("check", str(check_dir), "--chart", CHART), REALISTIC
        ),
        "invalid": Run(
            "-f typo-key.yaml (invalid)", ("--chart", CHART, "-f", str(INVALID)), INFO, exit_code=1
        ),
    }


def decide(
    saved: Mapping[str, float], kinds: Mapping[str, str], bench1_without: Mapping[str, float]
) -> Verdict:
    """Keep a trick when it saves at least KEEP_ABOVE of a realistic run's CPU time, or when bench 1's
    goal needs it: it saves at least KEEP_ABOVE of bench 1's run too, and without it bench 1 is over
    its goal (a trick that saves less cannot be what keeps bench 1 within it: that is noise at the
    line). ``saved``: the share of CPU time it saves per run; ``kinds``: each run's kind;
    ``bench1_without``: bench 1's ratio (wall time, render-values/helm) without the trick, per helm."""
    pays = [run for run, share in saved.items() if kinds[run] == REALISTIC and share >= KEEP_ABOVE]
    matters = any(kinds[run] == GOAL and share >= KEEP_ABOVE for run, share in saved.items())
    needed = matters and any(ratio > BENCH1_GOAL for ratio in bench1_without.values())
    keep = bool(pays) or needed
    status: dict[str, bool | None] = {}
    for run, kind in ((run, kinds[run]) for run in saved):
        hit = run in pays if kind == REALISTIC else needed if kind == GOAL else False
        status[run] = True if hit else None if keep or kind == INFO else False
    without = ", ".join(f"{ratio:.2f}× {helm}" for helm, ratio in bench1_without.items())
    if pays:
        reason = f"kept: saves ≥ {KEEP_ABOVE:.0%} of a realistic run ({', '.join(pays)})"
    elif needed:
        reason = f"kept: bench 1 needs it (without it {without}; goal ≤ {BENCH1_GOAL:.1f}×)"
    else:
        reason = (
            f"goes: saves < {KEEP_ABOVE:.0%} of every realistic run it targets, and bench 1 does not "
            f"need it (without it {without}; goal ≤ {BENCH1_GOAL:.1f}×)"
        )
    return Verdict(keep, reason, status)


def _copy(workdir: Path, trick: Trick) -> Path:
    root = workdir / f"tricks-without-{trick.undo.__name__.removeprefix('_undo_')}"
    shutil.copytree(
        REPO / "kaireon_chart", root / "kaireon_chart", ignore=shutil.ignore_patterns("__pycache__")
    )
    trick.undo(root)
    byte_compile(root)
    return root


def _contender(root: Path, run: Run, wall: list[float]) -> Callable[[], float]:
    """One ``render-values`` process of ``root``'s package: returns its CPU seconds, appends its wall."""
    argv = [str(VENV_BIN / "render-values"), *run.args]
    env = rv_env(root, KAIREON_CHART_CACHE="0")

    def go() -> float:
        t = timed(argv, env, exit_code=run.exit_code)
        wall.append(t.wall)
        return t.cpu

    return go


class Samples(NamedTuple):
    cpu: dict[str, list[float]]  # "<variant> | <run>" -> CPU seconds per round
    wall: dict[str, list[float]]  # the same keys, and helm3/helm4 -> wall seconds per round


def measure(profile: Profile, ctx: Context, rounds: int) -> tuple[dict[str, Run], Samples]:
    """Every trick undone and every run it targets, as shipped and without it, interleaved."""
    files_dir = ctx.workdir / "environments-tricks"
    write_environments(files_dir, profile.check_files)
    the_runs = runs(files_dir, profile.check_files)
    byte_compile()
    ctx.log(f"  ({BYTECODE_NOTE}, the undone copies too)")
    roots = {trick.name: _copy(ctx.workdir, trick) for trick in TRICKS}
    wall: dict[str, list[float]] = {}
    procs: dict[str, Callable[[], float]] = {}
    for key, run in the_runs.items():
        procs[f"{SHIPPED} | {key}"] = _contender(REPO, run, wall.setdefault(f"{SHIPPED} | {key}", []))
        for trick in TRICKS:
            if key in trick.runs:
                name = f"{trick.name} | {key}"
                procs[name] = _contender(roots[trick.name], run, wall.setdefault(name, []))
    helms = {
        helm: wall_runner([str(TOOLS / helm), "template", "kaireon", CHART], env_with()) for helm in HELMS
    }
    for fn in [*procs.values(), *helms.values()]:  # warm-up: the page cache
        fn()
    for samples in wall.values():
        samples.clear()
    cpu = interleave({**procs, **helms}, rounds)
    for helm in HELMS:
        wall[helm] = cpu.pop(helm)  # helm's contenders return wall time
    return the_runs, Samples(cpu, wall)


def _saved(samples: dict[str, list[float]], trick: Trick, run: str) -> float:
    return 1 - ratios(samples[f"{SHIPPED} | {run}"], samples[f"{trick.name} | {run}"]).median


_GOALS = {
    GOAL: f"saves ≥ {KEEP_ABOVE:.0%} and bench 1 > {BENCH1_GOAL:.1f}× without it",
    REALISTIC: f"saves ≥ {KEEP_ABOVE:.0%}",
}


def trick_rows(the_runs: dict[str, Run], s: Samples) -> list[Row]:
    """Per trick: a row per run it targets (CPU as shipped vs without it, with the verdict), and bench
    1's ratio without it against helm 3 and helm 4."""
    rows = []
    for trick in TRICKS:
        saved = {run: _saved(s.cpu, trick, run) for run in trick.runs}
        without = {helm: ratios(s.wall[f"{trick.name} | defaults"], s.wall[helm]) for helm in HELMS}
        shipped = {helm: ratios(s.wall[f"{SHIPPED} | defaults"], s.wall[helm]) for helm in HELMS}
        verdict = decide(
            saved, {run: the_runs[run].kind for run in saved}, {h: r.median for h, r in without.items()}
        )
        for run in trick.runs:
            kind, met = the_runs[run].kind, verdict.status[run]
            rows.append(
                Row(
                    bench=TITLE,
                    case=f"{trick.name}: render-values {the_runs[run].label}, CPU as shipped vs without it",
                    unit="s",
                    ours=Stats.of(s.cpu[f"{SHIPPED} | {run}"]),
                    ref_name=f"without {trick.name}",
                    ref=Stats.of(s.cpu[f"{trick.name} | {run}"]),
                    ratio=ratios(s.cpu[f"{SHIPPED} | {run}"], s.cpu[f"{trick.name} | {run}"]),
                    ratio_label="shipped/undone CPU",
                    goal=_GOALS[kind] if met is not None else "(informational)",
                    met=met,
                    notes=(
                        f"saves {saved[run]:.1%} of the CPU time, {_saved(s.wall, trick, run):.1%} of the wall "
                        f"time ({kind}); {verdict.reason}"
                    ),
                )
            )
        for helm in HELMS:
            r = without[helm]
            rows.append(
                Row(
                    bench=TITLE,
                    case=f"bench 1 without {trick.name}: render-values on the defaults vs {helm} template, wall",
                    unit="s",
                    ours=Stats.of(s.wall[f"{trick.name} | defaults"]),
                    ref_name=f"{helm} template",
                    ref=Stats.of(s.wall[helm]),
                    ratio=r,
                    ratio_label="ours/ref time",
                    goal="(informational)",
                    notes=(
                        f"as shipped in the same rounds: {shipped[helm].median:.2f}× "
                        f"({shipped[helm].lo:.2f}–{shipped[helm].hi:.2f}); without it bench 1's goal "
                        f"(≤ {BENCH1_GOAL:.1f}×) {'would be missed' if r.median > BENCH1_GOAL else 'holds'}"
                    ),
                )
            )
    return rows


def run(profile: Profile, ctx: Context) -> list[Row]:
    the_runs, samples = measure(profile, ctx, 2 * profile.cli_rounds)  # full: 30 rounds
    return trick_rows(the_runs, samples) + lazy_imports.rows(profile, TITLE)
