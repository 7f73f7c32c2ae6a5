"""kaireon_chart: validate kaireon chart values as Helm and Kubernetes would, and render the CronJobs.

Public API (stable)::

    load_chart(path=None) -> Chart
    load_values(files=(), set_values=(), set_string=(), set_json=(), chart=None, *, stdin=None) -> dict
    validate(values, *, release_name="kaireon", namespace="default", kube_version=None, chart=None)
        -> list[Problem]
    render_cronjobs(values, release_name="kaireon", namespace="default", chart=None) -> list[dict]
    resolve_jobs(values, release_name="kaireon", chart=None) -> list[ResolvedJob]
    parse_schedule(expr) -> Schedule        (raises CronError, a ValueError)

The names are imported lazily (PEP 562), so ``render-values`` only loads the modules a run needs.
"""

from __future__ import annotations

import importlib
from typing import Any

from .problems import Problem

__all__ = [
    "CronError",
    "Problem",
    "load_chart",
    "load_values",
    "parse_schedule",
    "render_cronjobs",
    "resolve_jobs",
    "validate",
]

_WHERE = {
    "load_chart": "chart",
    "load_values": "values",
    "render_cronjobs": "render",
    "resolve_jobs": "render",
    "parse_schedule": "cron",
    "CronError": "cron",
    "validate": "validation",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'kaireon_chart' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
