"""Reports for CI systems: SARIF 2.1.0 (GitHub code scanning), JUnit XML, GitLab Code Quality and the
GitHub job summary. Each module has ``render(reports, strict) -> str`` over the reporters'
:class:`~kaireon_chart.reporters.FileReport` list; this module holds what they share: where a finding
points (a repository-relative path and a line), and its stable fingerprint.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..problems import FileReport, Finding
    from ..render import ResolvedJob

FORMATS = ("sarif", "junit", "gitlab")


def relative_uri(name: str) -> str:
    """``name`` as a forward-slash path relative to the working directory (the repository root in CI)
    when it lies below it; other paths are returned as they were given."""
    return _relative(name, os.getcwd())


@lru_cache(maxsize=4096)
def _relative(name: str, cwd: str) -> str:
    path = Path(name)
    if path.is_absolute():
        try:
            path = path.resolve().relative_to(Path(cwd).resolve())
        except (ValueError, OSError):
            return path.as_posix()
    text = path.as_posix()
    return text[2:] if text.startswith("./") else text


def where(finding: Finding, report: FileReport) -> tuple[str, int, int | None, str | None]:
    """(file, line, column, flag) a CI system can show: the file that set the value; for a value set
    by a ``--set*`` flag (or a problem with no file) the checked input or the report's anchor file at
    line 1, and the flag text as ``flag`` (likewise a file outside the working directory, such as the
    installed chart's values.yaml, named in ``flag``: CI systems only take repository paths)."""
    flag = finding.file if finding.file and finding.file.startswith("--") else None
    if finding.file and flag is None and finding.file != "-":
        uri = relative_uri(finding.file)
        if not uri.startswith("/"):
            return uri, finding.line or 1, finding.column if finding.line else None, None
        # outside the working directory (the installed chart's values.yaml): no place in the repository
        flag = f"{finding.file}:{finding.line}" if finding.line else finding.file
    anchor = report.name or getattr(report, "anchor", None) or "values.yaml"
    return relative_uri(anchor), 1, None, flag


def fingerprint(uri: str, check: str, values_path: str) -> str:
    """Stable across runs and line moves: derived from the file, the check id and the values path."""
    return hashlib.sha256(f"{uri}\0{check}\0{values_path}".encode()).hexdigest()


def message(finding: Finding, flag: str | None = None) -> str:
    p = finding.problem
    text = f"{p.path}: {p.message}" if p.path else p.message
    return f"{text} (set by {flag})" if flag else text


def write_text(path: str, text: str) -> None:
    """Write a report file atomically (a reader never sees half a report)."""
    target = Path(path)
    if target.parent and not target.parent.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)


def parse_specs(specs: list[str], known: tuple[str, ...]) -> list[tuple[str, str]]:
    """``--report FORMAT=PATH`` values -> [(format, path)]; ValueError names what is wrong."""
    out = []
    for spec in specs:
        fmt, sep, path = spec.partition("=")
        if not sep or not path:
            raise ValueError(f"--report {spec!r}: expected FORMAT=PATH, e.g. sarif=render-values.sarif")
        if fmt not in known:
            raise ValueError(f"--report {spec!r}: unknown format {fmt!r}; allowed: {', '.join(known)}")
        out.append((fmt, path))
    return out


def job_list(values: dict[str, object], jobs: list[ResolvedJob] | None) -> list[tuple[str, str]]:
    """(key, CronJob name) of the jobs the values render, for the JUnit testcases ([] if they could not
    be resolved: those values have errors already)."""
    cron = values.get("cron")
    if not isinstance(cron, dict) or cron.get("enabled") is False:
        return []
    return [(job.key, job.name) for job in jobs or [] if job.enabled]
