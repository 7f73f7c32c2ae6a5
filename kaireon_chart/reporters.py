"""Problem reports: ``FileReport``/``Finding`` and ``REPORTERS``, the registry of ``--error-format`` formats.

text and json are here, the CI formats in reports/ (github, sarif, junit, gitlab); the formats are
specified in docs/render-values.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NamedTuple

from .problems import ERROR, WARNING, Problem
from .reports import write_text


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


def status(reports: list[FileReport], strict: bool = False) -> str:
    return "fail" if any(r.failed(strict) for r in reports) else "ok"


def _line(p: Problem) -> str:
    return str(p) if p.path else p.message


def _text(reports: list[FileReport], strict: bool = False) -> str:
    lines = []
    for report in reports:
        for f in report.findings:
            where = ""
            if f.file:
                where = f"{f.file}:{f.line}: " if f.line else f"{f.file}: "
                if f.line and f.column:
                    where = f"{f.file}:{f.line}:{f.column}: "
            lines.append(f"{where}{f.problem.severity}: {_line(f.problem)} [{f.problem.check}]")
    return "".join(line + "\n" for line in lines)


def _json(reports: list[FileReport], strict: bool = False) -> str:
    problems = []
    for report in reports:
        for f in report.findings:
            p = f.problem
            problems.append(
                {
                    "file": f.file,
                    "path": p.path,
                    "line": f.line,
                    "column": f.column,
                    "check": p.check,
                    "severity": p.severity,
                    "message": p.message,
                    "input": report.name,
                }
            )
    out: dict[str, Any] = {"status": status(reports, strict), "problems": problems}
    if any(r.name for r in reports):
        out["inputs"] = [{"input": r.name, "status": status([r], strict)} for r in reports]
    return json.dumps(out, indent=2) + "\n"


def _github(reports: list[FileReport], strict: bool = False) -> str:
    from .reports.github import render as github  # at most 10 annotations per type, then a job summary

    return github(reports, strict)


def _lazy(name: str) -> Callable[[list[FileReport], bool], str]:
    def run(reports: list[FileReport], strict: bool = False) -> str:
        import importlib

        text: str = importlib.import_module(f".reports.{name}", __package__).render(reports, strict)
        return text

    return run


REPORTERS = {
    "text": _text,
    "json": _json,
    "github": _github,
    "sarif": _lazy("sarif"),
    "junit": _lazy("junit"),
    "gitlab": _lazy("gitlab"),
}


def render(fmt: str, reports: list[FileReport], strict: bool = False) -> str:
    """The report in format ``fmt`` (a key of REPORTERS)."""
    return REPORTERS[fmt](reports, strict)


def write_all(specs: list[tuple[str, str]], reports: list[FileReport], strict: bool) -> None:
    """Write every requested report file (OSError propagates with the path in it)."""
    for fmt, path in specs:
        write_text(path, render(fmt, reports, strict))
