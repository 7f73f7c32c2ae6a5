"""action.yml (the composite GitHub Action) and docs/ci/gitlab-ci.yml: their shape, and their shell
steps run for real (bash, the real render-values) on good and bad values files."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from junitparser import JUnitXml

ROOT = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
GITLAB = yaml.safe_load((ROOT / "docs" / "ci" / "gitlab-ci.yml").read_text())
EXPR = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
BAD = 'cron:\n  schedules:\n    cleanup:\n      schedule: "61 * * * *"\n'


def _bin_env(tmp_path: Path) -> dict[str, str]:
    """PATH with a `render-values` that runs this worktree's code."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    shim = bindir / "render-values"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m kaireon_chart.cli "$@"\n')
    shim.chmod(0o755)
    return dict(
        os.environ, PATH=f"{bindir}:{os.environ['PATH']}", PYTHONPATH=str(ROOT), KAIREON_CHART_CACHE="0"
    )


def test_action_metadata():
    assert ACTION["name"] and ACTION["runs"]["using"] == "composite"
    for step in ACTION["runs"]["steps"]:
        assert ("run" in step) != ("uses" in step)
        if "run" in step:
            assert step["shell"] == "bash"
            assert "${{" not in step["run"], "inputs reach scripts through env, never spliced into code"
    for name, output in ACTION["outputs"].items():
        assert output["value"].startswith("${{ steps."), name
    used = {
        m.group(1)
        for text in map(str, _strings(ACTION["runs"]))
        for m in re.finditer(r"inputs\.([\w-]+)", text)
    }
    assert used <= set(ACTION["inputs"]), used - set(ACTION["inputs"])
    upload = next(
        s
        for s in ACTION["runs"]["steps"]
        if s.get("uses", "").startswith("github/codeql-action/upload-sarif")
    )
    assert upload["with"]["sarif_file"] == "${{ steps.check.outputs.sarif-file }}"


def _strings(node):
    if isinstance(node, dict):
        for v in node.values():
            yield from _strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v)
    else:
        yield node


def _run_step(step_id: str, inputs: dict[str, str], tmp_path: Path, outputs: dict[str, str] | None = None):
    step = next(s for s in ACTION["runs"]["steps"] if s.get("id") == step_id or s.get("name") == step_id)
    values = {k: v.get("default", "") for k, v in ACTION["inputs"].items()} | inputs

    def resolve(text: str) -> str:
        def one(m: re.Match) -> str:
            ref = m.group(1)
            if ref.startswith("inputs."):
                return values[ref[7:]]
            return (outputs or {})[ref.rsplit(".", 1)[1]]

        return EXPR.sub(one, text)

    env = _bin_env(tmp_path) | {k: resolve(str(v)) for k, v in step.get("env", {}).items()}
    out_file = tmp_path / "github_output"
    out_file.write_text("")
    env |= {"GITHUB_OUTPUT": str(out_file), "GITHUB_ACTION_PATH": str(ROOT)}
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    got = dict(line.split("=", 1) for line in out_file.read_text().splitlines() if "=" in line)
    return proc, got


@pytest.mark.parametrize(("content", "code"), [("cron:\n  enabled: true\n", "0"), (BAD, "1")])
def test_action_check_step_runs_and_writes_sarif(tmp_path, content, code):
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "prod.yaml").write_text(content)
    (tmp_path / "base.yaml").write_text("cron:\n  timeZone: UTC\n")
    proc, out = _run_step(
        "check", {"base": "base.yaml", "junit-file": "rv.xml", "args": "--no-kube-schema"}, tmp_path
    )
    assert proc.returncode == 0, proc.stderr  # the step itself never fails: the upload comes first
    assert out == {"exit-code": code, "sarif-file": "render-values.sarif"}
    sarif = json.loads((tmp_path / "render-values.sarif").read_text())
    results = sarif["runs"][0]["results"]
    if code == "1":
        assert "::error file=environments/prod.yaml,line=4" in proc.stdout
        assert (
            results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            == "environments/prod.yaml"
        )
    else:
        assert results == []
    assert JUnitXml.fromfile(str(tmp_path / "rv.xml"))
    result, _ = _run_step("Result", {}, tmp_path, outputs=out)
    assert result.returncode == int(code)


def test_action_inputs_are_data_not_code(tmp_path):
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "a.yaml").write_text("cron:\n  enabled: true\n")
    proc, out = _run_step(
        "check", {"paths": "environments $(touch pwned) ;touch pwned2", "args": "--no-kube-schema"}, tmp_path
    )
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()
    assert out["exit-code"] == "2"  # the odd words are just (missing) file names


def test_gitlab_snippet_runs_and_its_reports_parse(tmp_path):
    job = GITLAB["render-values"]
    assert job["artifacts"]["reports"] == {
        "junit": "render-values-junit.xml",
        "codequality": "gl-code-quality-report.json",
    }
    command = next(line for line in job["script"] if line.startswith("render-values"))
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "prod.yaml").write_text(BAD)
    env = _bin_env(tmp_path) | job["variables"]
    proc = subprocess.run(
        ["bash", "-c", command + " --no-kube-schema"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr
    xml = JUnitXml.fromfile(str(tmp_path / "render-values-junit.xml"))
    assert sum(s.failures for s in xml) == 1
    issues = json.loads((tmp_path / "gl-code-quality-report.json").read_text())
    assert [i["location"] for i in issues if i["check_name"] == "cron-schedule"] == [
        {"path": "environments/prod.yaml", "lines": {"begin": 4}}
    ]
