"""The route registry (kaireon_chart/registry.py) is the one place a route is written.

chart/values.yaml (what helm reads) and every job module are checked against it; the rest derives
from it. The last test adds a default-scheduled route to a copy of the project, touching four
hand-written files, and shows the service, the scheduler, render-values and the docs follow.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from kaireon_chart import registry

REPO = Path(__file__).resolve().parents[2]


def test_the_chart_defaults_are_the_registry_defaults() -> None:
    values = yaml.safe_load((REPO / "chart" / "values.yaml").read_text(encoding="utf-8"))
    schedules = values["cron"]["schedules"]
    assert list(schedules) == [r.key for r in registry.scheduled()]
    for route in registry.scheduled():
        entry = schedules[route.key]
        assert (entry["schedule"], entry["path"], entry.get("enabled", True)) == (
            route.schedule,
            route.path,
            True,
        )


def test_each_job_module_names_its_registry_route() -> None:
    for route in registry.ROUTES:
        tree = ast.parse((REPO / "service" / "jobs" / f"{route.module}.py").read_text(encoding="utf-8"))
        names = [
            node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "ROUTE" for t in node.targets)
            and isinstance(node.value, ast.Constant)
        ]
        assert names == [route.name], route


def test_keys_and_paths_derive_from_the_name() -> None:
    route = registry.by_name("engagement-health-recompute")
    assert route is not None
    assert (route.key, route.path) == (
        "engagementHealthRecompute",
        "/api/v1/cron/engagement-health-recompute",
    )
    assert len({r.name for r in registry.ROUTES}) == len(registry.ROUTES)


NEW_JOB = '''"""A job added by tests/structure/test_routes.py."""

from service.jobs._result import JobResult

ROUTE = "ledger-compact"


class Result(JobResult):
    compacted: int = 0


def run(session, settings, now):
    return Result()
'''

VALUES_ENTRY = """    ## @param cron.schedules.ledgerCompact Compact the ledger.
    ledgerCompact:
      enabled: true
      schedule: "45 1 * * *"
      path: /api/v1/cron/ledger-compact
"""

CHECK = """
from kaireon_chart.chart import load_chart
from kaireon_chart.render import render_cronjobs
from service.jobs import JOB_MODULES, load_job
from service.scheduler import load_scheduled_jobs
from kaireon_chart.generate import main as generate

assert load_job("ledger-compact").ROUTE == "ledger-compact", JOB_MODULES
assert {j.route: j.expr for j in load_scheduled_jobs()}["ledger-compact"] == "45 1 * * *"
chart = load_chart()
[cronjob] = [m for m in render_cronjobs(chart.values, chart=chart)
             if m["metadata"]["labels"]["app.kubernetes.io/component"] == "ledgerCompact"]
assert cronjob["spec"]["schedule"] == "45 1 * * *"
assert generate([]) == 0
print("ok")
"""


def test_adding_a_default_scheduled_route_touches_four_hand_written_files(tmp_path: Path) -> None:
    for part in ("kaireon_chart", "service", "chart", "schemas", "docs", "tests"):
        shutil.copytree(
            REPO / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__", "chart_snapshot.json")
        )
    shutil.copy(REPO / "README.md", tmp_path / "README.md")
    touched = {
        # 1. the registry: one line
        "kaireon_chart/registry.py": lambda s: s.replace(
            '    Route("dsar-purge",',
            '    Route("ledger-compact", "ledger_compact", "45 1 * * *"),\n    Route("dsar-purge",',
            1,
        ),
        # 2. the chart default helm reads (a test checks it against the registry)
        "chart/values.yaml": lambda s: s.replace(
            "      startingDeadlineSeconds: 100\n", "      startingDeadlineSeconds: 100\n\n" + VALUES_ENTRY, 1
        ),
        # 3. the job itself, 4. its test
        "service/jobs/ledger_compact.py": lambda s: NEW_JOB,
        "tests/service/jobs/test_ledger_compact.py": lambda s: "def test_it_runs():\n    pass\n",
    }
    for rel, change in touched.items():
        path = tmp_path / rel
        before = path.read_text(encoding="utf-8") if path.exists() else ""
        after = change(before)
        assert after != before, rel
        path.write_text(after, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "KAIREON_CHART_CACHE": "0"}
    proc = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), (
        proc.stdout[-2000:] + proc.stderr[-3000:]
    )
    # what `make generate` derived: the README tables and chart/README.md name the new route
    assert "`ledgerCompact` | `45 1 * * *`" in (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "/api/v1/cron/ledger-compact" in (tmp_path / "docs" / "service.md").read_text(encoding="utf-8")
    check = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-n",
            "0",
            "tests/structure/test_routes.py",
            "-k",
            "not touches_four",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert check.returncode == 0, check.stdout[-3000:]
