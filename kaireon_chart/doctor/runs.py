"""Checks over time for one CronJob: suspended, missed or late, failing runs and pods, blocked, history limits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ..cron import CronError, parse_schedule
from ..problems import ERROR, WARNING
from .findings import LAST_RUNS, Finding, JobView, Run, runs_of
from .snapshot import Obj, Snapshot, dig, ts

MIN_FAILED_HISTORY = 3  # fewer kept failed Jobs and a pattern of failures is gone before anyone looks
SLACK = timedelta(minutes=2)  # the controller's own resync delay
PULL_REASONS = ("ImagePullBackOff", "ErrImagePull", "InvalidImageName")
MISSED_REASONS = ("TooManyMissedTimes", "FailedNeedsStart")  # FailedNeedsStart: the pre-1.23 controller


def _fires(schedule: Any, tz: str | None, after: datetime, until: datetime, limit: int = 3) -> list[datetime]:
    out: list[datetime] = []
    t = after
    while len(out) < limit:
        nxt = schedule.next_after(t, tz)
        if nxt is None or nxt > until:
            break
        out.append(nxt)
        t = nxt
    return out


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def check(snap: Snapshot, cj: Obj, src: dict[str, str]) -> tuple[JobView, list[Finding]]:
    name = dig(cj, "metadata", "name") or ""
    spec, status = cj.get("spec") or {}, cj.get("status") or {}
    tz = spec.get("timeZone")
    pairs = runs_of(snap, name)
    runs = [r for _, r in pairs]
    failed = [r for r in runs if r.outcome == "failed"]
    view = JobView(
        name=name,
        key=dig(cj, "metadata", "labels", "app.kubernetes.io/component") or "",
        schedule=spec.get("schedule", ""),
        time_zone=tz,
        suspended=bool(spec.get("suspend")),
        last_schedule=_iso(ts(status.get("lastScheduleTime"))),
        last_success=_iso(ts(status.get("lastSuccessfulTime"))),
        last_failure=_iso(ts(failed[-1].finished)) if failed else None,
        runs=runs[-LAST_RUNS:],
    )
    found: list[Finding] = []
    if view.suspended:
        found.append(
            Finding(
                "suspended",
                WARNING,
                name,
                "suspend is true: no run starts until it is resumed",
                src.get("suspend", ""),
            )
        )
    try:
        schedule = parse_schedule(view.schedule)
        view.next_run = None if view.suspended else _iso(schedule.next_after(snap.now, tz))
    except (CronError, ValueError, KeyError, LookupError) as exc:
        found.append(
            Finding(
                "schedule-invalid",
                ERROR,
                name,
                f"schedule {view.schedule!r} (timeZone {tz}) cannot be evaluated: {exc}",
                src.get("schedule", ""),
            )
        )
        schedule = None
    if schedule is not None and not view.suspended:
        found += _missed(snap, cj, schedule, runs, src)
    found += _events(snap, name)
    found += _failing(snap, name, pairs, src)
    found += _blocked(snap, cj, pairs, src)
    limit = spec.get("failedJobsHistoryLimit", 1)
    if limit < MIN_FAILED_HISTORY:
        found.append(
            Finding(
                "history-limit-low",
                WARNING,
                name,
                f"failedJobsHistoryLimit is {limit}: failed runs "
                f"are deleted before they can be investigated; keep at least {MIN_FAILED_HISTORY}",
                src.get("failedJobsHistoryLimit", ""),
            )
        )
    return view, found


def _missed(snap: Snapshot, cj: Obj, schedule: Any, runs: list[Run], src: dict[str, str]) -> list[Finding]:
    name, spec, status = cj["metadata"]["name"], cj.get("spec") or {}, cj.get("status") or {}
    tz = spec.get("timeZone")
    grace = (
        timedelta(
            seconds=(spec.get("startingDeadlineSeconds") or 0)
            + (dig(spec, "jobTemplate", "spec", "activeDeadlineSeconds") or 0)
        )
        + SLACK
    )
    successes = [ts(r.finished) for r in runs if r.outcome == "succeeded" and r.finished]
    last_ok = max([t for t in (ts(status.get("lastSuccessfulTime")), *successes) if t], default=None)
    since = last_ok or ts(dig(cj, "metadata", "creationTimestamp"))
    found: list[Finding] = []
    if since is not None:
        due = _fires(schedule, tz, since, snap.now - grace)
        if len(due) >= 2:
            what = f"since {_iso(last_ok)}" if last_ok else f"since the CronJob was created ({_iso(since)})"
            found.append(
                Finding(
                    "missed",
                    ERROR,
                    name,
                    f"no successful run {what}, though the schedule fired at "
                    f"{_iso(due[0])} and {_iso(due[1])} (in timeZone {tz or 'UTC'})",
                    src.get("schedule", ""),
                )
            )
    last = ts(status.get("lastScheduleTime"))
    if last is not None:
        behind = _fires(
            schedule, tz, last, snap.now - SLACK - timedelta(seconds=spec.get("startingDeadlineSeconds") or 0)
        )
        if len(behind) >= 2:
            found.append(
                Finding(
                    "late",
                    WARNING,
                    name,
                    f"lastScheduleTime {_iso(last)} is behind: the controller "
                    f"started nothing at {_iso(behind[0])} or {_iso(behind[1])} (Forbid with an active "
                    "Job, a suspended period, or the controller is not running)",
                    src.get("schedule", ""),
                )
            )
    return found


def _events(snap: Snapshot, name: str) -> list[Finding]:
    found: dict[str, Finding] = {}
    for ev in snap.events:
        obj = ev.get("involvedObject") or {}
        if obj.get("kind") == "CronJob" and obj.get("name") == name and ev.get("reason") in MISSED_REASONS:
            found[ev["reason"]] = Finding(
                "too-many-missed",
                ERROR,
                name,
                f"event {ev['reason']} (x{ev.get('count') or 1}): {ev.get('message') or ''}".rstrip(": "),
                "",
            )
    return list(found.values())


def _failing(snap: Snapshot, name: str, pairs: list[tuple[Obj, Run]], src: dict[str, str]) -> list[Finding]:
    found: list[Finding] = []
    finished = [r for _, r in pairs if r.outcome != "active"][-LAST_RUNS:]
    history = ", ".join(f"{r.name} {r.outcome}" + (f" ({r.reason})" if r.reason else "") for r in finished)
    paths = {"DeadlineExceeded": src.get("activeDeadlineSeconds", ""), "BackoffLimitExceeded": ""}
    if finished and finished[-1].outcome == "failed":
        last = finished[-1]
        hint = {
            "BackoffLimitExceeded": "the handler keeps failing (check its logs, the URL and the Secret)",
            "DeadlineExceeded": "the run outlived activeDeadlineSeconds",
        }.get(last.reason, last.message)
        found.append(
            Finding(
                "job-failed",
                ERROR,
                name,
                f"the last run {last.name} failed: {last.reason or 'Failed'} ({hint}); last runs: {history}",
                paths.get(last.reason, ""),
            )
        )
    elif any(r.outcome == "failed" for r in finished):
        found.append(
            Finding("job-failed-recently", WARNING, name, f"a recent run failed; last runs: {history}")
        )
    jobs = {dig(j, "metadata", "name") for j, _ in pairs}
    seen: set[str] = set()
    for pod in snap.pods:
        labels = dig(pod, "metadata", "labels") or {}
        job = (
            labels.get("batch.kubernetes.io/job-name")
            or labels.get("job-name")
            or next(
                (
                    r.get("name")
                    for r in dig(pod, "metadata", "ownerReferences") or []
                    if r.get("kind") == "Job"
                ),
                None,
            )
        )
        if job not in jobs:
            continue
        for cs in dig(pod, "status", "containerStatuses") or []:
            waiting = dig(cs, "state", "waiting") or {}
            reason, message = waiting.get("reason", ""), waiting.get("message", "")
            pod_name = dig(pod, "metadata", "name")
            if reason in PULL_REASONS and "image-pull" not in seen:
                seen.add("image-pull")
                found.append(
                    Finding(
                        "image-pull",
                        ERROR,
                        name,
                        f"pod {pod_name}: {reason} for {cs.get('image')}: {message}".rstrip(": "),
                        "cron.image",
                    )
                )
            elif reason == "CreateContainerConfigError" and "pod-config" not in seen:
                seen.add("pod-config")
                if "couldn't find key" in message:
                    found.append(
                        Finding(
                            "secret-key-missing", ERROR, name, f"pod {pod_name}: {message}", "cron.secret.key"
                        )
                    )
                else:
                    found.append(Finding("pod-config", ERROR, name, f"pod {pod_name}: {reason}: {message}"))
    return found


def _blocked(snap: Snapshot, cj: Obj, pairs: list[tuple[Obj, Run]], src: dict[str, str]) -> list[Finding]:
    name, policy = cj["metadata"]["name"], dig(cj, "spec", "concurrencyPolicy") or "Allow"
    skipped = sum(
        ev.get("count") or 1
        for ev in snap.events
        if ev.get("reason") == "JobAlreadyActive" and dig(ev, "involvedObject", "name") == name
    )
    found: list[Finding] = []
    for job, run in pairs:
        deadline, started = dig(job, "spec", "activeDeadlineSeconds"), ts(dig(job, "status", "startTime"))
        if run.outcome != "active" or deadline is None or started is None:
            continue
        age = int((snap.now - started).total_seconds())
        if age <= deadline:
            continue
        if policy == "Forbid":
            extra = f"; {skipped} JobAlreadyActive event(s)" if skipped else ""
            found.append(
                Finding(
                    "blocked",
                    ERROR,
                    name,
                    f"Job {run.name} has been active {age}s, past its "
                    f"activeDeadlineSeconds {deadline}, and concurrencyPolicy Forbid skips every run "
                    f"while it is active{extra} (a stuck pod or node?)",
                    src.get("concurrencyPolicy", ""),
                )
            )
        else:
            found.append(
                Finding(
                    "overdue",
                    WARNING,
                    name,
                    f"Job {run.name} has been active {age}s, past its activeDeadlineSeconds {deadline}",
                    src.get("activeDeadlineSeconds", ""),
                )
            )
    return found
