"""The on-disk result cache: same answers with and without it, damaged entries ignored."""

from __future__ import annotations

from kaireon_chart import validate
from kaireon_chart.chart import load_chart
from kaireon_chart.values import coalesce, parse_yaml

CHART = load_chart()
BAD = coalesce(parse_yaml("cron:\n  concurrencyPolicy: Sometimes\n  schedules:\n    cleanup: {shedule: x}\n"),
               CHART.values)
GOOD = CHART.values


def test_cached_results_equal_fresh_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("KAIREON_CHART_CACHE", "0")
    fresh = [validate(v, chart=CHART) for v in (BAD, GOOD)]
    monkeypatch.setenv("KAIREON_CHART_CACHE", "1")
    monkeypatch.setenv("KAIREON_CHART_CACHE_DIR", str(tmp_path))
    first = [validate(v, chart=CHART) for v in (BAD, GOOD)]
    entries = sorted(tmp_path.glob("*.json"))
    assert len(entries) == 3  # schema x2, OpenAPI for the valid values
    second = [validate(v, chart=CHART) for v in (BAD, GOOD)]
    assert fresh == first == second


def test_damaged_entries_are_recomputed(tmp_path, monkeypatch):
    monkeypatch.setenv("KAIREON_CHART_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("KAIREON_CHART_CACHE", "1")
    expected = validate(BAD, chart=CHART)
    [entry] = tmp_path.glob("*.json")
    for damage in ("not json", "[[1]]", "{}", "null", '[["a", "b"]]'):
        entry.write_text(damage)
        assert validate(BAD, chart=CHART) == expected, damage


def test_unwritable_cache_dir_is_ignored(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("KAIREON_CHART_CACHE_DIR", str(blocker / "sub"))
    monkeypatch.setenv("KAIREON_CHART_CACHE", "1")
    assert validate(BAD, chart=CHART)
