"""Every problem points at its source: the file and line of the layer that set the value, the --set*
flag and its position, or for a missing key the parent mapping that lacks it."""

from __future__ import annotations

import json

from kaireon_chart.cli import main
from kaireon_chart.reports.locate import _parents, flag_label

VALUES = """\
# ops overrides
cron:
  schedules:
    nightly:
      schedule: "0 3 * * *"
"""


def test_missing_key_points_at_the_parent_mapping(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ops.yaml").write_text(VALUES)
    assert main(["-f", "ops.yaml", "--no-kube-schema", "--error-format", "json"]) == 1
    [problem] = json.loads(capsys.readouterr().err)["problems"]
    assert (problem["check"], problem["path"], problem["file"], problem["line"]) == (
        "schema-required",
        "cron.schedules.nightly.path",
        "ops.yaml",
        4,
    )
    assert main(["-f", "ops.yaml", "--no-kube-schema", "--error-format", "sarif"]) == 1
    [result] = json.loads(capsys.readouterr().err)["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "ops.yaml"},
        "region": {"startLine": 4},
    }


def test_set_flags_are_named_with_their_position(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ops.yaml").write_text(
        VALUES.replace('"0 3 * * *"', '"0 3 * * *"\n      path: /api/v1/cron/n')
    )
    rc = main(
        [
            "-f",
            "ops.yaml",
            "--no-kube-schema",
            "--set",
            "cron.schedules.cleanup.suspend=false",
            "--set",
            "cron.schedules.cleanup.concurrencyPolicy=Nope",
            "--set-json",
            'cron.schedules.x={"schedule":"0 1 * * *"}',
            "--set-string",
            "cron.schedules.nightly.timeZone=Mars/Olympus",
        ]
    )
    assert rc == 1
    err = capsys.readouterr().err.splitlines()
    assert any(
        line.startswith(
            "--set #2 cron.schedules.cleanup.concurrencyPolicy=Nope: error: "
            "cron.schedules.cleanup.concurrencyPolicy:"
        )
        for line in err
    ), err
    assert any(
        line.startswith(
            '--set-json #1 cron.schedules.x={"schedule":"0 1 * * *"}: error: '
            "cron.schedules.x.path: is required"
        )
        for line in err
    ), err
    assert any(
        line.startswith("--set-string #1 cron.schedules.nightly.timeZone=Mars/Olympus: error:")
        for line in err
    ), err


def test_set_flag_in_ci_reports_points_at_the_values_file_and_names_the_flag(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ops.yaml").write_text("cron: {}\n")
    assert (
        main(
            [
                "check",
                "ops.yaml",
                "--no-kube-schema",
                "--error-format",
                "gitlab",
                "--set",
                "cron.schedules.cleanup.concurrencyPolicy=Nope",
            ]
        )
        == 1
    )
    [issue] = json.loads(capsys.readouterr().out)
    assert issue["location"] == {"path": "ops.yaml", "lines": {"begin": 1}}
    assert issue["description"].endswith("(set by --set #1 cron.schedules.cleanup.concurrencyPolicy=Nope)")


def test_helpers():
    assert _parents("a.b[0].c") == ["a.b[0]", "a.b", "a"]
    assert _parents("cron.schedules.x (rendered spec.a.b)") == ["cron.schedules", "cron"]
    flags = [("--set-json a={}", {}), ("--set b=1", {}), ("--set c=2", {})]
    assert flag_label("--set c=2", flags) == "--set #2 c=2"
    assert flag_label("--set-json a={}", flags) == "--set-json #1 a={}"
