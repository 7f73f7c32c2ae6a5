"""resolve_jobs: effective settings and where each came from; load_chart: where the chart lives."""

from __future__ import annotations

import shutil

import pytest

from kaireon_chart import names
from kaireon_chart.chart import ChartError, load_chart
from kaireon_chart.render import OVERRIDABLE, curl_max_time, render_cronjobs, resolve_jobs


def test_sources_name_the_values_path(chart, merge):
    values = merge(
        chart.values,
        {
            "cron": {
                "schedules": {
                    "cleanup": {"successfulJobsHistoryLimit": 0, "suspend": False, "timeZone": ""},
                    "later": {"enabled": False},
                }
            }
        },
    )
    jobs = {j.key: j for j in resolve_jobs(values, chart=chart)}
    assert [j.key for j in resolve_jobs(values, chart=chart)] == sorted(jobs)
    cleanup = jobs["cleanup"]
    assert cleanup.name == "kaireon-cleanup" and cleanup.enabled
    assert cleanup.settings["successfulJobsHistoryLimit"] == 0
    assert (
        cleanup.sources["successfulJobsHistoryLimit"] == "cron.schedules.cleanup.successfulJobsHistoryLimit"
    )
    assert cleanup.settings["suspend"] is False and cleanup.settings["timeZone"] == ""
    assert cleanup.settings["failedJobsHistoryLimit"] == 5
    assert cleanup.sources["failedJobsHistoryLimit"] == "cron.failedJobsHistoryLimit"
    assert cleanup.sources["schedule"] == "cron.schedules.cleanup.schedule"
    assert set(cleanup.settings) == {"schedule", "path", "shards", *OVERRIDABLE}
    assert jobs["later"].enabled is False and jobs["later"].settings["schedule"] is None


def test_null_override_falls_back_to_the_tier(chart, merge):
    values = merge(chart.values, {})
    values["cron"]["schedules"]["cleanup"]["backoffLimit"] = None
    (cleanup,) = [j for j in resolve_jobs(values, chart=chart) if j.key == "cleanup"]
    assert cleanup.settings["backoffLimit"] == 1 and cleanup.sources["backoffLimit"] == "cron.backoffLimit"


def test_resolve_tolerates_values_that_fail_the_schema(chart):
    values = {
        "cron": {"schedules": {"ok": {"schedule": "x", "path": "/p"}, "bad": "not a map", "worse": None}}
    }
    jobs = resolve_jobs(values, chart=chart)
    assert [j.key for j in jobs] == ["ok"]
    assert jobs[0].settings["activeDeadlineSeconds"] is None
    assert resolve_jobs({"cron": []}, chart=chart) == []


def test_cron_disabled_renders_nothing(chart, merge):
    assert render_cronjobs(merge(chart.values, {"cron": {"enabled": False}}), chart=chart) == []


@pytest.mark.parametrize(
    ("deadline", "max_time"),
    [
        (1, "0.9"),
        (2, "1.8"),
        (7, "6.3"),
        (10, "9.0"),
        (600, "540.0"),
        (2592000, "2332800.0"),
        (2**53 - 1, "8106479329266891.9"),
    ],
)
def test_curl_max_time_is_positive_and_below_the_deadline(deadline, max_time):
    assert curl_max_time(deadline) == max_time
    assert 0 < float(max_time) < deadline


def test_name_rule_table():
    assert names.kebab("engagementHealthRecompute") == "engagement-health-recompute"
    assert names.cronjob_name("kaireon", "cleanup") == "kaireon-cleanup"
    fifty_two = "r" * 44 + "-" + "cleanup"
    assert names.cronjob_name("r" * 44, "cleanup") == fifty_two and len(fifty_two) == 52
    long = names.cronjob_name("r" * 46, "cleanup")
    assert len(long) == 52 and long[:47] == "r" * 46 + "-" and all(c in "0123456789abcdef" for c in long[47:])
    # a hyphen at the cut is dropped before the hash
    cut = names.cronjob_name("r" * 45, "cleanup")
    assert cut == "r" * 45 + "-" + cut[-5:] and len(cut) == 51
    assert cut[-5:] != names.cronjob_name("r" * 45, "cleanup2")[-5:]
    assert names.fullname({}, "kaireon-prod", "kaireon") == "kaireon-prod"
    assert names.fullname({"nameOverride": "kr"}, "prod", "kaireon") == "prod-kr"
    assert names.fullname({"fullnameOverride": "x" * 62 + "-y"}, "prod", "kaireon") == "x" * 62
    assert names.chart_label("kaireon", "1.0.0+build.5") == "kaireon-1.0.0_build.5"


def test_load_chart_default_and_explicit(tmp_path):
    chart = load_chart()
    assert chart.name == "kaireon" and chart.version and chart.app_version
    assert chart.values["cron"]["activeDeadlineSeconds"] == 600
    assert chart.schema["$schema"].startswith("http://json-schema.org/draft-07")
    chart.values["cron"]["enabled"] = False  # callers get their own copy
    assert load_chart().values["cron"]["enabled"] is True
    copy = tmp_path / "mychart"
    shutil.copytree(chart.path, copy)
    (copy / "Chart.yaml").write_text(
        (copy / "Chart.yaml").read_text().replace("version: 0.1.0", "version: 9.9.9")
    )
    assert load_chart(copy).version == "9.9.9"
    assert load_chart(str(copy)).path == copy.resolve()


def test_load_chart_errors_name_the_file(tmp_path):
    with pytest.raises(ChartError, match="Chart.yaml"):
        load_chart(tmp_path)
