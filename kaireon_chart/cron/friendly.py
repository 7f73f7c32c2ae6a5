"""friendly(err): a CronError in plain words ("day-of-week 7 is above the maximum 6 (use 0 or SUN)")."""

from __future__ import annotations

import re

from .errors import CronError
from .parser import _DESCRIPTORS, _DOWS, _MONTHS

_DOW_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_ALLOWED = {
    "minute": "0-59",
    "hour": "0-23",
    "day-of-month": "1-31",
    "month": "1-12 or JAN-DEC",
    "day-of-week": "0-6 or SUN-SAT",
}
_DESCRIPTOR_LIST = "@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, @every <duration>"
_FULL_NAMES = {
    **{
        n.lower(): i
        for i, n in enumerate(
            [
                "january",
                "february",
                "march",
                "april",
                "may",
                "june",
                "july",
                "august",
                "september",
                "october",
                "november",
                "december",
            ],
            1,
        )
    },
}
_FULL_DAYS = {
    n: i for i, n in enumerate(["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"])
}


def _friendly_robfig(e: CronError) -> str:
    f, k, tok = e.field, e.kind, e.token
    allowed = _ALLOWED.get(f or "", "")
    if k == "empty":
        return "the schedule is empty; use 5 fields (minute hour day-of-month month day-of-week) or a descriptor like @daily"
    if k == "field-count":
        hint = ""
        if e.value in (6, 7):
            hint = " (Kubernetes has no seconds or year field)"
        return f"expected 5 fields (minute hour day-of-month month day-of-week), found {e.value}{hint}"
    if k == "descriptor":
        low = (tok or "").lower()
        hint = f" (descriptors are case-sensitive: use {low})" if low in _DESCRIPTORS and low != tok else ""
        return f"unknown descriptor '{tok}'{hint}; allowed: {_DESCRIPTOR_LIST}"
    if k == "duration":
        msg = str(e).split(": ", 1)[-1]
        return f"bad @every duration ({msg}); use a Go duration such as 90s, 15m or 1h30m (units ns, us, ms, s, m, h; no d)"
    if k in ("panic", "location"):
        return "a TZ= or CRON_TZ= prefix is not allowed in the schedule; set the timeZone field instead"
    if k == "above-max":
        is_range = tok is not None and "-" in tok.split("/")[0]
        sunday = f == "day-of-week" and e.value == 7
        if is_range:
            what = f"{f} range '{tok}' ends at {e.value}, which is above the maximum {e.bound}"
            return what + (" (use 0 or SUN for Sunday)" if sunday else f"; allowed: {allowed}")
        if sunday:
            return "day-of-week 7 is above the maximum 6 (use 0 or SUN)"
        return f"{f} {e.value} is above the maximum {e.bound}; allowed: {allowed}"
    if k == "below-min":
        return f"{f} {e.value} is below the minimum {e.bound}; allowed: {allowed}"
    if k == "reversed":
        return f"{f} range '{tok}' runs backwards ({e.value} > {e.bound}); ranges do not wrap around, write it as two ranges in a list"
    if k == "zero-step":
        return f"{f} step in '{tok}' must be a positive number"
    if k == "negative":
        return f"{f} step in '{tok}' must be a positive number, not {e.value}"
    if k in ("hyphens", "slashes"):
        what = "hyphen" if k == "hyphens" else "slash"
        return f"{f} item '{tok}' has more than one {what}; use N, N-M, N/step or N-M/step"
    if k == "not-int":
        t = tok or ""
        low = t.lower()
        hint = ""
        if re.fullmatch(r"(?i)\d*L\d*|\d*W|LW|\w*#\d*", t):
            hint = " (L, W and # are not supported by Kubernetes)"
        if t.upper() in ("H", "R") or t.upper().startswith("H("):
            hint = " (H and R hash/random values are not supported by Kubernetes)"
        if f == "month" and low in _FULL_NAMES:
            hint = f" (use the 3-letter name {_MONTH_NAMES[_FULL_NAMES[low] - 1]})"
        if f == "day-of-week" and low in _FULL_DAYS:
            hint = f" (use the 3-letter name {_DOW_NAMES[_FULL_DAYS[low]]})"
        if f not in ("month", "day-of-week") and low in {**(_MONTHS.names or {}), **(_DOWS.names or {})}:
            hint = " (names are only allowed in the month and day-of-week fields)"
        if t == "":
            hint = " (a negative number or a missing number around '-' or '/')"
        return f"{f} value '{t}' is not a number{hint}; allowed: {allowed}"
    return str(e)


def friendly(err: CronError) -> str:
    """A human message for a rejected schedule: what is wrong and what is allowed."""
    parts = []
    if err.kinds[0] != "tz":
        parts.append(_friendly_robfig(err))
    if err.tz and err.kinds[0] not in ("panic", "location"):
        parts.append("TZ/CRON_TZ cannot be used in the schedule; set the timeZone field instead")
    return "; ".join(parts)
