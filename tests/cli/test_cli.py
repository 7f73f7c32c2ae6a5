"""Acceptance tests: the real `render-values` entry point, exit codes and output."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from kaireon_chart import registry
from kaireon_chart.valuesfile import parse_yaml

ROOT = Path(__file__).resolve().parents[2]
RV = ROOT / ".venv" / "bin" / "render-values"
EXAMPLES = ROOT / "tests" / "examples"


@pytest.fixture
def run(tmp_path):
    env = dict(os.environ, KAIREON_CHART_CACHE_DIR=str(tmp_path / "cache"))

    def _run(*args, stdin: str | None = None, cwd: Path | None = None):
        return subprocess.run(
            [str(RV), *map(str, args)],
            capture_output=True,
            text=True,
            input=stdin,
            env=env,
            cwd=cwd or tmp_path,
            timeout=120,
        )

    return _run


def _cronjobs(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if d]


def test_default_values_render_seven_cronjobs(run):
    proc = run()
    assert proc.returncode == 0, proc.stderr
    docs = _cronjobs(proc.stdout)
    assert [d["kind"] for d in docs] == ["CronJob"] * len(registry.scheduled())
    assert sorted(d["metadata"]["labels"]["app.kubernetes.io/component"] for d in docs) == sorted(
        r.key for r in registry.scheduled()
    )
    assert "error:" not in proc.stderr


def test_invalid_values_exit_1_with_the_issue_line(run, tmp_path):
    f = tmp_path / "prod.yaml"
    f.write_text('cron:\n  schedules:\n    cleanup:\n      schedule: "30 4 * * 7"\n')
    proc = run("-f", f)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert (
        f'{f}:4: error: cron.schedules.cleanup.schedule: "30 4 * * 7": day-of-week 7 is above the maximum 6 '
        "(use 0 or SUN) [cron-schedule]"
    ) in proc.stderr.splitlines()


def test_yaml_syntax_error_exit_2_file_line_col(run, tmp_path):
    f = tmp_path / "broken.yaml"
    f.write_text("cron:\n  schedules:\n    x: [1\n  y: 2\n")
    proc = run("-f", f)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"render-values: error: {f}:4:4: ")


@pytest.mark.parametrize(
    "args",
    [
        ["-f", "missing.yaml"],
        ["--set", "cron.schedules[0"],
        ["--kube-version", "1.20"],
        ["--kube-version", "banana"],
        ["--chart", "no-such-chart"],
        ["--release-name", "Bad_Release"],
        ["check", "--release-name", "x" * 60, str(EXAMPLES / "valid")],
        ["--format", "xml"],
    ],
)
def test_usage_and_input_errors_exit_2(run, args):
    proc = run(*args)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert "error" in proc.stderr
    if "--release-name" in args:
        assert proc.stderr.startswith("render-values: error: --release-name: release name ")


def test_kube_version_selects_the_schema(run):
    assert run("--kube-version", "1.27").returncode == 0
    assert run("--kube-version", "v1.30.4").returncode == 0


def test_strict_fails_on_warnings(run, tmp_path):
    f = tmp_path / "w.yaml"
    f.write_text("cron:\n  schedules:\n    cleanup:\n      suspend: true\n")
    assert run("-f", f).returncode == 0
    proc = run("-f", f, "--strict")
    assert proc.returncode == 1
    assert (
        "warning: cron.schedules.cleanup.suspend: true: the CronJob exists but starts no Jobs" in proc.stderr
    )


def test_json_format_and_output_file(run, tmp_path):
    yaml_docs = _cronjobs(run().stdout)
    proc = run("--format", "json")
    assert proc.returncode == 0
    assert json.loads(proc.stdout) == yaml_docs
    out = tmp_path / "out.yaml"
    proc = run("-o", out)
    assert proc.returncode == 0 and proc.stdout == ""
    assert _cronjobs(out.read_text()) == yaml_docs


def test_set_flags_and_stdin(run):
    proc = run(
        "-f",
        "-",
        "--set",
        "cron.schedules.cleanup.schedule=0 1 * * *",
        "--set-string",
        "cron.timeZone=Europe/Berlin",
        stdin="cron:\n  schedules:\n    cleanup:\n      suspend: true\n",
    )
    assert proc.returncode == 0, proc.stderr
    [cleanup] = [d for d in _cronjobs(proc.stdout) if d["metadata"]["name"].endswith("-cleanup")]
    assert cleanup["spec"]["schedule"] == "0 1 * * *"
    assert cleanup["spec"]["timeZone"] == "Europe/Berlin"
    assert cleanup["spec"]["suspend"] is True


def test_error_format_json(run, tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("cron:\n  schedules:\n    cleanup:\n      shedule: x\n")
    proc = run("-f", f, "--error-format", "json")
    assert proc.returncode == 1
    report = json.loads(proc.stderr)
    assert report["status"] == "fail"
    [problem] = [p for p in report["problems"] if p["severity"] == "error"]
    assert problem == {
        "file": str(f),
        "path": "cron.schedules.cleanup.shedule",
        "line": 4,
        "column": None,
        "check": "schema-unknown-key",
        "severity": "error",
        "message": 'unknown key "shedule"; did you mean `schedule`? allowed keys: activeDeadlineSeconds, '
        "affinity, backoffLimit, concurrencyPolicy, containerSecurityContext, enabled, "
        "failedJobsHistoryLimit, imagePullSecrets, nodeSelector, path, podAnnotations, podLabels, "
        "podSecurityContext, priorityClassName, resources, schedule, shards, startingDeadlineSeconds, "
        "successfulJobsHistoryLimit, suspend, timeZone, tolerations",
        "input": None,
    }
    ok = run("--error-format", "json", "-f", EXAMPLES / "valid" / "prod.yaml")
    assert ok.returncode == 0
    assert json.loads(ok.stderr) == {"status": "ok", "problems": []}


def test_error_format_github_escapes(run, tmp_path):
    f = tmp_path / "a,b:c.yaml"
    f.write_text('cron:\n  schedules:\n    cleanup:\n      schedule: "0 0 30 2 *"\n')
    proc = run("-f", f, "--error-format", "github")
    assert proc.returncode == 1
    [line] = [ln for ln in proc.stderr.splitlines() if ln.startswith("::error ")]
    escaped = str(f).replace(":", "%3A").replace(",", "%2C")
    assert line == (
        f"::error file={escaped},line=4,title=render-values schedule-never-fires%3A "
        'cron.schedules.cleanup.schedule::cron.schedules.cleanup.schedule: "0 0 30 2 *" never fires '
        "(no date matches it); Kubernetes accepts it and never runs the job; allowed: a schedule with at "
        "least one real date"
    )


def test_check_many_files_one_report_each(run, tmp_path):
    proc = run("check", EXAMPLES / "valid", "--error-format", "json")
    assert proc.returncode == 0, proc.stdout
    report = json.loads(proc.stdout)
    assert report["status"] == "ok"
    assert [i["status"] for i in report["inputs"]] == ["ok"] * len(list((EXAMPLES / "valid").glob("*.yaml")))
    proc = run(
        "check",
        EXAMPLES / "valid" / "prod.yaml",
        EXAMPLES / "invalid" / "dow-7.yaml",
        EXAMPLES / "invalid" / "never-fires.yaml",
    )
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert f"{EXAMPLES / 'valid' / 'prod.yaml'}: ok" in lines
    assert f"{EXAMPLES / 'invalid' / 'dow-7.yaml'}: 1 error(s), 0 warning(s)" in lines
    assert any(ln.startswith(f"{EXAMPLES / 'invalid' / 'never-fires.yaml'}:4: error: ") for ln in lines)


def test_check_invalid_corpus_fails_and_yaml_error_is_exit_2(run, tmp_path):
    assert run("check", EXAMPLES / "invalid").returncode == 1
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: [\n")
    proc = run("check", EXAMPLES / "valid" / "prod.yaml", broken, "--error-format", "github")
    assert proc.returncode == 2
    assert f"::error file={broken},line=2,col=1,title=render-values values-file::" in proc.stdout
    assert "::group::" in proc.stdout


def test_explain_table(run):
    proc = run("explain", "-f", EXAMPLES / "valid" / "prod.yaml")
    assert proc.returncode == 0, proc.stderr
    table, facts = proc.stdout.split("\n\n")
    header, *lines = table.splitlines()
    assert facts.startswith("time facts (next 12 months, each job's timeZone):\n")
    assert "  outboxReaper: shortest interval 2 min\n" in facts
    assert header.split()[:3] == ["JOB", "CRONJOB", "STATE"]
    assert "NEXT RUNS" in header and "DEADLINES active/start" in header
    assert len(lines) == len(registry.scheduled()) + 3  # the default jobs and the three operator routes
    [dsar] = [ln for ln in lines if ln.startswith("dsarPurge ")]
    assert "kaireon-dsar-purge" in dsar and "0 3 * * *" in dsar and "Europe/Berlin" in dsar
    assert "At 03:00 every day (Europe/Berlin)" in dsar and "600 s / 300 s" in dsar
    assert dsar.count("CET") + dsar.count("CEST") == 3  # the next 3 runs, in the job's zone
    rows = json.loads(
        run("explain", "-f", EXAMPLES / "valid" / "prod.yaml", "--format", "json", "--runs", "2").stdout
    )
    [dsar] = [r for r in rows if r["key"] == "dsarPurge"]
    assert len(dsar["nextRuns"]) == 2 and all(r.endswith(("CET", "CEST")) for r in dsar["nextRuns"])
    assert dsar["path"] == "/api/v1/cron/dsar-purge"


VALUES_WITH_COMMENTS = """\
# Production overrides -- owned by the platform team.
cron:
  timeZone: Europe/Berlin   # all jobs in Berlin time
  schedules:
    # the tick must be fast
    flowSchedulerTick:
      activeDeadlineSeconds: 55
    outboxReaper: {activeDeadlineSeconds: 110}
"""


def test_add_route_keeps_comments_and_validates(run, tmp_path):
    f = tmp_path / "values.yaml"
    f.write_text(VALUES_WITH_COMMENTS)
    proc = run("add-route", "dsar-purge", "--schedule", "0 3 * * *", "-f", f)
    assert proc.returncode == 0, proc.stderr
    text = f.read_text()
    assert text.startswith(
        VALUES_WITH_COMMENTS.rstrip("\n").rsplit("\n", 1)[0]
    )  # everything before kept as is
    assert "# the tick must be fast" in text and "# all jobs in Berlin time" in text
    assert 'dsarPurge:\n      schedule: "0 3 * * *"\n      path: /api/v1/cron/dsar-purge\n' in text
    assert run("-f", f).returncode == 0
    # an invalid schedule is refused and the file stays as it was
    before = f.read_text()
    proc = run("add-route", "siem-ship", "--schedule", "*/5 * * * 7", "-f", f)
    assert proc.returncode == 1
    assert "cron.schedules.siemShip.schedule" in proc.stderr and "was not changed" in proc.stderr
    assert f.read_text() == before


def test_add_route_snippet_and_manifest(run):
    proc = run("add-route", "siem-ship", "--schedule", "*/5 * * * *")
    assert proc.returncode == 0, proc.stderr
    assert yaml.safe_load(proc.stdout) == {
        "cron": {"schedules": {"siemShip": {"schedule": "*/5 * * * *", "path": "/api/v1/cron/siem-ship"}}}
    }
    proc = run("add-route", "export-interactions", "--schedule", "0 * * * *", "--manifest")
    assert proc.returncode == 0, proc.stderr
    [doc] = _cronjobs(proc.stdout)
    assert doc["kind"] == "CronJob" and doc["metadata"]["name"] == "kaireon-export-interactions"
    assert doc["spec"]["schedule"] == "0 * * * *"
    env = {
        e["name"]: e for e in doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["CRON_URL"]["value"].endswith("/api/v1/cron/export-interactions")
    assert "secretKeyRef" in env["CRON_SECRET"]["valueFrom"]


def test_add_route_unknown_name_and_bad_name(run, tmp_path):
    f = tmp_path / "new.yaml"
    proc = run("add-route", "nightly-report", "--schedule", "@daily", "-f", f)
    assert proc.returncode == 0, proc.stderr
    assert yaml.safe_load(f.read_text()) == {
        "cron": {
            "schedules": {"nightlyReport": {"schedule": "@daily", "path": "/api/v1/cron/nightly-report"}}
        }
    }
    assert run("add-route", "Bad Name", "--schedule", "@daily").returncode == 2


def test_help_lists_examples_and_exit_codes(run):
    for args in ([], ["check"], ["explain"], ["add-route"]):
        proc = run(*args, "--help")
        assert proc.returncode == 0
        assert "exit codes:" in proc.stdout and "examples:" in proc.stdout


def test_list_checks(run):
    proc = run("--list-checks")
    assert proc.returncode == 0
    assert any(line.startswith("cron-schedule ") for line in proc.stdout.splitlines())


def test_check_with_a_shared_base_layer(run, tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text("cron:\n  timeZone: Mars/Olympus\n")
    env = tmp_path / "env.yaml"
    env.write_text("cron:\n  suspend: false\n")
    proc = run("check", "-f", base, env)
    assert proc.returncode == 1
    assert f'{base}:2: error: cron.timeZone: "Mars/Olympus": unknown time zone Mars/Olympus' in proc.stdout
    fixed = tmp_path / "fixed.yaml"
    fixed.write_text("cron:\n  timeZone: Europe/Berlin\n")
    assert run("check", "-f", base, fixed).returncode == 0


def test_add_route_refuses_a_broken_values_file(run, tmp_path):
    f = tmp_path / "values.yaml"
    f.write_text("cron:\n  schedules: [\n")
    proc = run("add-route", "dsar-purge", "--schedule", "0 3 * * *", "-f", f)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"render-values: error: {f}:3:1: ")
    assert f.read_text() == "cron:\n  schedules: [\n"


def test_add_route_updates_an_existing_entry(run, tmp_path):
    f = tmp_path / "values.yaml"
    f.write_text(
        'cron:\n  schedules:\n    dsarPurge:  # nightly\n      schedule: "0 2 * * *"\n'
        "      path: /api/v1/cron/dsar-purge\n      activeDeadlineSeconds: 900\n"
    )
    proc = run("add-route", "dsar-purge", "--schedule", "30 1 * * *", "-f", f)
    assert proc.returncode == 0, proc.stderr
    assert "updated cron.schedules.dsarPurge" in proc.stderr
    assert f.read_text() == (
        'cron:\n  schedules:\n    dsarPurge:  # nightly\n      schedule: "30 1 * * *"\n'
        "      path: /api/v1/cron/dsar-purge\n      activeDeadlineSeconds: 900\n"
    )


def test_add_route_quotes_a_key_helm_would_read_as_a_boolean(run, tmp_path):
    f = tmp_path / "values.yaml"
    f.write_text("# comment\ncron:\n  schedules: {}\n")
    assert run("add-route", "on", "--schedule", "@daily", "-f", f).returncode == 0
    assert parse_yaml(f.read_text())["cron"]["schedules"] == {
        "on": {"schedule": "@daily", "path": "/api/v1/cron/on"}
    }
    proc = run("add-route", "y", "--schedule", "@daily")
    assert parse_yaml(proc.stdout) == {
        "cron": {"schedules": {"y": {"schedule": "@daily", "path": "/api/v1/cron/y"}}}
    }


def test_chart_defaults_pass_strict(run):
    """The shipped defaults raise no warning either: every job's deadline fits its period."""
    proc = run("--strict")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == ""
