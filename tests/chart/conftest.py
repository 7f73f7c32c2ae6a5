"""Fixtures for the chart tests: `helm` runs every test with the real helm 3 and helm 4."""

from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "kaireon_tests_helmrun", Path(__file__).with_name("helmrun.py")
)
helmrun = sys.modules.setdefault(_spec.name, importlib.util.module_from_spec(_spec))
if not hasattr(helmrun, "Helm"):
    _spec.loader.exec_module(helmrun)


def _require(name: str) -> Path:
    exe = helmrun.HELMS[name]
    if not exe.exists():
        pytest.fail(f"{exe} is missing: run `make tools` (the chart tests need real helm 3 and helm 4)")
    return exe


@pytest.fixture(params=sorted(helmrun.HELMS), scope="module")
def helm(request, tmp_path_factory):
    """A helm runner (helm3, then helm4) against chart/."""
    return helmrun.Helm(request.param, _require(request.param), tmp_path_factory.mktemp(request.param))


@pytest.fixture(scope="module")
def helm4(tmp_path_factory):
    """Helm 4 alone, for what only Helm 4 can do without a cluster."""
    return helmrun.Helm("helm4", _require("helm4"), tmp_path_factory.mktemp("helm4-only"))


@pytest.fixture(scope="session")
def chart_values():
    """The chart defaults (values.yaml), a fresh copy per test."""
    from kaireon_chart.chart import load_chart

    values = load_chart(helmrun.CHART).values
    return lambda: copy.deepcopy(values)
