"""Bench 8: the verdict on each generated trick, what undoing one really undoes, and the lazy-import
table (what it measures is real, and every ``# lazy:`` comment that cites it has a row)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from bench import lazy_imports, tricks
from bench.common import Context, byte_compile, rv_env

ROOT = Path(__file__).resolve().parents[2]


def _importtime(code: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return proc.stderr


def test_import_cost_counts_only_what_the_statement_after_the_mark_loads() -> None:
    mark = f"import sys; sys.stderr.write({lazy_imports.MARK!r} + '\\n'); sys.stderr.flush()\n"
    assert lazy_imports.import_cost_ms(_importtime(f"import json\n{mark}import json")) == 0
    assert lazy_imports.import_cost_ms(_importtime(f"{mark}import json, difflib")) > 0


def test_after_the_defaults_render_yaml_costs_and_json_is_loaded_already() -> None:
    assert lazy_imports.probe("import yaml", lazy_imports.DEFAULTS)() > 0  # the defaults run reads no YAML
    assert lazy_imports.probe("import json", lazy_imports.DEFAULTS)() == 0


def _row_modules() -> set[str]:
    out = set()
    for statement, _why in lazy_imports.LAZY_IMPORTS:
        tree = ast.parse(statement).body[0]
        if isinstance(tree, ast.Import):
            out |= {alias.name for alias in tree.names}
        elif isinstance(tree, ast.ImportFrom):
            out |= {f"{tree.module}.{alias.name}" for alias in tree.names}
    return out


def _cited_imports() -> list[tuple[str, set[str]]]:
    """(place, the modules an import may load) of each function-level import whose ``# lazy:`` comment
    (same line, or above its run of import lines) cites bench 8."""
    found = []
    for path in sorted((ROOT / "kaireon_chart").rglob("*.py")):
        rel = path.relative_to(ROOT)
        if "_generated" in rel.parts:
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        package = list(rel.with_suffix("").parts[:-1])
        for func in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                if not isinstance(node, (ast.Import, ast.ImportFrom)):
                    continue
                comment, i = lines[node.lineno - 1], node.lineno - 2
                while (
                    "# lazy:" not in comment
                    and i >= 0
                    and lines[i].strip().startswith(("#", "from", "import"))
                ):
                    comment, i = lines[i], i - 1
                if "bench 8" not in comment:
                    continue
                if isinstance(node, ast.Import):
                    names = {alias.name for alias in node.names}
                else:
                    base = ".".join(package[: len(package) - node.level + 1] if node.level else [])
                    module = ".".join(p for p in (base, node.module or "") if p)
                    names = {module} | {f"{module}.{alias.name}" for alias in node.names}
                found.append((f"{rel}:{node.lineno}", names))
    return found


def test_every_lazy_import_citing_bench_8_has_a_row() -> None:
    rows = _row_modules()
    cited = _cited_imports()
    assert len(cited) > 20  # the walk finds them
    missing = [
        place
        for place, names in cited
        if not any(row == name or row.startswith(f"{name}.") for name in names for row in rows)
    ]
    assert missing == []


KINDS = {"defaults": tricks.GOAL, "prod": tricks.REALISTIC, "check": tricks.REALISTIC, "invalid": tricks.INFO}
FINE = {"helm3": 0.95, "helm4": 0.9}  # bench 1 without the trick: still within its goal


def test_a_trick_that_pays_on_one_realistic_run_stays_and_that_run_is_met() -> None:
    v = tricks.decide({"defaults": 0.01, "prod": 0.02, "check": 0.17, "invalid": -0.03}, KINDS, FINE)
    assert v.keep and "check" in v.reason
    assert v.status == {"defaults": None, "prod": None, "check": True, "invalid": None}


def test_a_trick_bench_1_needs_stays_though_no_realistic_run_gains() -> None:
    v = tricks.decide({"defaults": 0.2, "prod": 0.01}, KINDS, {"helm3": 1.12, "helm4": 0.98})
    assert v.keep and "bench 1 needs it" in v.reason and "1.12× helm3" in v.reason
    assert v.status == {"defaults": True, "prod": None}


def test_a_trick_below_the_threshold_everywhere_goes_even_if_it_saves_on_the_defaults() -> None:
    v = tricks.decide({"defaults": 0.2, "prod": 0.029}, KINDS, FINE)
    assert not v.keep and v.reason.startswith("goes:")
    assert v.status == {"defaults": False, "prod": False}
    v = tricks.decide({"prod": 0.0, "invalid": 0.5}, KINDS, FINE)  # an informational run decides nothing
    assert not v.keep and v.status == {"prod": False, "invalid": None}


def test_bench_1_over_its_goal_keeps_only_a_trick_that_saves_a_share_of_its_run() -> None:
    over = {"helm3": 1.02, "helm4": 0.97}  # as shipped may sit at the line too: noise, not the trick
    v = tricks.decide({"defaults": 0.012, "prod": 0.001}, KINDS, over)
    assert not v.keep and v.status == {"defaults": False, "prod": False}
    assert tricks.decide({"defaults": 0.05, "prod": 0.001}, KINDS, over).keep


def test_the_thresholds_are_inclusive_for_the_gain_and_exclusive_for_bench_1() -> None:
    assert tricks.decide({"prod": tricks.KEEP_ABOVE}, KINDS, FINE).keep
    assert not tricks.decide({"defaults": 0.2, "prod": 0.0}, KINDS, {"helm3": tricks.BENCH1_GOAL}).keep


def _samples(shipped: float, undone: float, helm: float) -> tricks.Samples:
    """Three rounds of every contender: shipped and undone CPU (and wall) per run, helm's wall."""
    cpu: dict[str, list[float]] = {}
    for trick in tricks.TRICKS:
        for run in trick.runs:
            cpu[f"{tricks.SHIPPED} | {run}"] = [shipped] * 3
            cpu[f"{trick.name} | {run}"] = [undone] * 3
    wall = {**{k: list(v) for k, v in cpu.items()}, "helm3": [helm] * 3, "helm4": [helm] * 3}
    return tricks.Samples(cpu, wall)


def test_the_rows_carry_the_verdict_per_run_and_bench_1_without_each_trick() -> None:
    runs = tricks.runs(Path("envs"), 100)
    rows = tricks.trick_rows(runs, _samples(shipped=0.040, undone=0.050, helm=0.045))  # saves 20 %
    per_trick = [r for r in rows if r.case.startswith("the ")]
    assert {r.status for r in per_trick if "invalid" not in r.case} == {"met"}
    assert all(r.status == "—" and r.goal == "(informational)" for r in per_trick if "invalid" in r.case)
    bench1 = [r for r in rows if r.case.startswith("bench 1 without")]
    assert len(bench1) == 2 * len(tricks.TRICKS)
    assert all(r.ratio and round(r.ratio.median, 2) == 1.11 and "would be missed" in r.notes for r in bench1)
    assert all("as shipped in the same rounds: 0.89×" in r.notes for r in bench1)

    rows = tricks.trick_rows(runs, _samples(shipped=0.040, undone=0.0404, helm=0.045))  # saves 1 %
    assert {r.status for r in rows if r.case.startswith("the ") and "invalid" not in r.case} == {"MISSED"}
    assert all("holds" in r.notes for r in rows if r.case.startswith("bench 1 without"))


def _probe_copy(root: Path, code: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=rv_env(root), check=True, cwd=root
    )
    return proc.stdout.strip()


def test_undoing_a_trick_takes_the_path_it_spares(tmp_path: Path) -> None:
    ctx = Context(workdir=tmp_path, pg_admin_url=None)
    code = (
        "import sys\nfrom kaireon_chart import chart, schema\n"
        f"c = chart.load_chart({str(ROOT / 'chart')!r})\n"
        "print(schema.fast_validator(c.schema) is not None, 'yaml' in sys.modules)"
    )
    byte_compile()
    assert _probe_copy(ROOT, code) == "True False"  # as shipped: generated validator, no PyYAML
    by_name = {t.name: t for t in tricks.TRICKS}
    without_validator = tricks._copy(ctx.workdir, by_name["the generated values validator"])
    assert _probe_copy(without_validator, code) == "False False"
    without_kube = tricks._copy(ctx.workdir, by_name["the compact Kubernetes schemas"])
    shipped_kube = (
        "from kaireon_chart import kube; print(kube.shipped_compact(kube.parse_version(None)) is not None)"
    )
    assert _probe_copy(ROOT, shipped_kube) == "True"
    assert _probe_copy(without_kube, shipped_kube) == "False"
    without_snapshot = tricks._copy(ctx.workdir, by_name["the chart snapshot"])
    assert _probe_copy(without_snapshot, code) == "True True"
    assert list((without_snapshot / "kaireon_chart").rglob("__pycache__/*.pyc"))  # byte-compiled
