"""The schema layer agrees with helm: helm 3 and helm 4 refuse exactly the example files for which
render-values reports a schema-* error (helm validates values.schema.json before rendering)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kaireon_chart import validate
from kaireon_chart.chart import load_chart
from kaireon_chart.values import load_values

ROOT = Path(__file__).resolve().parents[2]
HELMS = [h for h in ("helm3", "helm4") if (ROOT / ".tools" / h).exists()]
FILES = sorted((ROOT / "tests" / "examples").glob("*/*.yaml"))
CHART = load_chart(ROOT / "chart")

pytestmark = [pytest.mark.helm, pytest.mark.skipif(not HELMS, reason="helm binaries missing (make install)")]


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.stem}" for p in FILES])
def test_schema_errors_iff_helm_rejects(path):
    problems = validate(load_values([str(path)], chart=CHART), chart=CHART, kube_schema=False)
    ours = any(p.check.startswith("schema-") for p in problems)
    for helm in HELMS:
        proc = subprocess.run([str(ROOT / ".tools" / helm), "template", "kaireon", str(ROOT / "chart"), "-f", str(path)],
                              capture_output=True, text=True, timeout=120)
        schema_failure = proc.returncode != 0 and "schema" in proc.stderr.lower()
        assert ours == schema_failure, (helm, proc.stderr[-800:])
