"""doctor's findings as the CI reports' problems (reports/: sarif, junit, gitlab, github), so the same
writers serve ``render-values doctor --format sarif`` and ``--report FORMAT=PATH``.

Each finding becomes a :class:`~kaireon_chart.problems.Problem` with the check id ``doctor-<id>`` (its
rule in reports/rules.py), located at the values file and line that set its values path (the ``-f``
file, else the chart's values.yaml); a finding without a values path points at the report's anchor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..problems import FileReport, Problem
from ..problems import Finding as Located
from ..reporters import render as render_report
from ..reports.locate import find

if TYPE_CHECKING:
    from .findings import Finding

PREFIX = "doctor-"
FORMATS = ("text", "json", "sarif", "junit", "gitlab", "github")
CI_FORMATS = FORMATS[2:]


def problem(finding: Finding) -> Problem:
    text = f"CronJob {finding.cronjob}: {finding.message}" if finding.cronjob else finding.message
    return Problem(finding.path, text, finding.severity, PREFIX + finding.id)


def file_report(findings: list[Finding], origins: Any, anchor: str | None) -> FileReport:
    """One report of every finding; ``anchor`` is the file a finding without a place points at."""
    located = [Located(problem(f), *find(origins, f.path)) for f in findings]
    return FileReport(None, located, anchor=anchor)


def render(fmt: str, findings: list[Finding], origins: Any, anchor: str | None, strict: bool) -> str:
    return render_report(fmt, [file_report(findings, origins, anchor)], strict)
