"""Every fire time of a schedule in a window, from the Kubernetes parser (kaireon_chart.cron), fast.

Each fire time is the parser's ``next_unix`` answer; the calls are only started closer to the answer:

* after a fire (second 0 of a wall minute), the next call starts one second before the next minute of
  the schedule in the same wall hour, or else before its first minute in the next wall hour, when no
  UTC-offset change lies in between: no fire time can lie before that (the minutes in between do not
  match), and the parser then finds the answer without walking minute by minute. Across an offset
  change the call starts 59 s after the fire (5-field schedules fire on second 0 only);
* the same (schedule, zone, window) is computed once per process (fleets repeat ``*/5 * * * *``).

tests/schedule compares the result with plain successive ``next_unix`` calls across DST changes and
odd offsets. :func:`transitions` (the zone's offset changes) is shared with checks/time_facts.py.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..cron import Schedule

_DAY = 86400
_MEMO: dict[tuple[str, str | None, int, int], tuple[int, ...]] = {}
_MEMO_MAX = 256  # (schedule, zone, window) entries; a year of every-minute fires is ~4 MB


def _offset(zone: object, t: int) -> int:
    o = datetime.fromtimestamp(t, zone).utcoffset()  # type: ignore[arg-type]
    return int(o.total_seconds()) if o else 0


@lru_cache(maxsize=256)
def transitions(tz: str, start: int, days: int = 366) -> tuple[tuple[int, int], ...]:
    """(Unix second of the change, offset change in seconds) of ``tz`` in ``days`` days from ``start``
    (a daily scan, then a bisection to the second: zones change their offset at most once a day)."""
    from zoneinfo import ZoneInfo  # lazy: zoneinfo ~2 ms (bench 8), only for a time zone

    zone = ZoneInfo(tz)
    out = []
    previous = _offset(zone, start)
    for t in range(start + _DAY, start + (days + 1) * _DAY, _DAY):
        current = _offset(zone, t)
        if current != previous:
            lo, hi = t - _DAY, t
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if _offset(zone, mid) == previous else (lo, mid)
            out.append((hi, current - previous))
            previous = current
    return tuple(out)


def fire_times(sched: Schedule, tz: str | None, start: int, end: int) -> tuple[int, ...]:
    """Unix seconds of every fire time in [start, end)."""
    if sched.is_every:
        return ()  # @every counts from the controller's start: no fixed fire times
    key = (sched.expr, tz, start, end)
    hit = _MEMO.get(key)
    if hit is None:
        hit = _compute(sched, tz, start, end)
        if len(_MEMO) >= _MEMO_MAX:
            _MEMO.clear()
        _MEMO[key] = hit
    return hit


def _compute(sched: Schedule, tz: str | None, start: int, end: int) -> tuple[int, ...]:
    minutes = sorted(sched.minutes)
    later = [next((m for m in minutes if m > minute), None) for minute in range(60)]  # same-hour successor
    if tz and tz != "UTC":
        from zoneinfo import ZoneInfo  # lazy: zoneinfo ~2 ms (bench 8), only for a time zone

        base = _offset(ZoneInfo(tz), start)
        days = (end - start) // _DAY + 2
        changes = [at for at, _delta in transitions(tz, start, days)]
        offsets = [base]
        for _at, delta in transitions(tz, start, days):
            offsets.append(offsets[-1] + delta)
    else:
        changes, offsets = [], [0]
    out: list[int] = []
    nxt = sched.next_unix(start - 1, tz)
    while nxt is not None and nxt < end:
        out.append(nxt)
        segment = bisect_right(changes, nxt)
        wall_minute = (nxt + offsets[segment]) // 60 % 60
        successor = later[wall_minute]
        step = successor - wall_minute if successor is not None else 60 - wall_minute + minutes[0]
        target = nxt + step * 60
        if segment == len(changes) or changes[segment] > target:  # no offset change up to target
            nxt = sched.next_unix(target - 1, tz)
        else:
            nxt = sched.next_unix(nxt + 59, tz)
    return tuple(out)
