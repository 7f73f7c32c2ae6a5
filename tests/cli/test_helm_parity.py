"""render-values output vs `helm template` (helm 3 and helm 4) for a few values files: the CronJobs
must be identical as parsed objects."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RV = ROOT / ".venv" / "bin" / "render-values"
HELMS = [h for h in ("helm3", "helm4") if (ROOT / ".tools" / h).exists()]
CASES = [
    [],
    ["-f", "tests/examples/valid/prod.yaml"],
    ["-f", "tests/examples/valid/staging.yaml", "--set", "cron.schedules.cleanup.suspend=true"],
    ["-f", "tests/examples/valid/descriptors.yaml", "--set-string", "cron.image.tag=8.12.0"],
]

pytestmark = [pytest.mark.helm, pytest.mark.skipif(not HELMS, reason="helm binaries missing (make install)")]


def _cronjobs(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if d and d.get("kind") == "CronJob"]


@pytest.mark.parametrize("helm", HELMS)
@pytest.mark.parametrize("args", CASES, ids=["defaults", "prod", "staging+set", "descriptors+set-string"])
def test_render_values_matches_helm_template(helm, args, tmp_path):
    release, namespace = "prod-eu", "kaireon-system"
    env = dict(os.environ, KAIREON_CHART_CACHE_DIR=str(tmp_path / "cache"))
    ours = subprocess.run(
        [str(RV), *args, "--release-name", release, "--namespace", namespace, "--chart", str(ROOT / "chart")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert ours.returncode == 0, ours.stderr
    theirs = subprocess.run(
        [str(ROOT / ".tools" / helm), "template", release, str(ROOT / "chart"), "-n", namespace, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert theirs.returncode == 0, theirs.stderr
    expected = sorted(_cronjobs(theirs.stdout), key=lambda d: d["metadata"]["name"])
    got = sorted(_cronjobs(ours.stdout), key=lambda d: d["metadata"]["name"])
    assert got == expected
