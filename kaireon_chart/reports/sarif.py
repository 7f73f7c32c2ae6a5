"""SARIF 2.1.0 for GitHub code scanning (and any SARIF viewer).

One run of the tool ``render-values``; one rule per check id (short and full description, ``help``,
``helpUri`` into docs/checks.md, default level from the check's severity); one result per problem at
the file and line that set the value, ``ruleId`` = the stable check id, ``level`` error/warning, and
``partialFingerprints`` derived from file + check + values path (``primaryLocationLineHash``, the one
GitHub reads, so alerts do not churn when lines move). Paths are relative to the working directory
(run it from the repository root)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from . import fingerprint, message, rules, where

if TYPE_CHECKING:
    from ..problems import FileReport

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"error": "error", "warning": "warning"}


def _version() -> str:
    """The installed kaireon-chart version (SARIF2005: a tool names its version); "0.0.0+source" in a checkout."""
    # lazy: importlib.metadata ~19 ms (bench 8), SARIF only
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kaireon-chart")
    except PackageNotFoundError:
        return "0.0.0+source"


def _rule(check_id: str) -> dict[str, object]:
    severity, _text = rules.rule(check_id)
    name = "".join(part.capitalize() for part in check_id.split("-") if part)
    named = (
        {"name": name} if name.lower() != check_id.lower() else {}
    )  # SARIF1001: a name differs from the id
    return {
        "id": check_id,
        **named,
        "shortDescription": {"text": rules.short(check_id)},
        "fullDescription": {"text": rules.full(check_id)},
        "help": {
            "text": f"{rules.full(check_id)} See {rules.anchor(check_id)}",
            "markdown": f"{rules.full(check_id)}\n\n[Documentation]({rules.anchor(check_id)})",
        },
        "helpUri": rules.anchor(check_id),
        "defaultConfiguration": {"level": LEVEL.get(severity, "warning")},
        "properties": {
            "tags": ["kubernetes", "cronjob", "helm"],
            "problem.severity": "error" if severity == "error" else "warning",
            "precision": "very-high",
        },
    }


def document(reports: list[FileReport], strict: bool = False) -> dict[str, object]:
    ids = list(rules.all_rules())
    for report in reports:
        for finding in report.findings:
            if finding.problem.check not in ids:
                ids.append(finding.problem.check)
    index = {check_id: i for i, check_id in enumerate(ids)}
    results: list[dict[str, object]] = []
    for report in reports:
        for finding in report.findings:
            p = finding.problem
            uri, line, column, flag = where(finding, report)
            region: dict[str, int] = {"startLine": line}
            if column:
                region["startColumn"] = column
            fp = fingerprint(uri, p.check, p.path or p.message)
            result: dict[str, object] = {
                "ruleId": p.check,
                "ruleIndex": index[p.check],
                "level": LEVEL.get(p.severity, "note"),
                "message": {"text": message(finding, flag)},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}, "region": region}}],
                "partialFingerprints": {"primaryLocationLineHash": f"{fp[:32]}:1", "valuesPath/v1": fp},
                "properties": {
                    "valuesPath": p.path,
                    **({"setBy": flag} if flag else {}),
                    **({"input": report.name} if report.name else {}),
                },
            }
            if p.path:
                result["locations"][0]["logicalLocations"] = [  # type: ignore[index]
                    {"fullyQualifiedName": p.path, "kind": "member"}
                ]
            results.append(result)
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "render-values",
                        "semanticVersion": _version(),
                        "informationUri": rules.docs_url(),
                        "rules": [_rule(i) for i in ids],
                    }
                },
                "automationDetails": {"id": "render-values/"},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def render(reports: list[FileReport], strict: bool = False) -> str:
    return json.dumps(document(reports, strict), indent=2) + "\n"
