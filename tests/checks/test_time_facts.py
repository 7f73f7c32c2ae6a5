"""Time-aware checks and facts (kaireon_chart/checks/time_facts.py), with a fixed "now"; each claim is
also checked against the Kubernetes parser's own fire times."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from kaireon_chart import load_chart
from kaireon_chart.checks import time_facts as timing
from kaireon_chart.cron import parse_schedule
from kaireon_chart.explain import explain, format_text
from kaireon_chart.render import resolve_jobs
from kaireon_chart.values import coalesce
from kaireon_chart.valuesfile import parse_yaml

CHART = load_chart()
NOW = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)


def _job(schedule: str, tz: str | None = "Europe/Berlin", **extra: object):
    fields = "".join(f"      {k}: {v}\n" for k, v in extra.items())
    text = f'cron:\n  schedules:\n    cleanup:\n      schedule: "{schedule}"\n      timeZone: "{tz or ""}"\n{fields}'
    values = coalesce(parse_yaml(text), CHART.values)
    [job] = [j for j in resolve_jobs(values, chart=CHART) if j.key == "cleanup"]
    return job, values


def _warnings(schedule: str, tz: str | None = "Europe/Berlin", **extra: object):
    job, _ = _job(schedule, tz, **extra)
    return timing.warnings(job, parse_schedule(schedule), tz, NOW)


def _local_fires(expr: str, tz: str, day: str) -> list[str]:
    zone = ZoneInfo(tz)
    start = datetime.fromisoformat(day).replace(tzinfo=zone)
    return [
        t.astimezone(zone).strftime("%H:%M %Z")
        for t in parse_schedule(expr).next_times(start, 3, tz)
        if t.astimezone(zone).date().isoformat() == day
    ]


def test_dst_gap_names_the_date_and_the_parser_skips_it():
    [gap] = [p for p in _warnings("30 2 * * *") if p.check == "dst-gap"]
    assert gap.path == "cron.schedules.cleanup.schedule" and gap.severity == "warning"
    assert "on 2027-03-28 the clocks skip 02:00-03:00, so the run at 02:30 is skipped that day" in gap.message
    assert _local_fires("30 2 * * *", "Europe/Berlin", "2027-03-28") == []


def test_dst_repeat_names_the_date_and_the_parser_runs_twice():
    [rep] = [p for p in _warnings("30 1 * * *", "America/New_York") if p.check == "dst-repeat"]
    assert (
        "on 2026-11-01 the clocks repeat 01:00-02:00, so the run at 01:30 runs twice that day" in rep.message
    )
    assert _local_fires("30 1 * * *", "America/New_York", "2026-11-01") == ["01:30 EDT", "01:30 EST"]


@pytest.mark.parametrize(
    ("expr", "tz"),
    [
        ("15 * * * *", "Europe/Berlin"),
        ("30 2 * * *", "UTC"),
        ("30 2 * * *", None),
        ("0 5 * * *", "Europe/Berlin"),
    ],
)
def test_no_dst_warning_for_hourly_jobs_utc_or_times_outside_the_change(expr, tz):
    assert not [p for p in _warnings(expr, tz) if p.check.startswith("dst-")]


@pytest.mark.parametrize(
    ("expr", "field", "unit"),
    [
        ("*/60 3 * * *", "minute", "hour"),
        ("0 */24 * * *", "hour", "day"),
        ("0 0 * */12 *", "month", "year"),
        ("0 0 * * */7", "day-of-week", "week"),
        ("10-20/15 3 * * *", "minute", "hour"),
    ],
)
def test_step_range(expr, field, unit):
    [p] = [p for p in _warnings(expr, None) if p.check == "step-range"]
    assert f"the {field} step" in p.message and f"once per {unit}" in p.message


@pytest.mark.parametrize("expr", ["*/30 * * * *", "0 */12 * * *", "5-55/10 * * * *", "0 0 1 */3 *"])
def test_no_step_range_warning_for_real_steps(expr):
    assert not [p for p in _warnings(expr, None) if p.check == "step-range"]


def test_starting_deadline_longer_than_the_interval():
    [p] = [
        p
        for p in _warnings("*/5 * * * *", None, startingDeadlineSeconds=600)
        if p.check == "starting-deadline-long"
    ]
    assert p.path == "cron.schedules.cleanup.startingDeadlineSeconds"
    assert p.message.startswith('600 s is longer than the 300 s between runs of "*/5 * * * *"')
    assert not [
        p
        for p in _warnings("*/5 * * * *", None, startingDeadlineSeconds=200)
        if p.check == "starting-deadline-long"
    ]


def test_days_or_dates_in_explain_text_and_json():
    _job_, values = _job("0 0 13 * FRI", None)
    rows = explain(values, chart=CHART, now=NOW)
    [row] = [r for r in rows if r["key"] == "cleanup"]
    days = row["timeFacts"]["daysOr"]
    assert days["firesOn"][:4] == ["2026-11-06", "2026-11-13", "2026-11-20", "2026-11-27"]
    assert "2026-12-13" in days["firesOn"]  # a Sunday: the 13th alone is enough
    assert days["andWouldBe"] == ["2026-11-13"]  # the one Friday the 13th in the two months
    assert "cleanup: shortest interval 1 d; day-of-month OR day-of-week: fires on 2026-11-06" in format_text(
        rows
    )


def test_explain_facts_for_forbid_and_dst():
    _job_, values = _job("30 2 * * *", "Europe/Berlin", activeDeadlineSeconds=90000)
    [row] = [r for r in explain(values, chart=CHART, now=NOW) if r["key"] == "cleanup"]
    facts = row["timeFacts"]
    assert facts["shortestIntervalSeconds"] == 86400 and facts["forbidDeadlineLongerThanInterval"] is True
    assert facts["dst"]["gaps"] == [{"date": "2027-03-28", "times": "02:30", "gap": "02:00-03:00"}]
    assert facts["dst"]["repeats"] == [{"date": "2027-10-31", "times": "02:30", "repeat": "02:00-03:00"}]
