"""Fixtures for the whole suite."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_result_cache(tmp_path_factory):
    """Keep render-values' on-disk result cache out of the user's home during tests."""
    old = os.environ.get("KAIREON_CHART_CACHE_DIR")
    os.environ["KAIREON_CHART_CACHE_DIR"] = str(tmp_path_factory.mktemp("kaireon-chart-cache"))
    yield
    if old is None:
        os.environ.pop("KAIREON_CHART_CACHE_DIR", None)
    else:
        os.environ["KAIREON_CHART_CACHE_DIR"] = old
