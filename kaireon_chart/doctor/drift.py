"""Drift: each live CronJob field against what the given values render, field by field."""

from __future__ import annotations

from typing import Any

from ..problems import ERROR, WARNING, shown
from .findings import Finding
from .snapshot import Obj, Snapshot, dig

_POD = ("spec", "jobTemplate", "spec", "template", "spec")
# field -> where it sits in a CronJob (the values field of ResolvedJob.sources has the same name)
FIELDS: dict[str, tuple[str | int, ...]] = {
    "schedule": ("spec", "schedule"),
    "timeZone": ("spec", "timeZone"),
    "suspend": ("spec", "suspend"),
    "concurrencyPolicy": ("spec", "concurrencyPolicy"),
    "startingDeadlineSeconds": ("spec", "startingDeadlineSeconds"),
    "successfulJobsHistoryLimit": ("spec", "successfulJobsHistoryLimit"),
    "failedJobsHistoryLimit": ("spec", "failedJobsHistoryLimit"),
    "activeDeadlineSeconds": ("spec", "jobTemplate", "spec", "activeDeadlineSeconds"),
    "backoffLimit": ("spec", "jobTemplate", "spec", "backoffLimit"),
    "image": (*_POD, "containers", 0, "image"),
    "resources": (*_POD, "containers", 0, "resources"),
}
# what the API server stores when a field is left out (so an omitted field is no drift)
API_DEFAULTS: dict[str, Any] = {
    "suspend": False,
    "concurrencyPolicy": "Allow",
    "successfulJobsHistoryLimit": 3,
    "failedJobsHistoryLimit": 1,
    "backoffLimit": 6,
}
FIXED_PATHS = {"image": "cron.image", "url": "cron.apiUrl"}


def _env(cronjob: Obj, name: str) -> Any:
    for env in dig(cronjob, *_POD, "containers", 0, "env") or []:
        if env.get("name") == name:
            return env.get("value")
    return None


def _quantities(resources: Any) -> Any:
    """Requests/limits with each quantity as a number (the API server rewrites 0.1 as 100m)."""
    if not isinstance(resources, dict):
        return resources
    from kubernetes.utils import parse_quantity  # lazy: kubernetes is the [doctor] extra

    def number(q: Any) -> Any:
        try:
            return parse_quantity(q)  # type: ignore[no-untyped-call]
        except (ValueError, TypeError):
            return q

    return {kind: {k: number(v) for k, v in (m or {}).items()} for kind, m in resources.items() if m}


def _value(cronjob: Obj, name: str) -> Any:
    value = dig(cronjob, *FIELDS[name]) if name in FIELDS else _env(cronjob, "CRON_URL")
    if value is None:
        value = API_DEFAULTS.get(name)
    return _quantities(value) if name == "resources" else value


def check(snap: Snapshot, rendered: list[Obj], sources: dict[str, dict[str, str]]) -> list[Finding]:
    live = {dig(c, "metadata", "name"): c for c in snap.cronjobs}
    want = {dig(c, "metadata", "name"): c for c in rendered}
    found: list[Finding] = []
    for name, cj in sorted(want.items()):
        key = dig(cj, "metadata", "labels", "app.kubernetes.io/component") or name
        if name not in live:
            found.append(
                Finding(
                    "cronjob-missing",
                    ERROR,
                    name,
                    f"the values render CronJob {name} but "
                    f"{snap.namespace} has none (not installed or upgraded yet?)",
                    f"cron.schedules.{key}",
                )
            )
            continue
        src = sources.get(name, {})
        for field in (*FIELDS, "url"):
            have, should = _value(live[name], field), _value(cj, field)
            if have != should:
                shown_have = dig(live[name], *FIELDS[field]) if field == "resources" else have
                shown_should = dig(cj, *FIELDS[field]) if field == "resources" else should
                path = src.get("path" if field == "url" else field) or FIXED_PATHS.get(field, "")
                if field == "url" and not path:
                    path = FIXED_PATHS["url"]
                found.append(
                    Finding(
                        "drift",
                        WARNING,
                        name,
                        f"{field} is {shown(shown_have)} in the cluster, "
                        f"the values render {shown(shown_should)}",
                        path,
                    )
                )
    for name in sorted(set(live) - set(want)):
        key = dig(live[name], "metadata", "labels", "app.kubernetes.io/component") or name
        found.append(
            Finding(
                "cronjob-unexpected",
                WARNING,
                name,
                "the release has this CronJob but the values "
                "do not render it (disabled or renamed in the values?)",
                f"cron.schedules.{key}.enabled",
            )
        )
    return found
