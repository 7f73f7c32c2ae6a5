"""Every cron route of the kaireon service: the one place a route's name and default schedule are written.

Derived from it: the values key (camelCase of the name) and path (``/api/v1/cron/<name>``), the
service's job registry (``service.jobs.JOB_MODULES``), the routes ``add-route`` knows, the route
tables of README.md and docs/service.md (``make generate``). chart/values.yaml holds the default
schedules helm reads; tests/structure/test_routes.py checks it against this table.
"""

from __future__ import annotations

from typing import NamedTuple

API_PREFIX = "/api/v1/cron/"


class Route(NamedTuple):
    name: str  # kebab-case, the last segment of the path
    module: str  # service/jobs/<module>.py
    schedule: str | None  # the chart's default schedule; None: operator-wired (render-values add-route)

    @property
    def key(self) -> str:
        """The ``cron.schedules`` key: the name in camelCase (dsar-purge -> dsarPurge)."""
        return camel(self.name)

    @property
    def path(self) -> str:
        return API_PREFIX + self.name


ROUTES: tuple[Route, ...] = (
    Route("cleanup", "cleanup", "30 4 * * *"),
    Route("engagement-health-recompute", "engagement_health", "15 3 * * *"),
    Route("gitops-drift-check", "gitops_drift", "0 5 * * *"),
    Route("approvals-expire", "approvals_expire", "*/15 * * * *"),
    Route("flow-scheduler-tick", "flow_scheduler_tick", "* * * * *"),
    Route("scheduled-retrains", "scheduled_retrains", "0 2 * * *"),
    Route("outbox-reaper", "outbox_reaper", "*/2 * * * *"),
    Route("dsar-purge", "dsar_purge", None),
    Route("siem-ship", "siem_ship", None),
    Route("export-interactions", "export_interactions", None),
)


def camel(name: str) -> str:
    head, *rest = name.split("-")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def scheduled() -> list[Route]:
    """The routes the chart schedules by default, in registry order."""
    return [r for r in ROUTES if r.schedule is not None]


def operator_wired() -> list[Route]:
    """The routes that ship without a schedule (their cadence is the operator's policy)."""
    return [r for r in ROUTES if r.schedule is None]


def by_name(name: str) -> Route | None:
    return next((r for r in ROUTES if r.name == name), None)
