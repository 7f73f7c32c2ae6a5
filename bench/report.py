"""The results table (terminal) and ``RESULTS.md`` (machine, versions, table, method, analysis)."""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import os
import platform
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import pg
from bench.common import MODULES, REPO, TOOLS, Row, fmt_ratio, fmt_stats

ANALYSIS = Path(__file__).resolve().parent / "analysis.md"
_HEAD = (
    "benchmark",
    "case",
    "ours median (min–max)",
    "reference",
    "ref median (min–max)",
    "ratio median (min–max)",
    "goal",
    "status",
)


def _cells(row: Row) -> list[str]:
    return [
        row.bench,
        row.case,
        fmt_stats(row.ours, row.unit),
        row.ref_name,
        fmt_stats(row.ref, row.unit),
        f"{fmt_ratio(row.ratio)} {row.ratio_label}".strip() if row.ratio else "—",
        row.goal or "—",
        row.status,
    ]


def one_line(row: Row) -> str:
    c = _cells(row)
    text = f"{c[1]}: {c[2]} vs {c[3]} {c[4]}; ratio {c[5]}; goal {c[6]}: {c[7]}"
    return text + (f"  [{row.notes}]" if row.notes else "")


def table(rows: list[Row]) -> str:
    data = [list(_HEAD)] + [_cells(r) for r in rows]
    widths = [max(len(r[i]) for r in data) for i in range(len(_HEAD))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in data]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def machine() -> list[tuple[str, str]]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    try:
        load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    return [
        ("CPU", cpu),
        ("cores", str(os.cpu_count())),
        ("memory", mem),
        ("OS", platform.platform()),
        ("load average at the end (1/5/15 min)", load),
    ]


def _helm(name: str) -> str:
    try:
        out = subprocess.run(
            [str(TOOLS / name), "version", "--short"], capture_output=True, text=True, timeout=20
        )
        return out.stdout.strip() or "?"
    except OSError:
        return "not installed"


def _git_state() -> str:
    """The commit the working tree was at, and whether the measured code had uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO, timeout=20
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "kaireon_chart", "service", "chart"],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=20,
        ).stdout.strip()
    except OSError:
        return "?"
    return (
        f"{head}" + (" plus uncommitted changes in kaireon_chart/service/chart" if dirty else "")
        if head
        else "?"
    )


def versions() -> list[tuple[str, str]]:
    out = [
        ("code measured", _git_state()),
        ("Python", sys.version.split()[0]),
        ("helm 3", _helm("helm3")),
        ("helm 4", _helm("helm4")),
    ]
    try:
        out.append(("PostgreSQL", pg.server_version()))
    except Exception as exc:  # noqa: BLE001
        out.append(("PostgreSQL", f"unavailable ({type(exc).__name__})"))
    out.append(("SQLite", sqlite3.sqlite_version))
    for dist in (
        "kaireon-chart",
        "SQLAlchemy",
        "psycopg",
        "orjson",
        "croniter",
        "python-dateutil",
        "httpx",
        "pydantic",
        "jsonschema",
        "kubernetes-validate",
        "PyYAML",
        "pyinstrument",
    ):
        try:
            out.append((dist, importlib.metadata.version(dist)))
        except importlib.metadata.PackageNotFoundError:
            out.append((dist, "not installed"))
    return out


def markdown(rows: list[Row], profile: str, durations: dict[str, float], total: float) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmark results",
        "",
        f"Written by `python -m bench` ({profile} profile) on {now}; the whole run took {total / 60:.1f} min.",
        "Every comparison was measured interleaved (one round = each contender once, A, B, A, B, ...); the "
        "table gives medians with min–max over the rounds, and the ratio is computed per round before its "
        "median is taken. Regenerate with `make bench` (about 5–8 minutes on 2 cores); `make bench-smoke` "
        "runs the same plumbing at reduced sizes.",
        "",
        "## Machine",
        "",
        *[f"* {k}: {v}" for k, v in machine()],
        "",
        "## Versions",
        "",
        *[f"* {k}: {v}" for k, v in versions()],
        "",
        "## Results",
        "",
        "| " + " | ".join(_HEAD) + " |",
        "|" + "---|" * len(_HEAD),
    ]
    for r in rows:
        lines.append("| " + " | ".join(_md_escape(c) for c in _cells(r)) + " |")
    noted = [r for r in rows if r.notes]
    if noted:
        lines += ["", "Notes per row:", ""]
        lines += [f"* {r.case}: {r.notes}" for r in noted]
    lines += ["", "## What each benchmark measures", ""]
    for name in MODULES:
        mod = importlib.import_module(f"bench.{name}")
        took = durations.get(mod.TITLE)
        doc = inspect.cleandoc(mod.__doc__ or "")
        lines += [f"### {mod.TITLE}" + (f" (took {took:.0f} s)" if took is not None else ""), "", doc, ""]
    if ANALYSIS.exists():
        lines += [ANALYSIS.read_text(encoding="utf-8").rstrip(), ""]
    return "\n".join(lines) + "\n"
