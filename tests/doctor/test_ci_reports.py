"""doctor's CI reports: the findings through the same SARIF / JUnit / GitLab / GitHub writers as `check`,
located at the values file and line that set the value, rule ids ``doctor-<id>``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from junitparser import Failure, JUnitXml

from .conftest import Doctor
from .release import NS

ROOT = Path(__file__).resolve().parents[2]
MULTITOOL = ROOT / ".tools" / "sarif-multitool"
CLEANUP = "kaireon-cleanup"
PROD = """\
# prod values
cron:
  schedules:
    cleanup:
      schedule: "30 4 * * *"
"""


@pytest.fixture
def drifted(doctor: Doctor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Doctor:
    """The cleanup CronJob's schedule and image changed in the cluster; prod.yaml sets the schedule (line 5)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "prod.yaml").write_text(PROD)
    cj = doctor.api.get("cronjobs", NS, CLEANUP)
    cj["spec"]["schedule"] = "0 6 * * *"
    cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"] = "docker.io/x/curl:1"
    return doctor


def _sarif(doctor: Doctor, *extra: str) -> dict[str, Any]:
    code, out, err = doctor("-f", "prod.yaml", "--format", "sarif", *extra)
    assert code == 0, err  # warnings only: the default --fail-on error passes, as for text
    doc: dict[str, Any] = json.loads(out)
    return doc


def test_sarif_results_rule_ids_locations_and_fingerprints(drifted: Doctor) -> None:
    doc = _sarif(drifted)
    run = doc["runs"][0]
    by_path = {r["properties"]["valuesPath"]: r for r in run["results"]}
    assert set(by_path) == {"cron.schedules.cleanup.schedule", "cron.image"}
    schedule = by_path["cron.schedules.cleanup.schedule"]
    assert schedule["ruleId"] == "doctor-drift" and schedule["level"] == "warning"
    place = schedule["locations"][0]["physicalLocation"]
    assert place["artifactLocation"]["uri"] == "prod.yaml" and place["region"]["startLine"] == 5
    assert f"CronJob {CLEANUP}:" in schedule["message"]["text"]
    # cron.image comes from the chart's values.yaml, outside the working directory: named, not linked
    image = by_path["cron.image"]
    assert image["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "prod.yaml"
    assert "chart/values.yaml:" in image["message"]["text"]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    drift = rules["doctor-drift"]
    assert drift["helpUri"].endswith("/docs/render-values.md#doctor")
    assert drift["shortDescription"]["text"] and "live" in drift["fullDescription"]["text"]
    assert schedule["ruleIndex"] == list(rules).index("doctor-drift")
    # fingerprints are stable across runs and distinct per finding
    again = {r["properties"]["valuesPath"]: r for r in _sarif(drifted)["runs"][0]["results"]}
    assert again["cron.schedules.cleanup.schedule"]["partialFingerprints"] == schedule["partialFingerprints"]
    assert schedule["partialFingerprints"] != image["partialFingerprints"]


@pytest.mark.skipif(not MULTITOOL.exists(), reason="make sarif-tool installs the SARIF validator")
def test_sarif_passes_the_sarif_validator_with_github_rules(drifted: Doctor, tmp_path: Path) -> None:
    (tmp_path / "doctor.sarif").write_text(json.dumps(_sarif(drifted)))
    proc = subprocess.run(
        [str(MULTITOOL), "validate", "doctor.sarif", "--rule-kind", "Gh;Sarif", "--level", "Error;Warning"]
        + ["-o", "validation.sarif", "--log", "ForceOverwrite"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found = json.loads((tmp_path / "validation.sarif").read_text())["runs"][0]["results"]
    assert found == [], [r["message"] for r in found]


def test_junit_fails_with_fail_on_warning_only(drifted: Doctor) -> None:
    code, out, _err = drifted("-f", "prod.yaml", "--format", "junit")
    assert code == 0
    case = next(c for s in JUnitXml.fromstring(out) for c in s)
    assert case.is_passed and "doctor-drift" in case.system_out
    code, out, _err = drifted("-f", "prod.yaml", "--format", "junit", "--fail-on", "warning")
    assert code == 1
    case = next(c for s in JUnitXml.fromstring(out) for c in s)
    assert isinstance(case.result[0], Failure)
    assert "prod.yaml:5: warning: cron.schedules.cleanup.schedule" in case.result[0].text


def test_gitlab_code_quality_fields(drifted: Doctor) -> None:
    code, out, _err = drifted("-f", "prod.yaml", "--format", "gitlab")
    assert code == 0
    issues = {i["description"].split(":", 1)[0]: i for i in json.loads(out)}
    schedule = issues["cron.schedules.cleanup.schedule"]
    assert schedule["check_name"] == "doctor-drift" and schedule["severity"] == "minor"
    assert schedule["location"] == {"path": "prod.yaml", "lines": {"begin": 5}}
    assert len({i["fingerprint"] for i in issues.values()}) == len(issues) == 2


def test_github_annotations(drifted: Doctor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    code, out, _err = drifted("-f", "prod.yaml", "--format", "github")
    assert code == 0
    assert "::warning file=prod.yaml,line=5" in out and "doctor-drift" in out


def test_report_files_written_while_text_goes_to_stdout(drifted: Doctor, tmp_path: Path) -> None:
    code, out, err = drifted(
        "-f",
        "prod.yaml",
        "--report",
        "sarif=out/doctor.sarif",
        "--report",
        "gitlab=gl.json",
        "--fail-on",
        "warning",
    )
    assert code == 1, err  # the exit code of the text run, reports or not
    assert out.startswith("release ") and "SEVERITY" in out and "drift" in out
    sarif = json.loads((tmp_path / "out" / "doctor.sarif").read_text())
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == {"doctor-drift"}
    assert len(json.loads((tmp_path / "gl.json").read_text())) == 2


def test_healthy_release_reports_are_empty_and_pass(doctor: Doctor) -> None:
    code, out, _err = doctor("--format", "sarif")
    assert code == 0 and json.loads(out)["runs"][0]["results"] == []


def test_a_bad_report_spec_is_a_usage_error(doctor: Doctor) -> None:
    code, _out, err = doctor("--report", "pdf=x.pdf")
    assert code == 2 and "unknown format 'pdf'" in err
