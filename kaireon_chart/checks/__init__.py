"""The Kubernetes-rule checks: ``CHECKS``, every stable check id with its severity and one-line rule.

``render-values --list-checks`` and docs/checks.md print it. The rules live in the modules by topic:
tier.py (the cron tier and its secretKeyRef, the job loop), job.py (one resolved job's fields),
timing.py (schedule timing warnings), time_facts.py (behaviour over time: DST,
step ranges, deadlines against the interval; the facts `explain` shows), secrets.py (plaintext secrets), openapi.py (the OpenAPI layer's
problems mapped back to values paths).
"""

from __future__ import annotations

from .. import kuberules
from ..problems import ERROR, WARNING
from . import secrets, time_facts

CHECKS: dict[str, tuple[str, str]] = {
    # id: (severity, rule)
    "schema-*": (ERROR, "values.schema.json (types, enums, patterns, bounds, unknown keys, required keys)"),
    "cron-schedule": (
        ERROR,
        "schedule must parse as Kubernetes parses it (robfig/cron v3.0.1 ParseStandard)",
    ),
    "schedule-tz": (ERROR, "no TZ= or CRON_TZ= in the schedule; set timeZone instead"),
    "schedule-never-fires": (
        ERROR,
        "the schedule must have a fire time (Kubernetes accepts e.g. 30 Feb and never runs it)",
    ),
    "time-zone": (ERROR, "timeZone as the API server checks it: IANA name in the tz database, not Local"),
    "cronjob-name": (ERROR, "rendered CronJob name: DNS-1123 subdomain, at most 52 characters"),
    "cronjob-name-unique": (ERROR, "rendered CronJob names are unique across enabled jobs"),
    "release-name": (ERROR, "the release name is one helm accepts"),
    "int-field": (ERROR, "history limits, deadlines, backoffLimit: integers >= 0 within int32/int64"),
    "active-deadline": (ERROR, "activeDeadlineSeconds >= 1 (0 fails every run at once)"),
    "concurrency-policy": (ERROR, "concurrencyPolicy is Allow, Forbid or Replace"),
    "suspend": (ERROR, "suspend is true or false"),
    "secret-name": (ERROR, "cron.secret.name is a DNS-1123 subdomain (a Secret name)"),
    "secret-key": (ERROR, "cron.secret.key matches [-._a-zA-Z0-9]+, at most 253, not . or .. or ..-prefixed"),
    secrets.ID: (ERROR, "no plaintext secret in cron values or api.env"),
    "path": (ERROR, "path is required and has nothing a shell could interpret"),
    "shards": (
        ERROR,
        "shards is an integer 1-1000, only on the routes that loop over tenants (an Indexed Job)",
    ),
    "render": (ERROR, "the values render (helm would fail the same way)"),
    "values-file": (ERROR, "check: the values file is readable, valid YAML and a map (exit 2 otherwise)"),
    "kube-schema": (ERROR, "the rendered CronJob is valid against the Kubernetes OpenAPI schema (strict)"),
    "starting-deadline-short": (
        WARNING,
        "startingDeadlineSeconds under 10 may skip runs (the controller checks every 10 s)",
    ),
    "forbid-skips-runs": (
        WARNING,
        "under Forbid, activeDeadlineSeconds longer than the schedule's period skips runs",
    ),
    "every-minute-allow": (WARNING, "an every-minute schedule with concurrencyPolicy Allow can pile up runs"),
    "every-descriptor": (WARNING, "@every is accepted by Kubernetes but undocumented"),
    "days-or": (WARNING, "day-of-month and day-of-week both restricted: robfig fires on either (OR)"),
    "job-suspended": (WARNING, "the job is suspended: the CronJob exists but starts no Jobs"),
    "job-disabled": (WARNING, "the entry is disabled: no CronJob is rendered for it"),
    "cron-disabled": (WARNING, "cron.enabled is false: no CronJob is rendered at all"),
}
CHECKS.update(time_facts.CHECKS)  # the checks over time (time_facts.py)
# API-server rules on the pod extension points (labels, annotations, tolerations, quantities)
CHECKS.update({check: (ERROR, rule) for check, rule in kuberules.CHECKS.items()})
