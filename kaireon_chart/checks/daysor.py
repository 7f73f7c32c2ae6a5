"""The days a schedule with both day-of-month and day-of-week restricted fires on, in words (robfig/cron
ORs the two fields; the ``days-or`` warning says so). timing.py and time_facts.py use it, so it imports
only describe.py (which imports only cron/)."""

from __future__ import annotations

from typing import Any

from ..describe import contiguous_runs

_WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


def days_or_text(sched: Any) -> str:
    """For the days-or message, time-independent: which days it fires on under robfig's OR
    (``explain`` lists the concrete next dates)."""
    doms = ", ".join(
        str(a) if a == b else f"{a}-{b}" for a, b in contiguous_runs(sorted(sched.days_of_month))
    )
    dows = ", ".join(
        _WEEKDAYS[a] if a == b else f"{_WEEKDAYS[a]}-{_WEEKDAYS[b]}"
        for a, b in contiguous_runs(sorted(sched.days_of_week))
    )
    day_word = "day" if len(sched.days_of_month) == 1 else "days"
    return f"it fires on {day_word} {doms} of the month AND on every {dows}, not only when both match"
