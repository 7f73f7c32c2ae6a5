"""The rules for one resolved job: name, schedule, timeZone, integer fields, concurrencyPolicy, suspend, path."""

from __future__ import annotations

import re
from typing import Any

from .. import cron as cronlib
from ..problems import ERROR, WARNING, Problem
from ..problems import shown as _q
from ..render import SHARDABLE_PATHS, ResolvedJob
from ..tzdb import tz_exists
from .time_facts import warnings as time_warnings
from .timing import _schedule_warnings

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
INT_FIELDS = {  # field -> (minimum, maximum)
    "startingDeadlineSeconds": (0, INT64_MAX),
    "successfulJobsHistoryLimit": (0, INT32_MAX),
    "failedJobsHistoryLimit": (0, INT32_MAX),
    "backoffLimit": (0, INT32_MAX),
    "activeDeadlineSeconds": (1, INT64_MAX),
}
CONCURRENCY = ("Allow", "Forbid", "Replace")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_TZ_SEGMENT = re.compile(r"^[A-Za-z.\-_0-9+]{1,14}$")
_SAFE_PATH = re.compile(r"^/[A-Za-z0-9._~/-]*$")
_TZ_ALLOWED = 'allowed: an IANA time zone name such as "Europe/Berlin" or "UTC", or "" to omit spec.timeZone'


def _job(job: ResolvedJob) -> list[Problem]:
    s, src = job.settings, job.sources
    out: list[Problem] = []
    base = f"cron.schedules.{job.key}"

    # name
    if len(job.name) > 52 or not _DNS1123_SUBDOMAIN.match(job.name):
        out.append(
            Problem(
                base,
                f"renders the CronJob name {_q(job.name)}, which must be a DNS-1123 subdomain of at "
                "most 52 characters; allowed: a shorter key or fullnameOverride",
                ERROR,
                "cronjob-name",
            )
        )

    # schedule
    sched = None
    expr = s.get("schedule")
    if expr is None or expr == "":
        out.append(
            Problem(
                src["schedule"],
                'is required; allowed: a cron expression such as "0 3 * * *" or @daily',
                ERROR,
                "cron-schedule",
            )
        )
    elif not isinstance(expr, str):
        out.append(
            Problem(
                src["schedule"],
                f'{_q(expr)} is not a string; allowed: a quoted cron expression such as "0 3 * * *"',
                ERROR,
                "cron-schedule",
            )
        )
    else:
        try:
            sched = cronlib.parse_schedule(expr)
        except cronlib.CronError as err:
            check = "schedule-tz" if err.tz else "cron-schedule"
            out.append(Problem(src["schedule"], f"{_q(expr)}: {cronlib.friendly(err)}", ERROR, check))
        else:
            if sched.never_fires:
                out.append(
                    Problem(
                        src["schedule"],
                        f"{_q(expr)} never fires (no date matches it); Kubernetes accepts "
                        "it and never runs the job; allowed: a schedule with at least one real date",
                        ERROR,
                        "schedule-never-fires",
                    )
                )
                sched = None

    # timeZone ("" and null omit spec.timeZone in this chart)
    tz = s.get("timeZone")
    tz_ok = True
    if tz not in (None, ""):
        message = _time_zone_error(tz)
        if message:
            tz_ok = False
            out.append(Problem(src["timeZone"], message, ERROR, "time-zone"))

    # integers
    for field, (low, high) in INT_FIELDS.items():
        value = s.get(field)
        if value is None:
            continue
        problem = _int_problem(field, value, low, high, src[field])
        if problem:
            out.append(problem)

    policy = s.get("concurrencyPolicy")
    if policy is not None and policy not in CONCURRENCY:
        out.append(
            Problem(
                src["concurrencyPolicy"],
                f'{_q(policy)} is not supported; allowed: "Allow", "Forbid", "Replace" (case-sensitive)',
                ERROR,
                "concurrency-policy",
            )
        )

    suspend = s.get("suspend")
    if suspend is not None and not isinstance(suspend, bool):
        out.append(
            Problem(
                src["suspend"], f"{_q(suspend)} is not a boolean; allowed: true or false", ERROR, "suspend"
            )
        )
    elif suspend is True:
        out.append(
            Problem(
                src["suspend"],
                "true: the CronJob exists but starts no Jobs; set suspend: false to run it",
                WARNING,
                "job-suspended",
            )
        )

    # path
    path = s.get("path")
    if path is None or path == "":
        out.append(
            Problem(
                src["path"],
                "is required; allowed: the API route, e.g. /api/v1/cron/dsar-purge",
                ERROR,
                "path",
            )
        )
    elif not isinstance(path, str) or not _SAFE_PATH.match(path):
        bad = sorted(set(re.sub(r"[A-Za-z0-9._~/-]", "", path))) if isinstance(path, str) else []
        what = f"contains {' '.join(repr(c) for c in bad)}" if bad else "must start with '/'"
        if not isinstance(path, str):
            what = "is not a string"
        out.append(
            Problem(
                src["path"],
                f"{_q(path)} {what}; allowed: a URL path starting with '/' made of letters, "
                "digits and . _ ~ / - only (nothing a shell could interpret)",
                ERROR,
                "path",
            )
        )

    # shards: an Indexed Job, only for the routes that loop over tenants
    shards = s.get("shards")
    if shards is not None:
        allowed = f"allowed: an integer 1-1000 on one of {', '.join(SHARDABLE_PATHS)}, or no shards (one pod)"
        if isinstance(shards, bool) or not isinstance(shards, int) or not 1 <= shards <= 1000:
            out.append(
                Problem(
                    src["shards"],
                    f"{_q(shards)} is not an integer from 1 to 1000; {allowed}",
                    ERROR,
                    "shards",
                )
            )
        elif path not in SHARDABLE_PATHS:
            out.append(
                Problem(
                    src["shards"],
                    f"is not valid for the route {_q(path)} (it does not loop over tenants); {allowed}",
                    ERROR,
                    "shards",
                )
            )

    # warnings
    if sched is not None:
        out.extend(_schedule_warnings(job, sched, tz if tz_ok else None))
        out.extend(time_warnings(job, sched, tz if tz_ok else None))
    return out


def _time_zone_error(tz: Any) -> str | None:
    if not isinstance(tz, str):
        return f"{_q(tz)} is not a string; {_TZ_ALLOWED}"
    for part in tz.split("/"):
        if part in (".", "..") or part.startswith("-") or not _TZ_SEGMENT.match(part):
            return f"{_q(tz)}: unknown time zone {tz}; {_TZ_ALLOWED}"
    if tz.lower() == "local":
        return (
            f"{_q(tz)}: timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones; "
            f"{_TZ_ALLOWED}"
        )
    if not tz_exists(tz):
        return f"{_q(tz)}: unknown time zone {tz}; {_TZ_ALLOWED}"
    return None


def _int_problem(field: str, value: Any, low: int, high: int, path: str) -> Problem | None:
    kind = "int32" if high == INT32_MAX else "int64"
    allowed = f"allowed: an integer from {low} to {high} ({kind})"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return Problem(path, f"{_q(value)} is not an integer; {allowed}", ERROR, "int-field")
    if isinstance(value, float) and not value.is_integer():
        return Problem(path, f"{value!r} is not a whole number; {allowed}", ERROR, "int-field")
    number = int(value)
    if field == "activeDeadlineSeconds" and number == 0:
        return Problem(
            path,
            f"0 fails every run at once (Kubernetes accepts it, the Job is killed on start); {allowed}",
            ERROR,
            "active-deadline",
        )
    if number < low:
        what = "is negative" if number < 0 else f"is below {low}"
        check = "active-deadline" if field == "activeDeadlineSeconds" else "int-field"
        return Problem(path, f"{number} {what}; {allowed}", ERROR, check)
    if number > high:
        return Problem(path, f"{number} does not fit {kind}; {allowed}", ERROR, "int-field")
    return None
