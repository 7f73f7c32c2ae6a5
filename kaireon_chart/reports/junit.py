"""JUnit XML (as Jenkins' junit plugin, GitLab's unit test reports and most CI systems read it).

One ``testsuite`` per checked values file; in it one ``testcase`` per rendered CronJob (the problems
under ``cron.schedules.<key>``) and one ``values file`` testcase for everything else. A testcase
fails (``failure``, its text the problem lines) when it has an error, or a warning with ``--strict``;
warnings that do not fail are kept in ``system-out``."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from . import message, where

if TYPE_CHECKING:
    from ..problems import FileReport, Finding

FILE_CASE = "values file"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    """Characters XML 1.0 cannot carry (control characters from a hostile value) as ``\\uXXXX``."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _line(finding: Finding, report: FileReport) -> str:
    uri, line, column, flag = where(finding, report)
    place = f"{uri}:{line}:{column}" if column else f"{uri}:{line}"
    if flag:
        place = flag
    return _clean(f"{place}: {finding.problem.severity}: {message(finding)} [{finding.problem.check}]")


def _job_key(path: str, keys: list[str]) -> str | None:
    prefix = "cron.schedules."
    if not path.startswith(prefix):
        return None
    rest = path[len(prefix) :]
    for key in sorted(keys, key=len, reverse=True):  # a key may contain dots only when quoted; longest first
        if rest == key or rest.startswith(key + ".") or rest.startswith(key + "["):
            return key
    return None


def render(reports: list[FileReport], strict: bool = False) -> str:
    bad = {"error", "warning"} if strict else {"error"}
    root = ET.Element("testsuites", name="render-values")
    totals = [0, 0]
    for report in reports:
        suite_name = _clean(report.name or getattr(report, "anchor", None) or "values")
        jobs: list[tuple[str, str]] = list(getattr(report, "jobs", None) or [])
        keys = [key for key, _name in jobs]
        cases: dict[str | None, list[Finding]] = {None: []}
        cases.update((key, []) for key in keys)
        for finding in report.findings:
            cases[_job_key(finding.problem.path, keys)].append(finding)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=suite_name,
            tests=str(len(cases)),
            failures="0",
            errors="0",
            skipped="0",
            time="0",
        )
        failures = 0
        order: list[tuple[str | None, str]] = [(None, FILE_CASE)]
        order += [(key, f"CronJob {name} (cron.schedules.{key})") for key, name in jobs]
        for key, title in order:
            case = ET.SubElement(suite, "testcase", classname=suite_name, name=_clean(title), time="0")
            if report.name:
                case.set("file", _clean(report.name))
            findings = cases[key]
            failing = [f for f in findings if f.problem.severity in bad]
            if failing:
                failures += 1
                first = failing[0].problem
                failure = ET.SubElement(
                    case,
                    "failure",
                    type=first.check,
                    message=_clean(f"{len(failing)} problem(s): {first.path or first.message}"[:500]),
                )
                failure.text = "\n".join(_line(f, report) for f in failing) + "\n"
            rest = [f for f in findings if f.problem.severity not in bad]
            if rest:
                out = ET.SubElement(case, "system-out")
                out.text = "\n".join(_line(f, report) for f in rest) + "\n"
        suite.set("failures", str(failures))
        totals[0] += len(order)
        totals[1] += failures
    root.set("tests", str(totals[0]))
    root.set("failures", str(totals[1]))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
