"""`pip install kaireon-chart` is the light install: render-values works, no service dependency comes along.

Builds the wheel, installs it into a fresh venv (the index pip is configured with) and runs the CLI on
the chart defaults. Goal from issue 10: at most 8 distributions and 20 MB of site-packages.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MAX_DISTRIBUTIONS = 8
MAX_SITE_PACKAGES = 20 * 1024 * 1024
PRESENT_BEFORE = {"pip", "setuptools", "wheel"}  # what a fresh venv brings


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def _run(*cmd: str | Path, **kw: object) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=300, env=env, **kw)


@pytest.fixture(scope="module")
def light_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("light")
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", root / "wheels", REPO)
    assert built.returncode == 0, built.stderr[-2000:]
    [wheel] = (root / "wheels").glob("kaireon_chart-*.whl")
    venv.create(root / "venv", with_pip=True)
    installed = _run(root / "venv" / "bin" / "python", "-m", "pip", "install", "-q", wheel)
    assert installed.returncode == 0, installed.stderr[-2000:]
    return root / "venv"


def test_the_light_install_holds_no_service_dependency_and_meets_the_size_goal(light_venv: Path) -> None:
    listed = _run(light_venv / "bin" / "python", "-m", "pip", "list", "--format", "json")
    names = {_name(d["name"]) for d in json.loads(listed.stdout)} - PRESENT_BEFORE
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    service = {_name(r) for r in project["optional-dependencies"]["service"]}
    assert not names & service, f"service dependencies in the light install: {sorted(names & service)}"
    assert {"kaireon-chart", "pyyaml", "tzdata"} <= names
    assert len(names) <= MAX_DISTRIBUTIONS, sorted(names)
    [site] = (light_venv / "lib").glob("python*/site-packages")
    size = sum(
        p.stat().st_size
        for p in site.rglob("*")
        if p.is_file()
        and not any(part.startswith(tuple(PRESENT_BEFORE)) for part in p.relative_to(site).parts[:1])
    )
    assert size <= MAX_SITE_PACKAGES, f"{size / 1e6:.1f} MB"


def test_render_values_renders_the_defaults(light_venv: Path) -> None:
    proc = _run(light_venv / "bin" / "render-values", cwd=light_venv)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("kind: CronJob") >= 1
    assert "pip install 'kaireon-chart[k8s]'" in proc.stderr  # the optional OpenAPI layer says how to add it
    bad = _run(
        light_venv / "bin" / "render-values", "--set", "cron.concurrencyPolicy=Sometimes", cwd=light_venv
    )
    assert bad.returncode == 1 and "cron.concurrencyPolicy" in bad.stderr and '"Forbid"' in bad.stderr


def test_features_outside_the_light_install_name_their_extra(light_venv: Path) -> None:
    add = _run(
        light_venv / "bin" / "render-values",
        "add-route",
        "dsar-purge",
        "--schedule",
        "0 3 * * *",
        cwd=light_venv,
    )
    assert add.returncode == 2 and "pip install 'kaireon-chart[edit]'" in add.stderr, add.stderr
    service = _run(light_venv / "bin" / "kaireon-service", "migrate", cwd=light_venv)
    assert service.returncode == 2 and "pip install 'kaireon-chart[service]'" in service.stderr, (
        service.stderr
    )
    assert "fastapi" in service.stderr
    doctor = _run(light_venv / "bin" / "render-values", "doctor", cwd=light_venv)
    assert doctor.returncode == 2 and "pip install 'kaireon-chart[doctor]'" in doctor.stderr, doctor.stderr
