"""A healthy release as the cluster holds it, built from what the chart renders, and helpers to break it."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from kaireon_chart import load_values, render_cronjobs
from kaireon_chart.cron import parse_schedule

NS = "prod"
RELEASE = "kaireon"
Obj = dict[str, Any]


def iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def prev_fire(expr: str, tz: str | None, now: datetime) -> datetime:
    """The schedule's last fire time at or before now."""
    sched = parse_schedule(expr)
    for back in (timedelta(hours=1), timedelta(days=2), timedelta(days=40), timedelta(days=400)):
        t = sched.next_after(now - back, tz)
        if t is not None and t <= now:
            while (nxt := sched.next_after(t, tz)) is not None and nxt <= now:
                t = nxt
            return t
    raise AssertionError(f"{expr} does not fire within 400 days")


def job_for(
    cj: Obj,
    scheduled: datetime,
    *,
    outcome: str = "succeeded",
    reason: str = "",
    started: datetime | None = None,
    finished: datetime | None = None,
) -> Obj:
    """The Job the CronJob controller creates for a scheduled time, in the given end state."""
    name = f"{cj['metadata']['name']}-{int(scheduled.timestamp()) // 60}"
    template = cj["spec"]["jobTemplate"]
    uid = f"job-{name}"
    labels = {
        **template["metadata"]["labels"],
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": name,
        "controller-uid": uid,
        "job-name": name,
    }
    started = started or scheduled + timedelta(seconds=1)
    finished = finished or started + timedelta(seconds=5)
    status: Obj = {"startTime": iso(started)}
    if outcome == "succeeded":
        status.update(
            succeeded=1,
            completionTime=iso(finished),
            conditions=[
                {
                    "type": "SuccessCriteriaMet",
                    "status": "True",
                    "reason": "CompletionsReached",
                    "lastProbeTime": iso(finished),
                    "lastTransitionTime": iso(finished),
                    "message": "Reached expected number of succeeded pods",
                },
                {
                    "type": "Complete",
                    "status": "True",
                    "reason": "CompletionsReached",
                    "lastProbeTime": iso(finished),
                    "lastTransitionTime": iso(finished),
                    "message": "Reached expected number of succeeded pods",
                },
            ],
        )
    elif outcome == "failed":
        message = {
            "BackoffLimitExceeded": "Job has reached the specified backoff limit",
            "DeadlineExceeded": "Job was active longer than specified deadline",
        }[reason]
        status.update(
            failed=2,
            conditions=[
                {
                    "type": "FailureTarget",
                    "status": "True",
                    "reason": reason,
                    "message": message,
                    "lastProbeTime": iso(finished),
                    "lastTransitionTime": iso(finished),
                },
                {
                    "type": "Failed",
                    "status": "True",
                    "reason": reason,
                    "message": message,
                    "lastProbeTime": iso(finished),
                    "lastTransitionTime": iso(finished),
                },
            ],
        )
    else:
        status.update(active=1, ready=0)
    spec = copy.deepcopy(template["spec"])
    spec["template"]["metadata"]["labels"].update(labels)
    spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": NS,
            "uid": uid,
            "labels": labels,
            "creationTimestamp": iso(scheduled),
            "annotations": {"batch.kubernetes.io/cronjob-scheduled-timestamp": iso(scheduled)},
            "ownerReferences": [
                {
                    "apiVersion": "batch/v1",
                    "kind": "CronJob",
                    "name": cj["metadata"]["name"],
                    "uid": cj["metadata"]["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": spec,
        "status": status,
    }


def pod_for(job: Obj, *, waiting: tuple[str, str] | None = None) -> Obj:
    """A pod of the Job: terminated with exit 0, or waiting with (reason, message)."""
    name = f"{job['metadata']['name']}-x7k2p"
    container = job["spec"]["template"]["spec"]["containers"][0]
    if waiting:
        state: Obj = {"waiting": {"reason": waiting[0], "message": waiting[1]}}
        phase = "Pending"
    else:
        state = {
            "terminated": {
                "exitCode": 0,
                "reason": "Completed",
                "startedAt": job["status"]["startTime"],
                "finishedAt": job["status"]["startTime"],
            }
        }
        phase = "Succeeded"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": NS,
            "uid": f"pod-{name}",
            "labels": job["spec"]["template"]["metadata"]["labels"],
            "ownerReferences": [
                {
                    "apiVersion": "batch/v1",
                    "kind": "Job",
                    "name": job["metadata"]["name"],
                    "uid": job["metadata"]["uid"],
                    "controller": True,
                }
            ],
        },
        "spec": copy.deepcopy(job["spec"]["template"]["spec"]),
        "status": {
            "phase": phase,
            "containerStatuses": [
                {
                    "name": container["name"],
                    "image": container["image"],
                    "imageID": "",
                    "ready": False,
                    "restartCount": 0,
                    "state": state,
                }
            ],
        },
    }


def event(
    kind: str,
    name: str,
    reason: str,
    message: str,
    *,
    type_: str = "Warning",
    count: int = 1,
    when: datetime | None = None,
) -> Obj:
    when = when or datetime.now(UTC)
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{name}.{reason.lower()}", "namespace": NS},
        "involvedObject": {"apiVersion": "batch/v1", "kind": kind, "name": name, "namespace": NS},
        "reason": reason,
        "message": message,
        "type": type_,
        "count": count,
        "source": {"component": "cronjob-controller" if kind == "CronJob" else "job-controller"},
        "firstTimestamp": iso(when),
        "lastTimestamp": iso(when),
    }


def healthy(now: datetime, values: Obj | None = None) -> list[Obj]:
    """Every object of a healthy release: CronJobs as rendered, one recent successful run each, the API
    Service with a ready endpoint, the Secret's metadata."""
    values = values if values is not None else load_values()
    objs: list[Obj] = []
    for cj in render_cronjobs(values, RELEASE, NS):
        cj["metadata"].update(
            uid=f"cj-{cj['metadata']['name']}", creationTimestamp=iso(now - timedelta(days=30))
        )
        last = prev_fire(cj["spec"]["schedule"], cj["spec"].get("timeZone"), now)
        job = job_for(cj, last, finished=min(last + timedelta(seconds=6), now))
        cj["status"] = {"lastScheduleTime": iso(last), "lastSuccessfulTime": job["status"]["completionTime"]}
        objs += [
            cj,
            job,
            pod_for(job),
            event(
                "CronJob",
                cj["metadata"]["name"],
                "SuccessfulCreate",
                f"Created job {job['metadata']['name']}",
                type_="Normal",
            ),
        ]
    service_labels = {"app.kubernetes.io/name": "kaireon", "app.kubernetes.io/instance": RELEASE}
    objs.append(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "kaireon", "namespace": NS, "labels": service_labels},
            "spec": {
                "type": "ClusterIP",
                "selector": service_labels,
                "ports": [{"name": "http", "port": 3000, "targetPort": "http", "protocol": "TCP"}],
            },
        }
    )
    objs.append(
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "addressType": "IPv4",
            "metadata": {
                "name": "kaireon-abcde",
                "namespace": NS,
                "labels": {"kubernetes.io/service-name": "kaireon", **service_labels},
            },
            "ports": [{"name": "http", "port": 3000, "protocol": "TCP"}],
            "endpoints": [
                {
                    "addresses": ["10.0.0.7"],
                    "conditions": {"ready": True, "serving": True, "terminating": False},
                }
            ],
        }
    )
    objs.append(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {"name": "api-secrets", "namespace": NS},
            "data": {"CRON_SECRET": "c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1sZWFr"},
        }
    )
    return objs
