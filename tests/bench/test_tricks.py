"""Bench 8's lazy-import table: what it measures is real, and every ``# lazy:`` comment that cites it has a row."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from bench import tricks

ROOT = Path(__file__).resolve().parents[2]


def _importtime(code: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return proc.stderr


def test_import_cost_counts_only_what_the_statement_after_the_mark_loads() -> None:
    mark = f"import sys; sys.stderr.write({tricks.MARK!r} + '\\n'); sys.stderr.flush()\n"
    assert tricks.import_cost_ms(_importtime(f"import json\n{mark}import json")) == 0
    assert tricks.import_cost_ms(_importtime(f"{mark}import json, difflib")) > 0


def test_after_the_defaults_render_yaml_costs_and_json_is_loaded_already() -> None:
    assert tricks._probe("import yaml", tricks.DEFAULTS)() > 0  # the defaults run reads no YAML
    assert tricks._probe("import json", tricks.DEFAULTS)() == 0


def _row_modules() -> set[str]:
    out = set()
    for statement, _why in tricks.LAZY_IMPORTS:
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
