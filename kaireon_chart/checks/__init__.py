"""Kubernetes API-server rules and behaviour warnings, applied to each resolved cron job.

``CHECKS`` maps every stable check id to its severity and a one-line rule (``render-values
--list-checks`` prints it). Paths point where the value was set (``job.sources``: the entry's own
field or the ``cron.<field>`` tier default) or, for warnings, where the fix goes.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from functools import lru_cache

from .. import kuberules
from ..validate import ERROR, WARNING, Problem
from . import secrets

CHECKS: dict[str, tuple[str, str]] = {
    # id: (severity, rule)
    "schema-*": (ERROR, "values.schema.json (types, enums, patterns, bounds, unknown keys, required keys)"),
    "cron-schedule": (ERROR, "schedule must parse as Kubernetes parses it (robfig/cron v3.0.1 ParseStandard)"),
    "schedule-tz": (ERROR, "no TZ= or CRON_TZ= in the schedule; set timeZone instead"),
    "schedule-never-fires": (ERROR, "the schedule must have a fire time (Kubernetes accepts e.g. 30 Feb and never runs it)"),
    "time-zone": (ERROR, "timeZone as the API server checks it: IANA name in the tz database, not Local"),
    "cronjob-name": (ERROR, "rendered CronJob name: DNS-1123 subdomain, at most 52 characters"),
    "cronjob-name-unique": (ERROR, "rendered CronJob names are unique across enabled jobs"),
    "release-name": (ERROR, "the release name is one helm accepts"),
    "int-field": (ERROR, "history limits, deadlines, backoffLimit: integers >= 0 within int32/int64"),
    "active-deadline": (ERROR, "activeDeadlineSeconds >= 1 (0 fails every run at once)"),
    "concurrency-policy": (ERROR, "concurrencyPolicy is Allow, Forbid or Replace"),
    "suspend": (ERROR, "suspend is true or false"),
    "secret-name": (ERROR, "cron.secret.name is a DNS-1123 subdomain (a Secret name)"),
    "secret-key": (ERROR, "cron.secret.key matches [-._a-zA-Z0-9]+, at most 253, not . or .. or ..-prefixed"),
    secrets.ID: (ERROR, "no plaintext secret in cron values or api.env"),
    "path": (ERROR, "path is required and has nothing a shell could interpret"),
    "render": (ERROR, "the values render (helm would fail the same way)"),
    "values-file": (ERROR, "check: the values file is readable, valid YAML and a map (exit 2 otherwise)"),
    "kube-schema": (ERROR, "the rendered CronJob is valid against the Kubernetes OpenAPI schema (strict)"),
    "starting-deadline-short": (WARNING, "startingDeadlineSeconds under 10 may skip runs (the controller checks every 10 s)"),
    "forbid-skips-runs": (WARNING, "under Forbid, activeDeadlineSeconds longer than the schedule's period skips runs"),
    "every-minute-allow": (WARNING, "an every-minute schedule with concurrencyPolicy Allow can pile up runs"),
    "every-descriptor": (WARNING, "@every is accepted by Kubernetes but undocumented"),
    "days-or": (WARNING, "day-of-month and day-of-week both restricted: robfig fires on either (OR)"),
    "job-suspended": (WARNING, "the job is suspended: the CronJob exists but starts no Jobs"),
    "job-disabled": (WARNING, "the entry is disabled: no CronJob is rendered for it"),
    "cron-disabled": (WARNING, "cron.enabled is false: no CronJob is rendered at all"),
}

CHECKS.update({check: (ERROR, rule) for check, rule in kuberules.CHECKS.items()})

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


def _q(value) -> str:
    """A value as it reads in YAML: "text" quoted, true/false/null, numbers as is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (str, int, float)):
        return json.dumps(value)
    return "a map" if isinstance(value, dict) else "a list" if isinstance(value, list) else repr(value)


def run(values: dict, *, release_name: str = "kaireon", chart=None) -> list[Problem]:
    """Layer 2: API-server rules and warnings for every cron job of ``values``."""
    from .. import names
    from ..render import resolve_jobs

    out: list[Problem] = []
    try:
        names.validate_release_name(release_name)
    except ValueError as exc:
        out.append(Problem("--release-name", str(exc).replace("release name ", "", 1), ERROR, "release-name"))
        return out
    cron = values.get("cron")
    for path, message in secrets.scan(values):
        out.append(Problem(path, message, ERROR, secrets.ID))
    for path, message, check in kuberules.scan(values):
        out.append(Problem(path, message, ERROR, check))
    if not isinstance(cron, dict):
        return out
    if cron.get("enabled") is False:
        out.append(Problem("cron.enabled", "false: the cron tier renders no CronJob at all; "
                           "set cron.enabled: true to run the jobs", WARNING, "cron-disabled"))
    out.extend(_secret_ref(cron.get("secret")))
    try:
        jobs = resolve_jobs(values, release_name, chart)
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        # only values the schema already rejects get here (e.g. a list as nameOverride)
        out.append(Problem("cron", f"the jobs cannot be resolved ({exc}); fix the values reported above",
                           ERROR, "render"))
        return out
    seen_names: dict[str, str] = {}
    for job in jobs:
        if not job.enabled:
            out.append(Problem(f"cron.schedules.{job.key}.enabled", "false: no CronJob is rendered for this entry; "
                               "remove the entry or set enabled: true", WARNING, "job-disabled"))
            continue
        if cron.get("enabled") is False:
            # nothing renders: keep the errors (helm validates the values anyway), drop run-time warnings
            out.extend(p for p in _job(job) if p.severity == ERROR)
            continue
        out.extend(_job(job))
        other = seen_names.get(job.name)
        if other is not None:
            # the chart's own `fail` says the same (chart/templates/cronjobs.yaml)
            out.append(Problem(f"cron.schedules.{job.key}", f"CronJob name {_q(job.name)} is already used by "
                               f"cron.schedules.{other}; rename one of the keys", ERROR, "cronjob-name-unique"))
        seen_names.setdefault(job.name, job.key)
    return out


def _secret_ref(secret) -> list[Problem]:
    if not isinstance(secret, dict):
        return []
    out = []
    name, key = secret.get("name"), secret.get("key")
    if not isinstance(name, str) or not name or len(name) > 253 or not _DNS1123_SUBDOMAIN.match(name):
        out.append(Problem("cron.secret.name", f"{_q(name)} is not a valid Secret name; allowed: a DNS-1123 subdomain "
                           "(lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, "
                           "at most 253 characters)", ERROR, "secret-name"))
    if not isinstance(key, str) or not key:
        out.append(Problem("cron.secret.key", f"{_q(key)} is not a valid Secret key; allowed: letters, digits, "
                           "'-', '_' and '.', at most 253 characters", ERROR, "secret-key"))
    elif len(key) > 253 or not _SECRET_KEY.match(key) or key in (".", "..") or key.startswith(".."):
        why = ("must not be '.' or '..' or start with '..'" if _SECRET_KEY.match(key) and len(key) <= 253
               else "must consist of letters, digits, '-', '_' or '.' (at most 253 characters)")
        out.append(Problem("cron.secret.key", f"{_q(key)} is not a valid Secret key: {why}; allowed: e.g. CRON_SECRET",
                           ERROR, "secret-key"))
    return out


def _job(job) -> list[Problem]:
    from .. import cron as cronlib

    s, src = job.settings, job.sources
    out: list[Problem] = []
    base = f"cron.schedules.{job.key}"

    # name
    if len(job.name) > 52 or not _DNS1123_SUBDOMAIN.match(job.name):
        out.append(Problem(base, f"renders the CronJob name {_q(job.name)}, which must be a DNS-1123 subdomain of at "
                           "most 52 characters; allowed: a shorter key or fullnameOverride", ERROR, "cronjob-name"))

    # schedule
    sched = None
    expr = s.get("schedule")
    if expr is None or expr == "":
        out.append(Problem(src["schedule"], "is required; allowed: a cron expression such as \"0 3 * * *\" or @daily",
                           ERROR, "cron-schedule"))
    elif not isinstance(expr, str):
        out.append(Problem(src["schedule"], f"{_q(expr)} is not a string; allowed: a quoted cron expression such as "
                           "\"0 3 * * *\"", ERROR, "cron-schedule"))
    else:
        try:
            sched = cronlib.parse_schedule(expr)
        except cronlib.CronError as err:
            check = "schedule-tz" if err.tz else "cron-schedule"
            out.append(Problem(src["schedule"], f"{_q(expr)}: {cronlib.friendly(err)}", ERROR, check))
        else:
            if sched.never_fires:
                out.append(Problem(src["schedule"], f"{_q(expr)} never fires (no date matches it); Kubernetes accepts "
                                   "it and never runs the job; allowed: a schedule with at least one real date",
                                   ERROR, "schedule-never-fires"))
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
        out.append(Problem(src["concurrencyPolicy"], f"{_q(policy)} is not supported; allowed: \"Allow\", \"Forbid\", "
                           "\"Replace\" (case-sensitive)", ERROR, "concurrency-policy"))

    suspend = s.get("suspend")
    if suspend is not None and not isinstance(suspend, bool):
        out.append(Problem(src["suspend"], f"{_q(suspend)} is not a boolean; allowed: true or false", ERROR, "suspend"))
    elif suspend is True:
        out.append(Problem(src["suspend"], "true: the CronJob exists but starts no Jobs; set suspend: false to run it",
                           WARNING, "job-suspended"))

    # path
    path = s.get("path")
    if path is None or path == "":
        out.append(Problem(src["path"], "is required; allowed: the API route, e.g. /api/v1/cron/dsar-purge", ERROR, "path"))
    elif not isinstance(path, str) or not _SAFE_PATH.match(path):
        bad = sorted(set(re.sub(r"[A-Za-z0-9._~/-]", "", path))) if isinstance(path, str) else []
        what = f"contains {' '.join(repr(c) for c in bad)}" if bad else "must start with '/'"
        if not isinstance(path, str):
            what = "is not a string"
        out.append(Problem(src["path"], f"{_q(path)} {what}; allowed: a URL path starting with '/' made of letters, "
                           "digits and . _ ~ / - only (nothing a shell could interpret)", ERROR, "path"))

    # warnings
    if sched is not None:
        out.extend(_schedule_warnings(job, sched, tz if tz_ok else None))
    return out


def _time_zone_error(tz) -> str | None:
    if not isinstance(tz, str):
        return f"{_q(tz)} is not a string; {_TZ_ALLOWED}"
    for part in tz.split("/"):
        if part in (".", "..") or part.startswith("-") or not _TZ_SEGMENT.match(part):
            return f"{_q(tz)}: unknown time zone {tz}; {_TZ_ALLOWED}"
    if tz.lower() == "local":
        return (f"{_q(tz)}: timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones; "
                f"{_TZ_ALLOWED}")
    if not tz_exists(tz):
        return f"{_q(tz)}: unknown time zone {tz}; {_TZ_ALLOWED}"
    return None


def tz_exists(name: str) -> bool:
    """The zone loads from the bundled tz database (the tzdata package), as time.LoadLocation would."""
    if name == "UTC":
        return True
    from importlib import resources

    try:
        node = resources.files("tzdata").joinpath("zoneinfo", *name.split("/"))
        return node.is_file()
    except (ModuleNotFoundError, OSError, ValueError):  # pragma: no cover - tzdata is a dependency
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(name)
            return True
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            return False


def _int_problem(field, value, low, high, path) -> Problem | None:
    kind = "int32" if high == INT32_MAX else "int64"
    allowed = f"allowed: an integer from {low} to {high} ({kind})"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return Problem(path, f"{_q(value)} is not an integer; {allowed}", ERROR, "int-field")
    if isinstance(value, float) and not value.is_integer():
        return Problem(path, f"{value!r} is not a whole number; {allowed}", ERROR, "int-field")
    number = int(value)
    if field == "activeDeadlineSeconds" and number == 0:
        return Problem(path, f"0 fails every run at once (Kubernetes accepts it, the Job is killed on start); {allowed}",
                       ERROR, "active-deadline")
    if number < low:
        what = "is negative" if number < 0 else f"is below {low}"
        check = "active-deadline" if field == "activeDeadlineSeconds" else "int-field"
        return Problem(path, f"{number} {what}; {allowed}", ERROR, check)
    if number > high:
        return Problem(path, f"{number} does not fit {kind}; {allowed}", ERROR, "int-field")
    return None


# --------------------------------------------------------------------------------------------------
# Schedule timing
# --------------------------------------------------------------------------------------------------

def min_period_seconds(sched) -> int | None:
    """Shortest time between two successive runs (wall clock, DST ignored); None if it cannot be told."""
    return _min_period(sched.expr) if isinstance(getattr(sched, "expr", None), str) else _min_period_of(sched)


@lru_cache(maxsize=1024)
def _min_period(expr: str) -> int | None:
    from ..cron import parse_schedule

    return _min_period_of(parse_schedule(expr))


def _min_period_of(sched) -> int | None:
    if sched.is_every:
        return max(1, int(sched.every_seconds))
    day_minutes = sorted(h * 60 + m for h in sched.hours for m in sched.minutes)
    if not day_minutes:
        return None
    gaps = [b - a for a, b in zip(day_minutes, day_minutes[1:], strict=False)]
    day_gap = _min_day_gap(sched)
    if day_gap is not None:
        gaps.append(day_gap * 1440 - day_minutes[-1] + day_minutes[0])
    return min(gaps) * 60 if gaps else None


def _min_day_gap(sched) -> int | None:
    doms, dows, months = sched.days_of_month, sched.days_of_week, sched.months
    and_rule = sched.dom_star or sched.dow_star
    start = date(2024, 1, 1)  # a leap year, then the next: covers Feb 29 and every weekday/date pair
    previous, best = None, None
    for offset in range(731):
        day = start + timedelta(days=offset)
        if day.month not in months:
            continue
        dom_ok, dow_ok = day.day in doms, (day.isoweekday() % 7) in dows
        if not ((dom_ok and dow_ok) if and_rule else (dom_ok or dow_ok)):
            continue
        if previous is not None:
            gap = (day - previous).days
            best = gap if best is None else min(best, gap)
            if best == 1:
                return 1
        previous = day
    return best


def _schedule_warnings(job, sched, tz) -> list[Problem]:
    s, src = job.settings, job.sources
    base = f"cron.schedules.{job.key}"
    expr = s["schedule"]
    out: list[Problem] = []
    if sched.is_every:
        out.append(Problem(src["schedule"], f"{_q(expr)}: @every is accepted by Kubernetes but undocumented and runs "
                           "relative to the controller's start; allowed: a 5-field schedule such as \"*/10 * * * *\"",
                           WARNING, "every-descriptor"))
    if sched.days_or:
        out.append(Problem(src["schedule"], f"{_q(expr)}: day-of-month and day-of-week are both restricted, so it runs "
                           "on days matching EITHER (robfig/cron ORs them), more often than it reads; allowed: restrict "
                           "only one of them (put * in the other)", WARNING, "days-or"))
    sds = s.get("startingDeadlineSeconds")
    if isinstance(sds, int) and not isinstance(sds, bool) and 0 <= sds < 10:
        out.append(Problem(src["startingDeadlineSeconds"], f"{sds} s may skip runs: the CronJob controller checks "
                           "every 10 s; allowed: 10 or more (or omit it)", WARNING, "starting-deadline-short"))
    period = min_period_seconds(sched)
    policy = s.get("concurrencyPolicy")
    ads = s.get("activeDeadlineSeconds")
    if period is not None and policy == "Forbid" and isinstance(ads, int) and not isinstance(ads, bool) \
            and ads > period:
        where = "" if src["activeDeadlineSeconds"].startswith(base) else f" (from {src['activeDeadlineSeconds']})"
        out.append(Problem(f"{base}.activeDeadlineSeconds",
                           f"{ads} s{where} is longer than the {period} s between runs of {_q(expr)} under "
                           "concurrencyPolicy Forbid: a run that takes that long makes the next runs be skipped; "
                           f"allowed: at most {period} (or concurrencyPolicy Replace)", WARNING, "forbid-skips-runs"))
    if period is not None and period <= 60 and policy == "Allow":
        out.append(Problem(src["concurrencyPolicy"], f"Allow with {_q(expr)} (every minute): slow runs pile up as "
                           "parallel Jobs; allowed: Forbid or Replace", WARNING, "every-minute-allow"))
    return out


# --------------------------------------------------------------------------------------------------
# Layer 3: the rendered manifests against the Kubernetes OpenAPI schema
# --------------------------------------------------------------------------------------------------

_MANIFEST_FIELDS = {
    ("spec", "schedule"): "schedule",
    ("spec", "timeZone"): "timeZone",
    ("spec", "concurrencyPolicy"): "concurrencyPolicy",
    ("spec", "suspend"): "suspend",
    ("spec", "startingDeadlineSeconds"): "startingDeadlineSeconds",
    ("spec", "successfulJobsHistoryLimit"): "successfulJobsHistoryLimit",
    ("spec", "failedJobsHistoryLimit"): "failedJobsHistoryLimit",
    ("spec", "jobTemplate", "spec", "activeDeadlineSeconds"): "activeDeadlineSeconds",
    ("spec", "jobTemplate", "spec", "backoffLimit"): "backoffLimit",
}


def _values_path(job, path: tuple) -> str:
    for prefix, field in _MANIFEST_FIELDS.items():
        if path[: len(prefix)] == prefix:
            return job.sources[field]
    text = ".".join(str(p) for p in path)
    if "resources" in path:
        return job.sources["resources"]
    if "image" in path or "imagePullPolicy" in path:
        return "cron.image"
    if "secretKeyRef" in path:
        return "cron.secret"
    if path[:2] == ("metadata", "name"):
        return f"cron.schedules.{job.key}"
    return f"cron.schedules.{job.key} (rendered {text})"


def kube_layer(values: dict, release_name: str, namespace: str, chart, kube_version: str | None) -> list[Problem]:
    from .. import kube
    from ..render import render_cronjobs, resolve_jobs

    try:
        manifests = render_cronjobs(values, release_name, namespace, chart)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        return [Problem("cron", f"cannot be rendered: {exc}; fix the values reported above", ERROR, "render")]
    jobs = [j for j in resolve_jobs(values, release_name, chart) if j.enabled]
    out = []
    version = kube.parse_version(kube_version)
    for issue in kube.validate_manifests(manifests, kube_version):
        job = jobs[issue.index] if issue.index < len(jobs) else None
        rendered = ".".join(str(p) for p in issue.path) or "(object)"
        path = _values_path(job, issue.path) if job else "cron"
        out.append(Problem(path, f"in CronJob {manifests[issue.index]['metadata']['name']} at {rendered}: "
                           f"{issue.message} (Kubernetes {version[0]}.{version[1]} OpenAPI schema)", ERROR,
                           "kube-schema"))
    return out
