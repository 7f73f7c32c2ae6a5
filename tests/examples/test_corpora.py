"""The example corpora: every valid/*.yaml has no error; every invalid/<case>.yaml has exactly the
errors listed in invalid/<case>.expected (one `check<TAB>path: message` line each)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaireon_chart import validate
from kaireon_chart.chart import load_chart
from kaireon_chart.values import load_values

HERE = Path(__file__).parent
CHART = load_chart()
VALID = sorted((HERE / "valid").glob("*.yaml"))
INVALID = sorted((HERE / "invalid").glob("*.yaml"))


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_valid_examples_have_no_errors(path):
    problems = validate(load_values([str(path)], chart=CHART), chart=CHART)
    assert [str(p) for p in problems if p.severity == "error"] == []


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_examples_give_the_expected_errors(path):
    problems = validate(load_values([str(path)], chart=CHART), chart=CHART)
    got = [f"{p.check}\t{p}" for p in problems if p.severity == "error"]
    expected = path.with_suffix(".expected").read_text(encoding="utf-8").splitlines()
    assert got == expected


def test_every_invalid_case_has_expectations():
    for path in INVALID:
        assert path.with_suffix(".expected").read_text(encoding="utf-8").strip(), path
