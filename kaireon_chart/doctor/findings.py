"""Finding: one thing doctor found, and ``diagnose``: every check over one Snapshot (no cluster access here)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..problems import ERROR, WARNING
from .snapshot import Obj, Snapshot, dig, ts

INFO = "info"
SEVERITIES = {INFO: 0, WARNING: 1, ERROR: 2}
LAST_RUNS = 5  # how many of a CronJob's most recent Jobs the report shows and `job-failed-recently` looks at

# id -> (category, what it means): the stable finding ids (docs/render-values.md lists them)
IDS = {
    "drift": ("drift", "a live CronJob field differs from what the values render"),
    "cronjob-missing": ("drift", "the values render a CronJob the cluster does not have"),
    "cronjob-unexpected": ("drift", "the release has a CronJob the values do not render"),
    "schedule-invalid": ("missed", "the live schedule or timeZone cannot be parsed"),
    "missed": ("missed", "no successful run within 2 intervals of the schedule"),
    "late": ("missed", "lastScheduleTime is 2 or more fire times behind"),
    "too-many-missed": ("missed", "TooManyMissedTimes / FailedNeedsStart events from the CronJob controller"),
    "job-failed": (
        "failing",
        "the most recent finished run failed (BackoffLimitExceeded, DeadlineExceeded, ...)",
    ),
    "job-failed-recently": ("failing", "a failed run among the last runs, the most recent succeeded"),
    "image-pull": ("failing", "a pod cannot pull the trigger image (ImagePullBackOff, ErrImagePull)"),
    "pod-config": ("failing", "a pod cannot start its container (CreateContainerConfigError)"),
    "secret-key-missing": (
        "wiring",
        "the Secret lacks the key the trigger reads (CreateContainerConfigError)",
    ),
    "blocked": ("blocked", "a Job active past its activeDeadlineSeconds while Forbid skips the next runs"),
    "overdue": ("blocked", "a Job active past its activeDeadlineSeconds (runs still start: not Forbid)"),
    "service-missing": ("wiring", "the trigger URL's Service does not exist"),
    "service-no-endpoints": ("wiring", "the trigger URL's Service has no ready endpoints"),
    "secret-missing": ("wiring", "the Secret the trigger reads does not exist"),
    "suspended": ("suspended", "the CronJob is suspended: no run starts"),
    "history-limit-low": ("history", "failedJobsHistoryLimit too low to keep failed runs for investigation"),
}


@dataclass(frozen=True)
class Finding:
    id: str  # a key of IDS
    severity: str  # ERROR | WARNING | INFO
    cronjob: str  # the CronJob's name ("" for the release as a whole)
    message: str
    path: str = ""  # the dotted values path to change, where one applies

    @property
    def category(self) -> str:
        return IDS[self.id][0]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "category": self.category}


@dataclass
class Run:
    """One Job of a CronJob and how it ended."""

    name: str
    outcome: str  # succeeded | failed | active
    reason: str = ""
    message: str = ""
    started: str | None = None
    finished: str | None = None
    manual: bool = False


@dataclass
class JobView:
    """One live CronJob as the report shows it (what `kubectl get cronjob` does not: next run, last failure)."""

    name: str
    key: str
    schedule: str
    time_zone: str | None
    suspended: bool
    last_schedule: str | None
    last_success: str | None
    last_failure: str | None = None
    next_run: str | None = None
    runs: list[Run] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def owned(job: Obj, cronjob: str) -> bool:
    return any(
        ref.get("kind") == "CronJob" and ref.get("name") == cronjob
        for ref in dig(job, "metadata", "ownerReferences") or []
    )


def run_of(job: Obj) -> Run:
    conditions = {
        c.get("type"): c for c in dig(job, "status", "conditions") or [] if c.get("status") == "True"
    }
    outcome, cond = "active", None
    if "Complete" in conditions or "SuccessCriteriaMet" in conditions:
        outcome, cond = "succeeded", conditions.get("Complete") or conditions.get("SuccessCriteriaMet")
    elif "Failed" in conditions or "FailureTarget" in conditions:
        outcome, cond = "failed", conditions.get("Failed") or conditions.get("FailureTarget")
    finished = dig(job, "status", "completionTime") or (cond or {}).get("lastTransitionTime")
    return Run(
        name=dig(job, "metadata", "name") or "",
        outcome=outcome,
        reason=(cond or {}).get("reason") or "",
        message=(cond or {}).get("message") or "",
        started=dig(job, "status", "startTime") or dig(job, "metadata", "creationTimestamp"),
        finished=finished if outcome != "active" else None,
        manual=dig(job, "metadata", "annotations", "cronjob.kubernetes.io/instantiate") == "manual",
    )


def runs_of(snap: Snapshot, cronjob: str) -> list[tuple[Obj, Run]]:
    """The CronJob's Jobs, oldest first."""
    pairs = [(job, run_of(job)) for job in snap.jobs if owned(job, cronjob)]
    return sorted(pairs, key=lambda p: (ts(p[1].started) or snap.now, p[1].name))


def at_least(findings: list[Finding], severity: str) -> list[Finding]:
    return [f for f in findings if SEVERITIES[f.severity] >= SEVERITIES[severity]]
