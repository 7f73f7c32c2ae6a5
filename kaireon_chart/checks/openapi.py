"""Layer 3's problems: OpenAPI violations of the rendered CronJobs, mapped back to the values path."""

from __future__ import annotations

from typing import Any

from .. import kube
from ..problems import ERROR, Problem
from ..render import ResolvedJob

_MANIFEST_FIELDS = {
    ("spec", "schedule"): "schedule",
    ("spec", "timeZone"): "timeZone",
    ("spec", "concurrencyPolicy"): "concurrencyPolicy",
    ("spec", "suspend"): "suspend",
    ("spec", "startingDeadlineSeconds"): "startingDeadlineSeconds",
    ("spec", "successfulJobsHistoryLimit"): "successfulJobsHistoryLimit",
    ("spec", "failedJobsHistoryLimit"): "failedJobsHistoryLimit",
    ("spec", "jobTemplate", "spec", "activeDeadlineSeconds"): "activeDeadlineSeconds",
    ("spec", "jobTemplate", "spec", "backoffLimit"): "backoffLimit",
    ("spec", "jobTemplate", "spec", "completions"): "shards",
    ("spec", "jobTemplate", "spec", "parallelism"): "shards",
}


def _values_path(job: ResolvedJob, path: tuple[Any, ...]) -> str:
    for prefix, field in _MANIFEST_FIELDS.items():
        if path[: len(prefix)] == prefix:
            return job.sources[field]
    text = ".".join(str(p) for p in path)
    if "resources" in path:
        return job.sources["resources"]
    if "image" in path or "imagePullPolicy" in path:
        return "cron.image"
    if "secretKeyRef" in path:
        return "cron.secret"
    if path[:2] == ("metadata", "name"):
        return f"cron.schedules.{job.key}"
    return f"cron.schedules.{job.key} (rendered {text})"


def run(manifests: list[dict[str, Any]], jobs: list[ResolvedJob], kube_version: str | None) -> list[Problem]:
    """The OpenAPI problems of ``manifests``, rendered from the enabled ``jobs`` in that order."""
    out = []
    version = kube.parse_version(kube_version)
    for issue in kube.validate_manifests(manifests, kube_version):
        job = jobs[issue.manifest] if issue.manifest < len(jobs) else None
        rendered = ".".join(str(p) for p in issue.path) or "(object)"
        path = _values_path(job, issue.path) if job else "cron"
        out.append(
            Problem(
                path,
                f"in CronJob {manifests[issue.manifest]['metadata']['name']} at {rendered}: "
                f"{issue.message} (Kubernetes {version[0]}.{version[1]} OpenAPI schema)",
                ERROR,
                "kube-schema",
            )
        )
    return out
