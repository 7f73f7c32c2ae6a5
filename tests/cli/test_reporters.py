"""Reporter output shapes (text, json, github) and GitHub workflow-command escaping."""

from __future__ import annotations

import json

from kaireon_chart import Problem
from kaireon_chart.reporters import FileReport, Finding, render, status
from kaireon_chart.reports.github import escape_data, escape_property

ERR = Problem(
    "cron.schedules.x.schedule",
    '"61 * * * *": minute 61 is above the maximum 59; allowed: 0-59',
    "error",
    "cron-schedule",
)
WARN = Problem(
    "cron.schedules.x.suspend",
    "true: the CronJob exists but starts no Jobs; set suspend: false",
    "warning",
    "job-suspended",
)


def test_escaping():
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_text():
    report = FileReport("prod.yaml", [Finding(ERR, "prod.yaml", 4), Finding(WARN)])
    assert render("text", [report]) == (
        'prod.yaml:4: error: cron.schedules.x.schedule: "61 * * * *": minute 61 is above the maximum 59; '
        "allowed: 0-59 [cron-schedule]\n"
        "warning: cron.schedules.x.suspend: true: the CronJob exists but starts no Jobs; set suspend: false "
        "[job-suspended]\n"
    )


def test_json_status_and_shape():
    ok = FileReport("a.yaml", [Finding(WARN)])
    assert json.loads(render("json", [ok])) == {
        "status": "ok",
        "problems": [
            {
                "file": None,
                "path": WARN.path,
                "line": None,
                "column": None,
                "check": "job-suspended",
                "severity": "warning",
                "message": WARN.message,
                "input": "a.yaml",
            }
        ],
        "inputs": [{"input": "a.yaml", "status": "ok"}],
    }
    assert status([ok], strict=True) == "fail"
    bad = FileReport("b.yaml", [Finding(ERR, "b.yaml", 2)])
    both = json.loads(render("json", [ok, bad]))
    assert both["status"] == "fail"
    assert both["inputs"] == [{"input": "a.yaml", "status": "ok"}, {"input": "b.yaml", "status": "fail"}]


def test_github_annotations_and_groups():
    multi = Problem("cron.path", "line one\nline two 100%", "error", "path")
    reports = [FileReport("dir,x/a:b.yaml", [Finding(multi, "dir,x/a:b.yaml", 3)]), FileReport("ok.yaml", [])]
    out = render("github", reports).splitlines()
    assert out == [
        "::group::dir,x/a:b.yaml",
        "::error file=dir%2Cx/a%3Ab.yaml,line=3,title=render-values path%3A cron.path::"
        "cron.path: line one%0Aline two 100%25",
        "::endgroup::",
        "::group::ok.yaml",
        "::endgroup::",
    ]
    single = render("github", [FileReport(None, [Finding(WARN)])]).splitlines()
    assert single == ["::warning title=render-values job-suspended%3A cron.schedules.x.suspend::" + str(WARN)]


def test_github_does_not_annotate_a_set_flag_as_a_file():
    out = render("github", [FileReport(None, [Finding(ERR, "--set cron.schedules.x.schedule=61 * * * *")])])
    assert out.startswith("::error title=render-values cron-schedule%3A cron.schedules.x.schedule::")
