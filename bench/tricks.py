"""8. What each start-up trick of ``render-values`` saves on a realistic run (``-f`` a values file).

The CPU time (user + system) of ``render-values -f tests/examples/valid/prod.yaml`` in the checkout,
against a copy of the package with one trick undone: without the chart snapshot
(``_generated/chart_snapshot.json``: PyYAML then parses the chart's values.yaml too), and without
the generated values validator (``draft7.py`` then walks the whole schema). CPU time rather than
wall time, because the machine is shared; the ratio is per round. A trick that saves less than 3 %
goes (docs/ARCHITECTURE.md, "Speed").
"""

from __future__ import annotations

import resource
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from bench.common import REPO, VENV_BIN, Context, Profile, Row, Stats, env_with, interleave, ratios

TITLE = "8 start-up tricks of render-values"
KEEP_ABOVE = 0.03  # a trick that saves less than this share of a run goes
VALUES = REPO / "tests" / "examples" / "valid" / "prod.yaml"


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


def _runner(pythonpath: Path) -> Callable[[], float]:
    argv = [
        str(VENV_BIN / "python"),
        "-m",
        "kaireon_chart.cli",
        "--chart",
        str(REPO / "chart"),
        "-f",
        str(VALUES),
    ]
    env = env_with(PYTHONPATH=str(pythonpath))

    def go() -> float:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=REPO)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode not in (0, 1):
            raise RuntimeError(f"render-values exited {proc.returncode}: {proc.stderr.decode()[-500:]}")
        return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    return go


def run(profile: Profile, ctx: Context) -> list[Row]:
    variants = {"as shipped": REPO}
    for name, undo in (
        ("without the chart snapshot", _undo_snapshot),
        ("without the generated values validator", _undo_values_validator),
    ):
        root = _copy(Path(ctx.workdir), name.replace(" ", "-"))
        undo(root)
        variants[name] = root
    procs = {name: _runner(path) for name, path in variants.items()}
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
