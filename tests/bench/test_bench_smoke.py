"""The benchmark plumbing at tiny sizes: every benchmark yields its rows with sane numbers.

No timing assertions: only that each benchmark runs end to end (real helm, real PostgreSQL, real
receivers), produces every row it promises with consistent statistics, and that the report renders.
The real measurements are `make bench` (bench/RESULTS.md); `make bench-smoke` is the CI-sized run.
"""

from __future__ import annotations

import importlib
import math
import os

import pytest

from bench import lazy_imports, pg, report
from bench.__main__ import MODULES, run_all
from bench.common import Row, Stats

# rows each benchmark yields with PostgreSQL available / without it (8: 15 trick rows, one per lazy import)
TRICK_ROWS = 15 + len(lazy_imports.LAZY_IMPORTS)
EXPECTED = {
    1: (4, 4),
    2: (4, 4),
    3: (7, 4),
    4: (1, 1),
    5: (4, 2),
    6: (3, 3),
    7: (5, 5),
    8: (TRICK_ROWS, TRICK_ROWS),
}
HELM = [os.path.join(os.path.dirname(__file__), "..", "..", ".tools", h) for h in ("helm3", "helm4")]


def _sane(s: Stats | None) -> None:
    if s is None:
        return
    assert s.n >= 1
    assert all(math.isfinite(v) and v >= 0 for v in (s.median, s.lo, s.hi))
    assert s.lo <= s.median <= s.hi


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_benchmark_runs_at_tiny_size(number, tmp_path, monkeypatch):
    if number in (1, 2, 7, 8) and not all(os.access(h, os.X_OK) for h in HELM):
        pytest.skip("helm binaries missing under .tools/ (make install)")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    lines: list[str] = []
    rows, durations = run_all("tiny", [number], workdir=tmp_path, log=lines.append)
    failed = [r.notes for r in rows if r.notes.startswith("failed:")]
    assert not failed, failed
    with_pg, without_pg = EXPECTED[number]
    assert len(rows) == (with_pg if pg.unavailable() is None else without_pg)
    measured = [r for r in rows if r.ours is not None]
    skipped = [r for r in rows if r.ours is None]
    for r in measured:
        _sane(r.ours)
        _sane(r.ref)
        _sane(r.ratio)
        if r.ratio is not None:
            assert 0 < r.ratio.median < 10_000, (r.case, r.ratio)
            assert r.ref is not None
        if r.goal and r.goal != "(informational)":
            assert r.met in (True, False), r.case
    for r in skipped:
        assert r.notes.startswith("skipped:")
    assert len(durations) == 1
    assert any(r.case in line for r in rows for line in lines)  # progress was logged per row


def test_report_has_every_row_and_the_machine(tmp_path):
    rows = [
        Row(
            bench="1 x",
            case="fast | thing",
            unit="s",
            ours=Stats(0.1, 0.09, 0.2, 3),
            ref_name="helm",
            ref=Stats(0.2, 0.18, 0.3, 3),
            ratio=Stats(0.5, 0.4, 0.7, 3),
            ratio_label="ours/ref time",
            goal="≤ 1.0×",
            met=True,
        ),
        Row(
            bench="3 y",
            case="rows",
            unit="rows/s",
            ours=Stats(2e5, 1e5, 3e5, 3),
            ref_name="DELETE",
            ref=Stats(4e5, 3e5, 5e5, 3),
            ratio=Stats(0.5, 0.3, 0.9, 3),
            ratio_label="ours/ref rows/s",
            goal="≥ 0.8×",
            met=False,
            notes="why",
        ),
        Row(bench="4 z", case="skipped one", unit="rows/s", ours=None, notes="skipped: no PostgreSQL"),
    ]
    text = report.markdown(rows, "tiny", {"1 x": 1.0}, 12.0)
    for heading in ("## Machine", "## Versions", "## Results", "cores", "Python", "SQLite", "helm 3"):
        assert heading in text
    assert "fast \\| thing" in text  # table cells are escaped
    assert "| MISSED |" in text and "| met |" in text and "| skipped |" in text
    assert "200 k/s (100 k/s–300 k/s)" in text
    assert "0.50× (0.30–0.90) ours/ref rows/s" in text
    for name in MODULES:  # every benchmark's method section, from its module docstring
        assert f"### {importlib.import_module(f'bench.{name}').TITLE}" in text
    plain = report.table(rows)
    assert len(plain.splitlines()) == 2 + len(rows)
