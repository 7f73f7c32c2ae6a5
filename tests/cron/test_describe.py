"""describe(): plain-English schedules with robfig's semantics (dom/dow OR, @every, never)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from kaireon_chart.cron import CronError, parse_schedule
from kaireon_chart.describe import describe, format_duration

from . import strategies as S


@pytest.mark.parametrize(
    ("expr", "tz", "text"),
    [
        ("30 4 * * *", None, "At 04:30 every day (UTC)"),
        ("30 4 * * *", "Europe/Berlin", "At 04:30 every day (Europe/Berlin)"),
        ("*/15 * * * *", None, "Every 15 minutes"),
        ("0,30 * * * *", None, "Every 30 minutes"),
        ("* * * * *", None, "Every minute"),
        ("? ? ? ? ?", None, "Every minute"),
        ("0 */2 * * *", None, "At minute 0 past every 2nd hour"),
        ("0 * * * *", None, "At minute 0 past every hour"),
        ("@hourly", None, "At minute 0 past every hour"),
        ("0 0 1 * 1", None, "At 00:00 on day 1 of the month OR on Monday (UTC)"),
        # */2 clears the star bit: robfig ORs it with the weekday (Vixie cron would AND)
        ("0 0 */2 * 1", None, "At 00:00 on every 2nd day of the month OR on Monday (UTC)"),
        # */1 keeps the star bit: AND, i.e. Mondays only
        ("0 0 */1 * 1", None, "At 00:00 on Monday (UTC)"),
        # 1-31 is "restricted": OR with Monday selects every day
        ("0 0 1-31 * 1", None, "At 00:00 every day (UTC)"),
        ("@daily", None, "At 00:00 every day (UTC)"),
        ("@weekly", None, "At 00:00 on Sunday (UTC)"),
        ("@monthly", None, "At 00:00 on day 1 of the month (UTC)"),
        ("@yearly", None, "At 00:00 on January 1 (UTC)"),
        ("0 12 25 DEC *", None, "At 12:00 on December 25 (UTC)"),
        ("0 9-17 * * MON-FRI", None, "At minute 0 past hours 09 through 17 on Monday through Friday (UTC)"),
        ("*/5 9-17 * * 1-5", None, "Every 5 minutes from 09:00 through 17:59 on Monday through Friday (UTC)"),
        ("0 9,12,15 * * *", None, "At 09:00, 12:00 and 15:00 every day (UTC)"),
        ("15 4 1,15 * *", None, "At 04:15 on days 1 and 15 of the month (UTC)"),
        ("0 0 * JAN,JUL *", None, "At 00:00 every day in January and July (UTC)"),
        ("0 0 1 */3 *", None, "At 00:00 on day 1 of the month, every 3rd month (UTC)"),
        ("0 0 * * 0,6", None, "At 00:00 on Sunday and Saturday (UTC)"),
        (
            "0 0 30 2 *",
            None,
            "Never: no date matches this schedule (Kubernetes accepts it but never runs it)",
        ),
        (
            "@every 1h30m",
            None,
            "Every 1 hour 30 minutes (@every: a constant interval counted from the last scheduled time, "
            "not aligned to clock times)",
        ),
    ],
)
def test_describe(expr, tz, text):
    assert describe(expr, tz) == text


def test_describe_rejects_what_kubernetes_rejects():
    for bad in ("0 0 * * 7", "TZ=UTC 0 0 * * *", "@Daily", "0 0 L * *"):
        with pytest.raises(CronError):
            describe(bad)


def test_format_duration():
    assert format_duration(1) == "1 second"
    assert format_duration(90061) == "1 day 1 hour 1 minute 1 second"
    assert format_duration(7200) == "2 hours"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(S.schedules())
def test_describe_every_accepted_schedule(expr):
    try:
        s = parse_schedule(expr)
    except CronError:
        return
    text = describe(expr)
    assert text and text[0].isupper()
    if s.never_fires:
        assert text.startswith("Never")
    elif s.is_every:
        assert text.startswith("Every") and "@every" in text
    else:
        # an OR is claimed exactly when robfig ORs two day fields that each restrict something
        really_or = s.days_or and len(s.days_of_month) < 31 and len(s.days_of_week) < 7
        assert (" OR " in text) == really_or
