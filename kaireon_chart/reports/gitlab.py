"""GitLab Code Quality (CodeClimate subset) JSON: one array, one object per problem with
``description``, ``check_name``, ``fingerprint``, ``severity`` and ``location.path`` /
``location.lines.begin``; the fingerprint is stable across runs so the merge-request widget does not
churn. Declared in ``.gitlab-ci.yml`` under ``artifacts:reports:codequality``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from . import fingerprint, message, where

if TYPE_CHECKING:
    from ..problems import FileReport

SEVERITY = {"error": "major", "warning": "minor"}


def render(reports: list[FileReport], strict: bool = False) -> str:
    out: list[dict[str, object]] = []
    seen: set[str] = set()
    for report in reports:
        for finding in report.findings:
            p = finding.problem
            uri, line, _column, flag = where(finding, report)
            fp = fingerprint(uri, p.check, p.path or p.message)
            if fp in seen:  # the same problem of the same file (e.g. a base file checked with many inputs)
                continue
            seen.add(fp)
            out.append(
                {
                    "description": message(finding, flag),
                    "check_name": p.check,
                    "fingerprint": fp,
                    "severity": SEVERITY.get(p.severity, "info"),
                    "location": {"path": uri, "lines": {"begin": line}},
                    "categories": ["Bug Risk"] if p.severity == "error" else ["Style"],
                }
            )
    return json.dumps(out, indent=2) + "\n"
