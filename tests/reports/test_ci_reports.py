"""SARIF (checked by the SARIF maintainers' validator with GitHub's rules and by the OASIS schema),
JUnit XML (read back with junitparser), GitLab Code Quality and the GitHub annotation limit."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest
from junitparser import Failure, JUnitXml

from kaireon_chart import Problem
from kaireon_chart.cli import main
from kaireon_chart.reporters import FileReport, Finding, render
from kaireon_chart.reports import rules

ROOT = Path(__file__).resolve().parents[2]
MULTITOOL = ROOT / ".tools" / "sarif-multitool"
BAD = """\
# prod
cron:
  schedules:
    cleanup:
      schedule: "61 * * * *"   # minute out of range
    dsarPurge:
      schedule: "0 0 13 * FRI"
      path: /api/v1/cron/dsar-purge
"""


@pytest.fixture
def env_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "envs").mkdir()
    (tmp_path / "envs" / "bad.yaml").write_text(BAD)
    (tmp_path / "envs" / "ok.yaml").write_text("cron:\n  enabled: true\n")
    return tmp_path


def _check(*extra: str) -> int:
    return main(["check", "envs", "--no-kube-schema", *extra])


def test_one_run_writes_every_report_and_keeps_text(env_dir, capsys):
    rc = _check(
        "--report",
        "sarif=out/rv.sarif",
        "--report",
        "junit=out/rv.xml",
        "--report",
        "gitlab=out/gl.json",
        "--report",
        "json=out/rv.json",
    )
    assert rc == 1
    out = capsys.readouterr().out
    assert "envs/bad.yaml:5: error: cron.schedules.cleanup.schedule" in out  # text still printed
    for name in ("rv.sarif", "rv.xml", "gl.json", "rv.json"):
        assert (env_dir / "out" / name).stat().st_size > 0


def test_render_mode_report_files_and_text_on_stderr(env_dir, capsys):
    rc = main(["-f", "envs/bad.yaml", "--no-kube-schema", "--report", "sarif=rv.sarif"])
    captured = capsys.readouterr()
    assert rc == 1 and captured.out == ""
    assert "envs/bad.yaml:5: error:" in captured.err
    doc = json.loads((env_dir / "rv.sarif").read_text())
    assert {r["ruleId"] for r in doc["runs"][0]["results"]} == {"cron-schedule", "days-or"}


def test_bad_report_spec_is_a_usage_error(env_dir, capsys):
    assert _check("--report", "pdf=x.pdf") == 2
    assert "unknown format 'pdf'" in capsys.readouterr().err
    assert _check("--report", "sarif") == 2


def test_sarif_shape_levels_locations_fingerprints(env_dir, capsys):
    _check("--error-format", "sarif")
    doc = json.loads(capsys.readouterr().out)
    run = doc["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert (
        len(rule_ids) == len(set(rule_ids)) and "cron-schedule" in rule_ids and "schema-required" in rule_ids
    )
    for r in run["tool"]["driver"]["rules"]:
        assert r["shortDescription"]["text"] and r["fullDescription"]["text"] and r["help"]["text"]
        assert r["helpUri"].endswith(f"#{r['id']}")
    by_rule = {r["ruleId"]: r for r in run["results"]}
    err, warn = by_rule["cron-schedule"], by_rule["days-or"]
    assert err["level"] == "error" and warn["level"] == "warning"
    assert rule_ids[err["ruleIndex"]] == "cron-schedule"
    loc = err["locations"][0]["physicalLocation"]
    assert loc == {"artifactLocation": {"uri": "envs/bad.yaml"}, "region": {"startLine": 5}}
    # the fingerprint follows the file and values path, not the line: moving the value keeps it
    (env_dir / "envs" / "bad.yaml").write_text("\n\n\n" + BAD)
    _check("--error-format", "sarif")
    moved = {r["ruleId"]: r for r in json.loads(capsys.readouterr().out)["runs"][0]["results"]}[
        "cron-schedule"
    ]
    assert moved["locations"][0]["physicalLocation"]["region"]["startLine"] == 8
    assert moved["partialFingerprints"] == err["partialFingerprints"]


@pytest.mark.skipif(not MULTITOOL.exists(), reason="make sarif-tool installs the SARIF validator")
def test_sarif_passes_the_sarif_validator_with_github_rules(env_dir, capsys):
    _check("--error-format", "sarif", "--set", "cron.schedules.cleanup.concurrencyPolicy=Nope")
    (env_dir / "rv.sarif").write_text(capsys.readouterr().out)
    schema = json.loads((MULTITOOL.resolve().parent / "sarif-2.1.0.json").read_text())
    jsonschema.validate(json.loads((env_dir / "rv.sarif").read_text()), schema)  # the OASIS schema
    proc = subprocess.run(
        [
            str(MULTITOOL),
            "validate",
            "rv.sarif",
            "--rule-kind",
            "Gh;Sarif",
            "--level",
            "Error;Warning",
            "-o",
            "validation.sarif",
            "--log",
            "ForceOverwrite",
        ],
        capture_output=True,
        text=True,
        cwd=env_dir,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found = json.loads((env_dir / "validation.sarif").read_text())["runs"][0]["results"]
    assert found == [], [r["message"] for r in found]


@pytest.mark.skipif(not MULTITOOL.exists(), reason="make sarif-tool installs the SARIF validator")
def test_the_validator_catches_a_missing_full_description(env_dir, capsys):
    """The validator run above can fail: GitHub's rule GH2012 (fullDescription required) fires here."""
    _check("--error-format", "sarif")
    doc = json.loads(capsys.readouterr().out)
    del doc["runs"][0]["tool"]["driver"]["rules"][0]["fullDescription"]
    (env_dir / "bad.sarif").write_text(json.dumps(doc))
    subprocess.run(
        [
            str(MULTITOOL),
            "validate",
            "bad.sarif",
            "--rule-kind",
            "Gh",
            "-o",
            "v.sarif",
            "--log",
            "ForceOverwrite",
        ],
        capture_output=True,
        cwd=env_dir,
        timeout=120,
        check=True,
    )
    found = json.loads((env_dir / "v.sarif").read_text())["runs"][0]["results"]
    assert [r["ruleId"] for r in found] == ["GH2012"]


def test_junit_suites_cases_and_failures(env_dir, capsys):
    _check("--error-format", "junit")
    xml = JUnitXml.fromstring(capsys.readouterr().out)
    suites = {s.name: s for s in xml}
    assert set(suites) == {"envs/bad.yaml", "envs/ok.yaml"}
    bad = {c.name: c for c in suites["envs/bad.yaml"]}
    assert "values file" in bad and "CronJob kaireon-cleanup (cron.schedules.cleanup)" in bad
    assert len(bad) == 1 + 8  # the file-level case, one per CronJob: the 7 defaults + dsarPurge
    failed = bad["CronJob kaireon-cleanup (cron.schedules.cleanup)"]
    assert isinstance(failed.result[0], Failure)
    assert "envs/bad.yaml:5: error: cron.schedules.cleanup.schedule" in failed.result[0].text
    assert bad["CronJob kaireon-dsar-purge (cron.schedules.dsarPurge)"].is_passed  # a warning does not fail
    assert "days-or" in bad["CronJob kaireon-dsar-purge (cron.schedules.dsarPurge)"].system_out
    assert suites["envs/bad.yaml"].failures == 1 and suites["envs/ok.yaml"].failures == 0
    _check("--error-format", "junit", "--strict")
    strict = {
        c.name: c
        for s in JUnitXml.fromstring(capsys.readouterr().out)
        if s.name == "envs/bad.yaml"
        for c in s
    }
    assert isinstance(strict["CronJob kaireon-dsar-purge (cron.schedules.dsarPurge)"].result[0], Failure)
    xml = JUnitXml.fromstring(
        render(
            "junit",
            [FileReport("x\x01.yaml", [Finding(Problem("cron.path", "bad \x00 byte", "error", "path"))])],
        )
    )
    assert next(iter(xml)).name == "x\\u0001.yaml"  # control characters cannot break the XML


def test_gitlab_code_quality(env_dir, capsys):
    _check("--error-format", "gitlab")
    issues = json.loads(capsys.readouterr().out)
    assert isinstance(issues, list)
    cleanup = next(i for i in issues if i["check_name"] == "cron-schedule")
    assert cleanup["severity"] == "major" and cleanup["location"] == {
        "path": "envs/bad.yaml",
        "lines": {"begin": 5},
    }
    assert cleanup["description"].startswith("cron.schedules.cleanup.schedule:")
    assert next(i for i in issues if i["check_name"] == "days-or")["severity"] == "minor"
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_github_caps_annotations_and_writes_the_summary(tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    errs = [
        Finding(
            Problem(f"cron.schedules.j{i}.schedule", "bad | pipe", "error", "cron-schedule"), "v.yaml", i + 1
        )
        for i in range(12)
    ]
    warns = [Finding(Problem("cron.enabled", "false", "warning", "cron-disabled"), "v.yaml", 1)]
    lines = render("github", [FileReport(None, errs + warns)]).splitlines()
    assert sum(line.startswith("::error file=") for line in lines) == 9
    assert sum(line.startswith("::warning") for line in lines) == 1
    assert lines[-1].startswith(
        "::error title=render-values%3A 3 more error(s)::3 more error(s) not annotated"
    )
    assert "all 13 problems are in the job summary" in lines[-1]
    table = summary.read_text()
    assert (
        table.count("| error |") == 12
        and "`cron.schedules.j11.schedule`" in table
        and "bad \\| pipe" in table
    )
    few = render("github", [FileReport(None, errs[:10])]).splitlines()
    assert len(few) == 10 and all(line.startswith("::error file=") for line in few)


def test_docs_checks_md_is_generated_from_the_rules():
    assert (ROOT / "docs" / "checks.md").read_text() == rules.checks_markdown(), (
        "regenerate it: python -m kaireon_chart.reports.rules > docs/checks.md"
    )


def test_a_file_outside_the_working_directory_is_named_not_linked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    finding = Finding(Problem("cron.x", "bad; allowed: good", "error", "path"), "/opt/chart/values.yaml", 7)
    doc = json.loads(render("sarif", [FileReport("envs/a.yaml", [finding])]))
    [result] = doc["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "envs/a.yaml"
    assert result["message"]["text"].endswith("(set by /opt/chart/values.yaml:7)")
