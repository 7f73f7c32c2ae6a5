"""Fixtures for the parity tests: real helm 3 and helm 4 (runner shared with tests/chart)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "kaireon_tests_helmrun", Path(__file__).resolve().parents[1] / "chart" / "helmrun.py"
)
helmrun = sys.modules.setdefault(_spec.name, importlib.util.module_from_spec(_spec))
if not hasattr(helmrun, "Helm"):
    _spec.loader.exec_module(helmrun)


@pytest.fixture(params=sorted(helmrun.HELMS), scope="module")
def helm(request, tmp_path_factory):
    exe = helmrun.HELMS[request.param]
    if not exe.exists():
        pytest.fail(f"{exe} is missing: run `make tools` (the parity tests need real helm 3 and helm 4)")
    return helmrun.Helm(request.param, exe, tmp_path_factory.mktemp(request.param))


@pytest.fixture(scope="session")
def chart():
    from kaireon_chart.chart import load_chart

    return load_chart(helmrun.CHART)


@pytest.fixture(scope="session")
def merge():
    """Helm's merge of user values over chart defaults (helmrun.coalesce)."""
    return helmrun.coalesce
