"""`doctor --run-now`: a Job from a CronJob, as `kubectl create job --from=cronjob/NAME` builds it."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from .client import TIMEOUT, Unreachable, _reason, kube
from .findings import Run, run_of
from .snapshot import Obj

MANUAL_LABEL = "kaireonai.com/manual-run"


def job_from_cronjob(cronjob: Obj, now: datetime) -> Obj:
    """The Job kubectl's createJobFromCronJob makes, plus the manual-run label; name <cronjob>-manual-<unix>."""
    template = (cronjob.get("spec") or {}).get("jobTemplate") or {}
    meta = template.get("metadata") or {}
    name = f"{cronjob['metadata']['name']}-manual-{int(now.timestamp())}"[:63].rstrip("-")
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": cronjob["metadata"].get("namespace"),
            "labels": {**(meta.get("labels") or {}), MANUAL_LABEL: "true"},
            # kubectl: the manual annotation first, the template's annotations win on conflict
            "annotations": {"cronjob.kubernetes.io/instantiate": "manual", **(meta.get("annotations") or {})},
            "ownerReferences": [
                {
                    "apiVersion": "batch/v1",
                    "kind": "CronJob",
                    "name": cronjob["metadata"]["name"],
                    "uid": cronjob["metadata"]["uid"],
                    "controller": True,
                }
            ],
        },
        "spec": template.get("spec") or {},
    }


def find_cronjob(cronjobs: list[Obj], wanted: str) -> Obj | None:
    """By CronJob name or by values key (the app.kubernetes.io/component label)."""
    for cj in cronjobs:
        meta = cj.get("metadata") or {}
        if wanted in (meta.get("name"), (meta.get("labels") or {}).get("app.kubernetes.io/component")):
            return cj
    return None


def create(api: Any, cronjob: Obj, now: datetime) -> str:
    k8s = kube()
    body = job_from_cronjob(cronjob, now)
    batch = k8s.client.BatchV1Api(api)
    try:
        created = batch.create_namespaced_job(body["metadata"]["namespace"], body, _request_timeout=TIMEOUT)
    except Exception as exc:
        raise _reason(exc, f"create job from cronjob/{cronjob['metadata']['name']}") from None
    return str(created.metadata.name)


def wait(api: Any, namespace: str, name: str, timeout: float, poll: float = 2.0) -> Run:
    """Poll the Job until it succeeds or fails, or ``timeout`` seconds pass (then outcome "active")."""
    k8s = kube()
    batch = k8s.client.BatchV1Api(api)
    deadline = time.monotonic() + timeout
    while True:
        try:
            job = api.sanitize_for_serialization(
                batch.read_namespaced_job(name, namespace, _request_timeout=TIMEOUT)
            )
        except Exception as exc:
            raise _reason(exc, f"get job {namespace}/{name}") from None
        run = run_of(job)
        if run.outcome != "active" or time.monotonic() >= deadline:
            return run
        time.sleep(poll)


__all__ = ["MANUAL_LABEL", "Unreachable", "create", "find_cronjob", "job_from_cronjob", "wait"]
