"""GitHub Actions: workflow-command annotations, at most :data:`LIMIT` per type per step (GitHub drops
the rest silently), and the full table as Markdown in ``$GITHUB_STEP_SUMMARY`` when there are more.

Past the limit the first ``LIMIT - 1`` problems of that type are annotated and the last annotation
says how many were left out and where the full table is."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..problems import FileReport, Finding

LIMIT = 10  # annotations per type per step (actions/toolkit#734)
SUMMARY_MAX = 1024 * 1024  # GitHub refuses a larger step summary


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _annotation(f: Finding) -> str:
    p = f.problem
    level = "error" if p.severity == "error" else "warning"
    props = []
    if f.file and not f.file.startswith("--"):  # a --set flag is no file to annotate
        props.append(f"file={escape_property(f.file)}")
        if f.line:
            props.append(f"line={f.line}")
            if f.column:
                props.append(f"col={f.column}")
    title = f"render-values {p.check}: {p.path}" if p.path else f"render-values {p.check}"
    props.append(f"title={escape_property(title)}")
    text = f"{p.path}: {p.message}" if p.path else p.message
    if f.file and f.file.startswith("--"):
        text += f" (set by {f.file})"
    return f"::{level} {','.join(props)}::{escape_data(text)}"


def _cell(text: object) -> str:
    return str(text if text is not None else "").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def summary(reports: list[FileReport]) -> str:
    """Every problem as a Markdown table (capped at GitHub's 1 MiB, with a note when cut)."""
    head = [
        "### render-values",
        "",
        "| severity | input | file:line | values path | check | message |",
        "|---|---|---|---|---|---|",
    ]
    rows: list[str] = []
    size = sum(len(x) + 1 for x in head)
    total = sum(len(r.findings) for r in reports)
    for report in reports:
        for f in report.findings:
            p = f.problem
            place = f"{f.file}:{f.line}" if f.file and f.line else (f.file or "")
            row = (
                f"| {p.severity} | {_cell(report.name)} | {_cell(place)} | `{_cell(p.path)}` | {p.check} | "
                f"{_cell(p.message)} |"
            )
            if size + len(row) + 200 > SUMMARY_MAX:
                rows.append(
                    f"\n{total - len(rows)} more problem(s) left out: the summary is limited to 1 MiB."
                )
                return "\n".join(head + rows) + "\n"
            rows.append(row)
            size += len(row) + 1
    return "\n".join(head + rows) + f"\n\n{total} problem(s).\n"


def render(reports: list[FileReport], strict: bool = False, env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    totals = {"error": 0, "warning": 0}
    for report in reports:
        for f in report.findings:
            totals["error" if f.problem.severity == "error" else "warning"] += 1
    over = {level: n > LIMIT for level, n in totals.items()}
    shown = {"error": 0, "warning": 0}
    out: list[str] = []
    grouped = len(reports) > 1
    for report in reports:
        if grouped and report.name:
            out.append(f"::group::{escape_data(report.name)}")
        for f in report.findings:
            level = "error" if f.problem.severity == "error" else "warning"
            if over[level] and shown[level] >= LIMIT - 1:
                continue
            shown[level] += 1
            out.append(_annotation(f))
        if grouped and report.name:
            out.append("::endgroup::")
    if any(over.values()):
        target = env.get("GITHUB_STEP_SUMMARY")
        where = "the job summary" if target else "the report (set GITHUB_STEP_SUMMARY for a job summary)"
        if target:
            try:
                with open(target, "a", encoding="utf-8") as fh:
                    fh.write(summary(reports))
            except OSError as exc:
                where = f"no job summary: cannot write {target} ({exc.strerror})"
        for level in ("error", "warning"):
            if over[level]:
                left = totals[level] - shown[level]
                note = (
                    f"{left} more {level}(s) not annotated: GitHub shows at most {LIMIT} per type per step; "
                    f"all {sum(totals.values())} problems are in {where}"
                )
                out.append(f"::{level} title=render-values%3A {left} more {level}(s)::{escape_data(note)}")
    return "".join(line + "\n" for line in out)
