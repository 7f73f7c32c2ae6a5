"""Prometheus metrics of the cron runs (one registry per app, so tests can build many apps).

* ``kaireon_cron_runs_total{route, outcome}``: outcome is success | error | skipped | not_implemented
  | unauthorized | auth_not_configured | database_unavailable | lease_lost | shutting_down
* ``kaireon_cron_run_duration_seconds{route}``: histogram of completed runs (success and error)
* ``kaireon_cron_rows_affected_total{route}``: rows the job reports it changed
* ``kaireon_cron_last_success_timestamp_seconds{route}``: unix time of the last successful run
* ``kaireon_cron_running{route}``: runs in progress in this process
* ``kaireon_siem_events_total{backend, outcome}``: audit events siem-ship handled; outcome is
  shipped | failed | dead_lettered
* ``kaireon_siem_backlog_rows{backend}``: audit rows not yet acknowledged, as of the last run
* ``kaireon_siem_oldest_unshipped_age_seconds{backend}``: age of the oldest of them at the last run
  (0 when none); ``kaireon_siem_oldest_unshipped_timestamp_seconds{backend}`` its created_at (unix
  time, 0 when none), for alerts that compute a live age
* ``kaireon_export_objects_purged_total{route, action}``: export objects dsar-purge / cleanup
  deleted or rewrote without expired rows; action is deleted | rewritten

Labels are route names only; no header, token or tenant data ever becomes a label value.
"""

from __future__ import annotations

import weakref

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self.runs = Counter(
            "kaireon_cron_runs",
            "Cron job runs by route and outcome.",
            ["route", "outcome"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "kaireon_cron_run_duration_seconds",
            "Duration of cron job runs.",
            ["route"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.rows = Counter(
            "kaireon_cron_rows_affected", "Rows affected by cron job runs.", ["route"], registry=self.registry
        )
        self.last_success = Gauge(
            "kaireon_cron_last_success_timestamp_seconds",
            "Unix time of the last successful run.",
            ["route"],
            registry=self.registry,
        )
        self.running = Gauge(
            "kaireon_cron_running",
            "Cron job runs in progress in this process.",
            ["route"],
            registry=self.registry,
        )
        self.siem = SiemMetrics(self.registry)
        self.export_objects = Counter(
            "kaireon_export_objects_purged",
            "Export objects a retention purge deleted or rewrote.",
            ["route", "action"],
            registry=self.registry,
        )
        _LIVE.add(self)

    def observe_run(
        self,
        route: str,
        outcome: str,
        duration_s: float | None = None,
        rows: int | None = None,
        finished_at: float | None = None,
    ) -> None:
        self.runs.labels(route=route, outcome=outcome).inc()
        if duration_s is not None:
            self.duration.labels(route=route).observe(duration_s)
        if rows:
            self.rows.labels(route=route).inc(rows)
        if outcome == "success" and finished_at is not None:
            self.last_success.labels(route=route).set(finished_at)

    def prime(self, routes: list[str]) -> None:
        """Create the per-route series at zero so dashboards see every route from the start."""
        for r in routes:
            self.runs.labels(route=r, outcome="success")
            self.runs.labels(route=r, outcome="error")
            self.rows.labels(route=r)
            self.running.labels(route=r)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class SiemMetrics:
    """siem-ship's figures per back end (label values: splunk | datadog | elastic only)."""

    OUTCOMES = ("shipped", "failed", "dead_lettered")

    def __init__(self, registry: CollectorRegistry) -> None:
        self.events = Counter(
            "kaireon_siem_events",
            "Audit events handled by siem-ship, by back end and outcome.",
            ["backend", "outcome"],
            registry=registry,
        )
        self.backlog = Gauge(
            "kaireon_siem_backlog_rows",
            "Audit rows not yet acknowledged by the SIEM (last run).",
            ["backend"],
            registry=registry,
        )
        self.oldest_age = Gauge(
            "kaireon_siem_oldest_unshipped_age_seconds",
            "Age of the oldest audit row not yet acknowledged, at the last run (0 = none).",
            ["backend"],
            registry=registry,
        )
        self.oldest_ts = Gauge(
            "kaireon_siem_oldest_unshipped_timestamp_seconds",
            "created_at (unix time) of the oldest audit row not yet acknowledged (0 = none).",
            ["backend"],
            registry=registry,
        )

    def observe(
        self,
        backend: str,
        *,
        shipped: int,
        failed: int,
        dead_lettered: int,
        backlog: int,
        oldest_age_s: float,
        oldest_ts: float,
    ) -> None:
        for outcome, n in zip(self.OUTCOMES, (shipped, failed, dead_lettered), strict=True):
            counter = self.events.labels(backend=backend, outcome=outcome)
            if n:
                counter.inc(n)
        self.backlog.labels(backend=backend).set(backlog)
        self.oldest_age.labels(backend=backend).set(oldest_age_s)
        self.oldest_ts.labels(backend=backend).set(oldest_ts)


#: every Metrics of this process (an app builds one; tests build many). Jobs do not see the app, so
#: :func:`observe_siem` publishes to all of them.
_LIVE: weakref.WeakSet[Metrics] = weakref.WeakSet()


def observe_siem(
    backend: str,
    *,
    shipped: int,
    failed: int,
    dead_lettered: int,
    backlog: int,
    oldest_age_s: float,
    oldest_ts: float,
) -> None:
    """Record one siem-ship run's figures in every live metrics registry of the process."""
    for m in list(_LIVE):
        m.siem.observe(
            backend,
            shipped=shipped,
            failed=failed,
            dead_lettered=dead_lettered,
            backlog=backlog,
            oldest_age_s=oldest_age_s,
            oldest_ts=oldest_ts,
        )


def observe_export_purge(route: str, *, deleted: int, rewritten: int) -> None:
    """Record export objects a retention purge deleted / rewrote, in every live metrics registry."""
    for m in list(_LIVE):
        for action, n in (("deleted", deleted), ("rewritten", rewritten)):
            counter = m.export_objects.labels(route=route, action=action)
            if n:
                counter.inc(n)
