"""Every fire time of a schedule in a window, from the Kubernetes parser (kaireon_chart.cron).

Successive calls start 59 s after the previous fire: 5-field schedules fire on second 0 only, so
nothing is skipped and the parser does not walk the 59 seconds one by one (tests/schedule compares this
with plain successive calls across DST changes). No imports of its own: the checks use it too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..cron import Schedule


def fire_times(sched: Schedule, tz: str | None, start: int, end: int) -> list[int]:
    """Unix seconds of every fire time in [start, end)."""
    out: list[int] = []
    if sched.is_every:
        return out  # @every counts from the controller's start: no fixed fire times
    nxt = sched.next_unix(start - 1, tz)
    while nxt is not None and nxt < end:
        out.append(nxt)
        nxt = sched.next_unix(nxt + 59, tz)
    return out
