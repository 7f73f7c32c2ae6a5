"""Prometheus metrics of the cron runs (one registry per app, so tests can build many apps).

* ``kaireon_cron_runs_total{route, outcome}``: outcome is success | error | skipped | not_implemented
  | unauthorized | auth_not_configured | database_unavailable | lease_lost | shutting_down
* ``kaireon_cron_run_duration_seconds{route}``: histogram of completed runs (success and error)
* ``kaireon_cron_rows_affected_total{route}``: rows the job reports it changed
* ``kaireon_cron_last_success_timestamp_seconds{route}``: unix time of the last successful run
* ``kaireon_cron_running{route}``: runs in progress in this process

Labels are route names only; no header, token or tenant data ever becomes a label value.
"""

from __future__ import annotations

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
            "kaireon_cron_runs", "Cron job runs by route and outcome.", ["route", "outcome"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "kaireon_cron_run_duration_seconds", "Duration of cron job runs.", ["route"],
            buckets=BUCKETS, registry=self.registry,
        )
        self.rows = Counter(
            "kaireon_cron_rows_affected", "Rows affected by cron job runs.", ["route"], registry=self.registry
        )
        self.last_success = Gauge(
            "kaireon_cron_last_success_timestamp_seconds", "Unix time of the last successful run.", ["route"],
            registry=self.registry,
        )
        self.running = Gauge(
            "kaireon_cron_running", "Cron job runs in progress in this process.", ["route"], registry=self.registry
        )

    def observe_run(self, route: str, outcome: str, duration_s: float | None = None,
                    rows: int | None = None, finished_at: float | None = None) -> None:
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
