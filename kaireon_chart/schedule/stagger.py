"""Stagger suggestions: Jenkins' ``H``, for Kubernetes (which has no jitter field).

The minute of a job (and its hour, for a daily job when a window is given) is derived from a hash of
the job key, so the same key always gets the same suggestion, in every environment and run, and
different keys spread over the hour. The result is a plain cron string:

* a fixed minute (``0 * * * *``, ``30 4 * * *``, ``@daily``) -> ``H`` (``37 * * * *``);
* a minute step from 0 (``*/15``, ``0/15``, ``0-59/15``, with a step dividing 60) -> ``H%step-59/step``
  (``7-59/15``: still every 15 minutes);
* the hour of a daily job (one hour value) with ``--window 1-5`` -> an hour in 1..5 from the hash;
* anything else (every minute, lists, ``@every``) is left as it is.

:func:`apply` writes the suggestions into a values file through the add-route editor (ruamel.yaml
round trip: comments, order and layout survive).
"""

from __future__ import annotations

import hashlib
import re
from typing import NamedTuple

from .timeline import Job

DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_STEP_FROM_ZERO = re.compile(r"^(?:\*|0|0-59)/(\d+)$")


class Suggestion(NamedTuple):
    key: str
    current: str
    suggested: str
    source: str  # dotted values path of the schedule
    why: str


def hash_of(key: str, salt: str = "") -> int:
    """A stable non-negative integer from the job key (not Python's per-process ``hash``)."""
    return int.from_bytes(hashlib.sha256(f"{salt}{key}".encode()).digest()[:8], "big")


def parse_window(text: str) -> tuple[int, int]:
    """``"H-H"`` (hours, inclusive, may wrap midnight: ``22-4``) -> (first, last). ValueError if bad."""
    m = re.fullmatch(r"\s*(\d{1,2})\s*-\s*(\d{1,2})\s*", text)
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 23:
        raise ValueError(f"--window {text!r}: expected two hours 0-23 as H-H, e.g. 1-5 or 22-4")
    return int(m.group(1)), int(m.group(2))


def _window_hours(window: tuple[int, int]) -> list[int]:
    first, last = window
    span = (last - first) % 24 + 1
    return [(first + i) % 24 for i in range(span)]


def suggest(job: Job, window: tuple[int, int] | None = None) -> Suggestion | None:
    """The staggered schedule for ``job``, or None when there is nothing to stagger (or no change)."""
    expr = job.expr.strip()
    fields = DESCRIPTORS.get(expr.lower(), expr).split()
    if len(fields) != 5 or expr.startswith("@every"):
        return None
    minute, hour = fields[0], fields[1]
    h = hash_of(job.key)
    why = []
    if minute.isdigit():
        fields[0] = str(h % 60)
        why.append("minute from the key's hash")
    else:
        step = _STEP_FROM_ZERO.match(minute)
        if step and 1 < int(step.group(1)) < 60 and 60 % int(step.group(1)) == 0:
            n = int(step.group(1))
            fields[0] = f"{h % n}-59/{n}" if h % n else f"*/{n}"
            why.append(f"every {n} minutes, offset from the key's hash")
    if window is not None and hour.isdigit() and minute.isdigit():
        hours = _window_hours(window)
        fields[1] = str(hours[hash_of(job.key, "hour:") % len(hours)])
        why.append(f"hour in the window {window[0]}-{window[1]}")
    suggested = " ".join(fields)
    if not why or suggested == " ".join(DESCRIPTORS.get(expr.lower(), expr).split()):
        return None
    return Suggestion(job.key, job.expr, suggested, job.source, "; ".join(why))


def suggestions(jobs: list[Job], window: tuple[int, int] | None = None) -> list[Suggestion]:
    out = [suggest(job, window) for job in jobs]
    return [s for s in out if s is not None]


def staggered(jobs: list[Job], found: list[Suggestion]) -> list[Job]:
    """The jobs with the suggested schedules (to analyse the result)."""
    new = {s.key: s.suggested for s in found}
    return [Job(j.key, j.name, new.get(j.key, j.expr), j.tz, j.deadline, j.policy, j.source) for j in jobs]


def apply(text: str, found: list[Suggestion]) -> str:
    """``text`` (a values file) with ``cron.schedules.<key>.schedule`` set to each suggestion, comments
    kept. A suggestion whose schedule came from elsewhere (a tier default) is written as the job's own."""
    from ..routes import set_schedules  # lazy: routes ~10 ms (bench 8), add-route and --apply only

    return set_schedules(text, {s.key: s.suggested for s in found})
