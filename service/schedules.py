"""Evaluation of the platform's own schedules: pipeline ``ir.schedule``, report and retrain crons.

This is the *platform's* dialect, not Kubernetes' (that one is :mod:`kaireon_chart.cron`):

* **cron** — 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first
  (cron-parser's layout), names (``MON``, ``JAN``), ``L``/``W``/``#``, ``?`` and the ``@hourly``
  style macros, evaluated by croniter in an IANA time zone (default UTC). Time-zone rules
  (croniter's): a wall-clock time skipped by a spring-forward change fires at the instant the clock
  jumps, except under an hour field of ``*`` (the job follows the new wall clock, as cron does for
  wildcard-hour jobs); a wall-clock time repeated by a fall-back change matches both instants. Rejected: 7 fields
  (years), Jenkins ``H``, a ``TZ=``/``CRON_TZ=`` prefix (the time zone is its own field), and any
  expression croniter cannot parse. An expression that never fires within 5 years ("0 0 30 2 *") is
  valid and simply never due.
* **interval** — ``minutes`` an integer 1–1440; due when ``now - lastRunAt >= minutes``.
* **rrule** — RFC 5545 text (``FREQ=DAILY;BYHOUR=9`` or ``RRULE:...``, optionally preceded by a
  ``DTSTART`` line) evaluated by dateutil as wall-clock times in the schedule's time zone. Without
  ``DTSTART`` the rule starts at the pipeline's creation time (truncated to the minute, in the
  schedule's time zone) — the stable equivalent of rrule.js's "now when the rule was built".

A pipeline is due when an occurrence falls in ``(lastRunAt, now]``; one that never ran looks back
24 hours. Parsed schedules are cached per distinct (expression, time zone), and the latest
occurrence at or before ``now`` is computed once per distinct schedule per tick, so ten thousand
pipelines sharing a few hundred schedules cost a few hundred croniter evaluations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from croniter.croniter import CroniterBadDateError
from dateutil.rrule import DAILY, HOURLY, MINUTELY, WEEKLY, rrule, rrulestr

NEVER_RUN_LOOKBACK = timedelta(hours=24)
INTERVAL_MIN, INTERVAL_MAX = 1, 1440
_MAX_YEARS = 5
_EPS = timedelta(microseconds=1)


class ScheduleError(ValueError):
    """A schedule that cannot be evaluated; the message names the field and what is allowed."""


@lru_cache(maxsize=512)
def get_zone(name: str | None) -> tzinfo:
    """The IANA zone ``name`` (None/"" = UTC); :class:`ScheduleError` when unknown."""
    if name is None or name == "" or name == "UTC":
        return UTC
    if not isinstance(name, str):
        raise ScheduleError(f"timezone must be an IANA zone name such as Europe/Berlin, got {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(f"timezone {name!r} is not a known IANA zone (e.g. UTC, Europe/Berlin)") from exc


# --------------------------------------------------------------------------------------------------
# cron
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CronSchedule:
    expression: str
    timezone: str
    zone: tzinfo
    seconds: bool  # 6-field form (seconds first)

    def _iter(self, start: datetime) -> croniter:
        return croniter(
            self.expression,
            start.astimezone(self.zone),
            max_years_between_matches=_MAX_YEARS,
            second_at_beginning=self.seconds,
        )

    def latest_at_or_before(self, now: datetime) -> datetime | None:
        """The most recent occurrence <= ``now`` (UTC), or None when there is none within 5 years."""
        try:
            prev: datetime = self._iter(now + _EPS).get_prev(datetime)
        except CroniterBadDateError:
            return None
        return prev.astimezone(UTC)

    def next_after(self, dt: datetime) -> datetime | None:
        """The first occurrence strictly after ``dt`` (UTC), or None when none within 5 years."""
        try:
            nxt: datetime = self._iter(dt).get_next(datetime)
        except CroniterBadDateError:
            return None
        return nxt.astimezone(UTC)

    def occurrences(self, after: datetime, until: datetime) -> list[datetime]:
        """Every occurrence in ``(after, until]`` (for tests and small windows)."""
        out: list[datetime] = []
        it = self._iter(after)
        while True:
            try:
                nxt = it.get_next(datetime).astimezone(UTC)
            except CroniterBadDateError:
                return out
            if nxt > until:
                return out
            out.append(nxt)


_CRON_PREFIX = re.compile(r"^\s*(CRON_)?TZ=", re.IGNORECASE)


def _check_zone_type(timezone: Any, field: str) -> None:
    if timezone is not None and not isinstance(timezone, str):
        raise ScheduleError(f"{field} must be an IANA zone name such as Europe/Berlin, got {timezone!r}")


def parse_cron(expression: Any, timezone: Any = "UTC", *, field: str = "expression") -> CronSchedule:
    """Parse a platform cron expression in ``timezone``; :class:`ScheduleError` names ``field``."""
    if not isinstance(expression, str) or not expression.strip():
        raise ScheduleError(f"{field} must be a non-empty cron expression string, got {expression!r}")
    _check_zone_type(timezone, "timezone")
    return _parse_cron(expression, timezone or "UTC", field)


@lru_cache(maxsize=4096)
def _parse_cron(expression: str, timezone: str, field: str) -> CronSchedule:
    expr = " ".join(expression.split())
    if _CRON_PREFIX.match(expr):
        raise ScheduleError(
            f"{field} {expression!r}: put the time zone in the timezone field, not a TZ= prefix"
        )
    zone = get_zone(timezone)
    nfields = len(expr.split(" "))
    if not expr.startswith("@") and nfields not in (5, 6):
        raise ScheduleError(
            f"{field} {expression!r} has {nfields} fields; allowed: 5 (minute hour day-of-month month "
            "day-of-week) or 6 (seconds first)"
        )
    if re.search(r"(^|[\s,/-])H", expr):
        raise ScheduleError(f"{field} {expression!r}: hashed 'H' fields are not supported")
    seconds = nfields == 6
    try:
        croniter(expr, datetime(2026, 1, 1, tzinfo=UTC), second_at_beginning=seconds)
    except Exception as exc:  # noqa: BLE001 - croniter raises several types for bad input
        raise ScheduleError(f"{field} {expression!r} is not a valid cron expression: {exc}") from exc
    return CronSchedule(expr, timezone or "UTC", zone, seconds)


# --------------------------------------------------------------------------------------------------
# rrule
# --------------------------------------------------------------------------------------------------
_FIXED_STEP = {
    MINUTELY: timedelta(minutes=1),
    HOURLY: timedelta(hours=1),
    DAILY: timedelta(days=1),
    WEEKLY: timedelta(weeks=1),
}


@dataclass(frozen=True)
class RRuleSchedule:
    text: str
    timezone: str
    rule: rrule

    def latest_at_or_before(self, now: datetime) -> datetime | None:
        """The most recent occurrence <= ``now`` (UTC), or None."""
        slack = 2
        while True:
            rule, shifted = self._fast_forward(now, slack)
            prev = rule.before(now, inc=True)
            if prev is not None or not shifted:
                return prev.astimezone(UTC) if prev is not None else None
            slack *= 8  # the latest occurrence lies before the shifted start: look further back

    def occurrences(self, after: datetime, until: datetime) -> list[datetime]:
        return [d.astimezone(UTC) for d in self.rule.between(after, until, inc=True) if d > after]

    def _fast_forward(self, now: datetime, slack: int) -> tuple[rrule, bool]:
        """Move DTSTART forward by whole periods so ``before(now)`` iterates a short distance.

        Only for unbounded-count MINUTELY/HOURLY/DAILY/WEEKLY rules: shifting the start by a multiple
        of INTERVAL periods (in wall-clock time) keeps the occurrence set from the new start on, since
        every BY* part either expands within one period or filters; a COUNT would change. An
        occurrence found after the shifted start is therefore the true latest one; when none is found
        the caller retries with more slack, down to the unshifted rule.
        """
        rule = self.rule
        step = _FIXED_STEP.get(rule._freq)
        if step is None or rule._count is not None:
            return rule, False
        dtstart = rule._dtstart
        period = step * rule._interval
        wall_now = now.astimezone(dtstart.tzinfo).replace(tzinfo=None)
        wall_start = dtstart.replace(tzinfo=None)
        k = (wall_now - wall_start) // period - slack
        if k <= 0:
            return rule, False
        return rule.replace(dtstart=(wall_start + period * k).replace(tzinfo=dtstart.tzinfo)), True


def parse_rrule(
    text: Any, timezone: Any = "UTC", default_start: datetime | None = None, *, field: str = "rrule"
) -> RRuleSchedule:
    """Parse an RFC 5545 rule; without DTSTART it starts at ``default_start`` (wall clock in tz)."""
    if not isinstance(text, str) or "FREQ=" not in text.upper():
        raise ScheduleError(
            f"{field} must be an RFC 5545 rule string such as 'FREQ=DAILY;BYHOUR=9', got {text!r}"
        )
    _check_zone_type(timezone, "timezone")
    return _parse_rrule(text, timezone or "UTC", default_start, field)


@lru_cache(maxsize=4096)
def _parse_rrule(text: str, timezone: str, default_start: datetime | None, field: str) -> RRuleSchedule:
    zone = get_zone(timezone)
    start = (
        (default_start or datetime(2001, 1, 1, tzinfo=UTC)).astimezone(zone).replace(second=0, microsecond=0)
    )
    try:
        rule = rrulestr(text.strip(), dtstart=start, unfold=True)
    except Exception as exc:  # noqa: BLE001 - dateutil raises ValueError/TypeError/KeyError
        raise ScheduleError(f"{field} {text!r} is not a valid RFC 5545 rule: {exc}") from exc
    if not isinstance(rule, rrule):
        raise ScheduleError(
            f"{field} {text!r}: one RRULE (optionally with DTSTART) is allowed, not a rule set"
        )
    if rule._dtstart.tzinfo is None:  # floating DTSTART: wall clock in the schedule's zone
        rule = rule.replace(dtstart=rule._dtstart.replace(tzinfo=zone))
    if rule._until is not None and rule._until.tzinfo is None:
        rule = rule.replace(until=rule._until.replace(tzinfo=zone))
    return RRuleSchedule(text, timezone or "UTC", rule)


# --------------------------------------------------------------------------------------------------
# Pipeline ir.schedule
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class IntervalSchedule:
    minutes: int


CompiledSchedule = CronSchedule | IntervalSchedule | RRuleSchedule


def compile_pipeline_schedule(schedule: Any, created_at: datetime | None = None) -> CompiledSchedule:
    """Validate and compile one pipeline ``ir.schedule`` dict (raises :class:`ScheduleError`)."""
    if not isinstance(schedule, dict):
        raise ScheduleError(f"schedule must be an object with a kind, got {type(schedule).__name__}")
    kind = schedule.get("kind")
    if kind == "cron":
        return parse_cron(
            schedule.get("expression"), schedule.get("timezone") or "UTC", field="schedule.expression"
        )
    if kind == "interval":
        minutes = schedule.get("minutes")
        if (
            isinstance(minutes, bool)
            or not isinstance(minutes, int)
            or not INTERVAL_MIN <= minutes <= INTERVAL_MAX
        ):
            raise ScheduleError(
                f"schedule.minutes must be an integer {INTERVAL_MIN}-{INTERVAL_MAX}, got {minutes!r}"
            )
        return IntervalSchedule(minutes)
    if kind == "rrule":
        text = schedule.get("rrule")
        start = None if isinstance(text, str) and "DTSTART" in text.upper() else created_at
        if start is not None:
            start = start.replace(second=0, microsecond=0)
        return parse_rrule(text, schedule.get("timezone") or "UTC", start, field="schedule.rrule")
    raise ScheduleError(f"schedule.kind must be one of cron, interval, rrule; got {kind!r}")


class DueEvaluator:
    """Due-ness of many schedules at one instant ``now``, memoising per distinct schedule."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._latest: dict[object, datetime | None] = {}

    def latest(self, compiled: CronSchedule | RRuleSchedule) -> datetime | None:
        try:
            return self._latest[compiled]
        except KeyError:
            value = self._latest[compiled] = compiled.latest_at_or_before(self.now)
            return value

    def due_occurrence(self, compiled: CompiledSchedule, last_run_at: datetime | None) -> datetime | None:
        """The occurrence that makes the schedule due now (the most recent in the window), or None.

        Window: ``(last_run_at, now]``, or ``(now - 24h, now]`` for a never-run pipeline. Interval:
        due when ``now - last_run_at >= minutes`` (the occurrence is ``last_run_at + minutes``); a
        never-run interval pipeline is due at once (its occurrence is ``now``).
        """
        now = self.now
        if isinstance(compiled, IntervalSchedule):
            if last_run_at is None:
                return now
            occurrence = last_run_at + timedelta(minutes=compiled.minutes)
            return occurrence if occurrence <= now else None
        since = last_run_at if last_run_at is not None else now - NEVER_RUN_LOOKBACK
        latest = self.latest(compiled)
        if latest is not None and since < latest <= now:
            return latest
        return None


def is_due(
    schedule: Any, last_run_at: datetime | None, now: datetime, created_at: datetime | None = None
) -> datetime | None:
    """One-off form of :meth:`DueEvaluator.due_occurrence` for a raw ``ir.schedule``."""
    return DueEvaluator(now).due_occurrence(compile_pipeline_schedule(schedule, created_at), last_run_at)
