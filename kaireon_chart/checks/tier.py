"""The cron tier's rules: plaintext secrets, cron.enabled, cron.secret, then each resolved job in turn."""

from __future__ import annotations

from typing import Any

from .. import kuberules
from ..problems import ERROR, WARNING, Problem
from ..problems import shown as _q
from ..render import ResolvedJob
from . import secrets
from .job import _DNS1123_SUBDOMAIN, _SECRET_KEY, _job


def run(values: dict[str, Any], jobs: list[ResolvedJob] | None) -> list[Problem]:
    """Layer 2: API-server rules and warnings for the tier and every resolved job (``jobs`` None: the
    jobs could not be resolved, which the caller reports)."""
    out: list[Problem] = []
    cron = values.get("cron")
    for path, message in secrets.scan(values):
        out.append(Problem(path, message, ERROR, secrets.ID))
    for path, message, check in kuberules.scan(values):
        out.append(Problem(path, message, ERROR, check))
    if not isinstance(cron, dict):
        return out
    if cron.get("enabled") is False:
        out.append(
            Problem(
                "cron.enabled",
                "false: the cron tier renders no CronJob at all; set cron.enabled: true to run the jobs",
                WARNING,
                "cron-disabled",
            )
        )
    out.extend(_secret_ref(cron.get("secret")))
    seen_names: dict[str, str] = {}
    for job in jobs or []:
        if not job.enabled:
            out.append(
                Problem(
                    f"cron.schedules.{job.key}.enabled",
                    "false: no CronJob is rendered for this entry; remove the entry or set enabled: true",
                    WARNING,
                    "job-disabled",
                )
            )
            continue
        if cron.get("enabled") is False:
            # nothing renders: keep the errors (helm validates the values anyway), drop run-time warnings
            out.extend(p for p in _job(job) if p.severity == ERROR)
            continue
        out.extend(_job(job))
        other = seen_names.get(job.name)
        if other is not None:
            # the chart's own `fail` says the same (chart/templates/cronjobs.yaml)
            out.append(
                Problem(
                    f"cron.schedules.{job.key}",
                    f"CronJob name {_q(job.name)} is already used by "
                    f"cron.schedules.{other}; rename one of the keys",
                    ERROR,
                    "cronjob-name-unique",
                )
            )
        seen_names.setdefault(job.name, job.key)
    return out


def _secret_ref(secret: Any) -> list[Problem]:
    if not isinstance(secret, dict):
        return []
    out = []
    name, key = secret.get("name"), secret.get("key")
    if not isinstance(name, str) or not name or len(name) > 253 or not _DNS1123_SUBDOMAIN.match(name):
        out.append(
            Problem(
                "cron.secret.name",
                f"{_q(name)} is not a valid Secret name; allowed: a DNS-1123 subdomain "
                "(lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, "
                "at most 253 characters)",
                ERROR,
                "secret-name",
            )
        )
    if not isinstance(key, str) or not key:
        out.append(
            Problem(
                "cron.secret.key",
                f"{_q(key)} is not a valid Secret key; allowed: letters, digits, "
                "'-', '_' and '.', at most 253 characters",
                ERROR,
                "secret-key",
            )
        )
    elif len(key) > 253 or not _SECRET_KEY.match(key) or key in (".", "..") or key.startswith(".."):
        why = (
            "must not be '.' or '..' or start with '..'"
            if _SECRET_KEY.match(key) and len(key) <= 253
            else "must consist of letters, digits, '-', '_' or '.' (at most 253 characters)"
        )
        out.append(
            Problem(
                "cron.secret.key",
                f"{_q(key)} is not a valid Secret key: {why}; allowed: e.g. CRON_SECRET",
                ERROR,
                "secret-key",
            )
        )
    return out
