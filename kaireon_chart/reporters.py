"""Problem reports: ``REPORTERS``, the registry of ``--error-format`` formats (``FileReport``/``Finding``:
problems.py).

text and json are here, the CI formats in reports/ (github, sarif, junit, gitlab); the formats are
specified in docs/render-values.md.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from typing import Any

from .problems import FileReport, Finding, Problem
from .reports import write_text

__all__ = ["REPORTERS", "FileReport", "Finding", "render", "status", "write_all"]


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


def _lazy(name: str) -> Callable[[list[FileReport], bool], str]:
    """The CI format reports/<name>.py, imported when a run asks for it (lazy: junit alone costs ~7 ms of
    start-up, xml.etree; the others ~0.4 ms each; bench 8)."""

    def run(reports: list[FileReport], strict: bool = False) -> str:
        text: str = importlib.import_module(f".reports.{name}", __package__).render(reports, strict)
        return text

    return run


REPORTERS = {
    "text": _text,
    "json": _json,
    "github": _lazy("github"),  # at most 10 annotations per type, then a job summary
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
