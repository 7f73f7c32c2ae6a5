"""Problem: one finding of validation, its severities, how a value reads inside a message; Finding and
FileReport locate problems in an input for the reporters."""

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


class Finding(NamedTuple):
    problem: Problem
    file: str | None = None
    line: int | None = None
    column: int | None = None


class FileReport:
    """Problems of one input (a values file in ``check`` mode; the merged inputs otherwise)."""

    def __init__(
        self,
        name: str | None,
        findings: list[Finding] | None = None,
        jobs: list[tuple[str, str]] | None = None,
        anchor: str | None = None,
    ):
        self.name = name
        self.findings = [] if findings is None else findings
        self.jobs = jobs  # (key, CronJob name) of the rendered jobs, for the JUnit testcases
        self.anchor = anchor  # the file CI reports point at for a problem without one (render mode)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return (self.name, self.findings) == (other.name, other.findings)

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value: unhashable like a list

    def __repr__(self) -> str:
        return f"FileReport(name={self.name!r}, findings={self.findings!r})"

    def failed(self, strict: bool = False) -> bool:
        bad = {ERROR, WARNING} if strict else {ERROR}
        return any(f.problem.severity in bad for f in self.findings)
