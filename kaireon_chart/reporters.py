"""Output of problems: ``text``, ``json`` and ``github`` (GitHub Actions workflow commands).

A reporter turns a list of :class:`FileReport` (one per checked input) into text. ``REPORTERS`` feeds
the CLI's ``--error-format`` choices.

* text: ``[file:line: ]severity: path: message [check]``, one line per problem.
* json: ``{"status": "ok"|"fail", "problems": [{"file", "path", "line", "column", "check", "severity",
  "message", "input"}]}``; ``file``/``line`` say where the value was set, ``input`` which checked file
  the problem belongs to (``check`` mode; also ``"inputs": [{"input", "status"}]`` there).
* github: ``::error file=F,line=L,title=T::path: message`` (``%``, CR and LF escaped in the message;
  also ``:`` and ``,`` in properties), one ``::group::`` per file when there are several.
"""

from __future__ import annotations

import json

from ._record import Record
from .validate import ERROR, WARNING, Problem


class Finding(Record):
    __slots__ = _fields = ("problem", "file", "line", "column")
    _defaults = {"file": None, "line": None, "column": None}
    problem: Problem
    file: str | None
    line: int | None
    column: int | None


class FileReport:
    """Problems of one input (a values file in ``check`` mode; the merged inputs otherwise)."""

    def __init__(self, name: str | None, findings: list[Finding] | None = None):
        self.name = name
        self.findings = [] if findings is None else findings

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return (self.name, self.findings) == (other.name, other.findings)

    __hash__ = None

    def __repr__(self):
        return f"FileReport(name={self.name!r}, findings={self.findings!r})"

    def failed(self, strict: bool = False) -> bool:
        bad = {ERROR, WARNING} if strict else {ERROR}
        return any(f.problem.severity in bad for f in self.findings)


def status(reports: list[FileReport], strict: bool = False) -> str:
    return "fail" if any(r.failed(strict) for r in reports) else "ok"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


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
            problems.append({"file": f.file, "path": p.path, "line": f.line, "column": f.column, "check": p.check,
                             "severity": p.severity, "message": p.message, "input": report.name})
    out: dict = {"status": status(reports, strict), "problems": problems}
    if any(r.name for r in reports):
        out["inputs"] = [{"input": r.name, "status": status([r], strict)} for r in reports]
    return json.dumps(out, indent=2) + "\n"


def _github(reports: list[FileReport], strict: bool = False) -> str:
    out = []
    grouped = len(reports) > 1
    for report in reports:
        if grouped and report.name:
            out.append(f"::group::{escape_data(report.name)}")
        for f in report.findings:
            p = f.problem
            level = "error" if p.severity == ERROR else "warning"
            props = []
            if f.file and not f.file.startswith("--"):  # a --set flag is no file to annotate
                props.append(f"file={escape_property(f.file)}")
                if f.line:
                    props.append(f"line={f.line}")
                    if f.column:
                        props.append(f"col={f.column}")
            title = f"render-values {p.check}: {p.path}" if p.path else f"render-values {p.check}"
            props.append(f"title={escape_property(title)}")
            out.append(f"::{level} {','.join(props)}::{escape_data(_line(p))}")
        if grouped and report.name:
            out.append("::endgroup::")
    return "".join(line + "\n" for line in out)


REPORTERS = {"text": _text, "json": _json, "github": _github}


def render(fmt: str, reports: list[FileReport], strict: bool = False) -> str:
    """The report in format ``fmt`` (a key of REPORTERS)."""
    return REPORTERS[fmt](reports, strict)
