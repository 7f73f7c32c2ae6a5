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
        proc = subprocess.run(
            [str(ROOT / ".tools" / helm), "template", "kaireon", str(ROOT / "chart"), "-f", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        schema_failure = proc.returncode != 0 and "schema" in proc.stderr.lower()
        assert ours == schema_failure, (helm, proc.stderr[-800:])


# -- generated values: one or two cron fields set to arbitrary scalars ---------------------------
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_FIELDS = [
    "cron.activeDeadlineSeconds",
    "cron.concurrencyPolicy",
    "cron.suspend",
    "cron.timeZone",
    "cron.successfulJobsHistoryLimit",
    "cron.secret.name",
    "cron.secret.key",
    "cron.apiUrl",
    "cron.schedules.cleanup.schedule",
    "cron.schedules.cleanup.path",
    "cron.schedules.cleanup.enabled",
    "cron.schedules.cleanup.backoffLimit",
    "cron.schedules.newJob.schedule",
    "cron.image.tag",
    "cron.schedules.cleanup.startingDeadlineSeconds",
]
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0, 1, 600, 2**31, 2**53 + 2]),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-10, max_value=10),
    st.sampled_from(
        [
            "",
            "Forbid",
            "forbid",
            "Allow",
            "UTC",
            "Local",
            "api-secrets",
            "Bad_Name",
            "CRON_SECRET",
            "/api/v1/cron/x",
            "/a b",
            "0 3 * * *",
            "latest",
            "8.11.1",
            "https://x.example.com",
            "600",
        ]
    ),
)


def _nest(path: str, value) -> dict:
    out: dict = {}
    node = out
    parts = path.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(assignments=st.lists(st.tuples(st.sampled_from(_FIELDS), _SCALARS), min_size=1, max_size=2))
def test_generated_values_schema_verdict_matches_helm(assignments, tmp_path_factory):
    import yaml

    from kaireon_chart.values import merge_maps

    doc: dict = {}
    for path, value in assignments:
        doc = merge_maps(doc, _nest(path, value))
    f = tmp_path_factory.mktemp("gen") / "values.yaml"
    f.write_text(yaml.safe_dump(doc))
    problems = validate(load_values([str(f)], chart=CHART), chart=CHART, kube_schema=False)
    ours = any(p.check.startswith("schema-") for p in problems)
    for helm in HELMS:
        proc = subprocess.run(
            [str(ROOT / ".tools" / helm), "template", "kaireon", str(ROOT / "chart"), "-f", str(f)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        schema_failure = proc.returncode != 0 and "schema" in proc.stderr.lower()
        assert ours == schema_failure, (helm, doc, [str(p) for p in problems], proc.stderr[-600:])
