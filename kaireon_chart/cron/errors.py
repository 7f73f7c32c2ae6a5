"""CronError: a schedule Kubernetes rejects, with robfig's exact text and the details for friendly messages."""

from __future__ import annotations

from typing import Any, NoReturn

TZ_ERROR = "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
FIELD_NAMES = ("minute", "hour", "day-of-month", "month", "day-of-week")


class CronError(ValueError):
    """A schedule Kubernetes rejects.

    ``str(err)`` is the first message (robfig's exact error text when robfig rejects it).
    ``messages``: every message in Kubernetes' order (robfig error, then the TZ rule).
    ``field``: minute/hour/day-of-month/month/day-of-week or None.
    ``kind``: empty, field-count, descriptor, duration, location, panic, tz, above-max,
    below-min, reversed, zero-step, negative, not-int, hyphens, slashes.
    ``token``: the offending item (range expression / text); ``value``, ``bound``: numbers involved.
    ``tz``: True when Kubernetes' TZ rule also rejects the schedule.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        field: str | None = None,
        token: str | None = None,
        value: int | None = None,
        bound: int | None = None,
        expr: str | None = None,
        go_panic: str | None = None,
    ):
        super().__init__(message)
        self.messages: list[str] = [message]
        self.kind = kind
        self.kinds: list[str] = [kind]
        self.field = field
        self.token = token
        self.value = value
        self.bound = bound
        self.expr = expr
        self.go_panic = go_panic
        self.tz = kind == "tz"

    def __str__(self) -> str:
        return self.messages[0]


def _raise(message: str, **kw: Any) -> NoReturn:
    raise CronError(message, **kw)
