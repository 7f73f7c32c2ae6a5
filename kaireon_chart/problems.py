"""Problem: one finding of validation, its severities, and how a value reads inside a message."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

ERROR = "error"
WARNING = "warning"


class Problem(NamedTuple):
    """One problem: an immutable value."""

    path: str  # dotted values path, e.g. cron.schedules.cleanup.schedule
    message: str  # "<what is wrong>; <what is allowed>"
    severity: str  # ERROR | WARNING
    check: str  # stable check id, e.g. "cron-schedule" (kaireon_chart.checks.CHECKS)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == ERROR]


def warnings(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == WARNING]


def shown(value: Any) -> str:
    """A value as it reads in YAML: "text" quoted, true/false/null, numbers as is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (str, int, float)):
        return json.dumps(value)
    return "a map" if isinstance(value, dict) else "a list" if isinstance(value, list) else repr(value)
