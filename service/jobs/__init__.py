"""The job registry: route name -> job module, imported lazily.

Every route the service answers is in :data:`JOB_MODULES` (route -> dotted module path). A
module is imported on first use; while it does not exist yet (``ModuleNotFoundError`` for *that*
module only), the route is "not implemented" and answers 501 — never a fake success. Any other
import error (a broken module, a missing dependency inside it) propagates, so it surfaces as a 500
with the real message instead of being mistaken for "not written yet".

``JOBS`` is a read-only mapping view over the *implemented* jobs: ``JOBS["cleanup"]`` is the module,
``"cleanup" in JOBS`` says whether it is importable, iteration yields the implemented routes.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from types import ModuleType

from kaireon_chart.registry import ROUTES

# The legacy /api/cron/tick route (alert rules + report schedules) runs the job registered as "tick".
LEGACY_ROUTE = "tick"

#: route name -> dotted module path, from the route registry (kaireon_chart/registry.py). Tests may
#: add entries (monkeypatch) for fake jobs.
JOB_MODULES: dict[str, str] = {
    **{route.name: f"service.jobs.{route.module}" for route in ROUTES},
    LEGACY_ROUTE: "service.jobs.legacy_tick",
}


def v1_routes() -> list[str]:
    """The /api/v1/cron/<route> names, in registry order (everything except the legacy tick)."""
    return [r for r in JOB_MODULES if r != LEGACY_ROUTE]


def load_job(route: str) -> ModuleType | None:
    """The job module for ``route``, or None while that module does not exist yet.

    Raises KeyError for a route that is not registered at all.
    """
    dotted = JOB_MODULES[route]
    try:
        module = importlib.import_module(dotted)
    except ModuleNotFoundError as exc:
        # Only "this very module is missing" means not implemented; a missing import *inside* the
        # module is a real error and must surface.
        if exc.name is not None and (exc.name == dotted or dotted.startswith(exc.name + ".")):
            importlib.invalidate_caches()  # a module committed later is found on the next call
            return None
        raise
    return module


def job_module_name(route: str) -> str:
    return JOB_MODULES[route]


class _JobsView(Mapping[str, ModuleType]):
    """Read-only, lazy view: implemented routes -> modules."""

    def __getitem__(self, route: str) -> ModuleType:
        module = load_job(route)
        if module is None:
            raise KeyError(route)
        return module

    def __iter__(self) -> Iterator[str]:
        return iter([r for r in JOB_MODULES if load_job(r) is not None])

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, route: object) -> bool:
        return isinstance(route, str) and route in JOB_MODULES and load_job(route) is not None

    def __repr__(self) -> str:
        return f"JOBS({sorted(self)})"


JOBS: Mapping[str, ModuleType] = _JobsView()

__all__ = ["JOBS", "JOB_MODULES", "LEGACY_ROUTE", "job_module_name", "load_job", "v1_routes"]
