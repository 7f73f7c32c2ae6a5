"""Each finding planted in an otherwise healthy release, read through the real kubernetes client."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .conftest import Doctor
from .release import NS, event, iso, job_for, pod_for

CLEANUP = "kaireon-cleanup"


def _ids(findings: list[dict[str, Any]], cronjob: str | None = None) -> set[str]:
    return {f["id"] for f in findings if cronjob is None or f["cronjob"] == cronjob}


def _one(findings: list[dict[str, Any]], id_: str) -> dict[str, Any]:
    hits = [f for f in findings if f["id"] == id_]
    assert len(hits) == 1, findings
    return hits[0]


def _cleanup(doctor: Doctor) -> dict[str, Any]:
    return doctor.api.get("cronjobs", NS, CLEANUP)


def test_drift_is_reported_field_by_field_with_the_values_path(doctor: Doctor) -> None:
    cj = _cleanup(doctor)
    cj["spec"]["schedule"] = "0 6 * * *"
    cj["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"] = 900
    container = cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    container["image"] = "docker.io/curlimages/curl:8.0.0"
    container["env"][0]["value"] = "http://kaireon.prod.svc.cluster.local:3000/api/v1/cron/old"
    container["resources"]["limits"]["cpu"] = "0.1"  # the same quantity as 100m: no drift
    code, doc = doctor.json("--fail-on", "warning")
    assert code == 1
    drift = {f["path"]: f for f in doc["findings"] if f["id"] == "drift"}
    assert set(drift) == {
        "cron.schedules.cleanup.schedule",
        "cron.activeDeadlineSeconds",
        "cron.image",
        "cron.schedules.cleanup.path",
    }
    assert all(f["cronjob"] == CLEANUP and f["severity"] == "warning" for f in drift.values())
    assert (
        '"0 6 * * *" in the cluster, the values render "30 4 * * *"'
        in drift["cron.schedules.cleanup.schedule"]["message"]
    )
    # warnings only: the default --fail-on error passes
    assert doctor()[0] == 0


def test_a_cronjob_the_values_render_but_the_cluster_lacks_and_the_reverse(doctor: Doctor) -> None:
    doctor.api.remove("cronjobs", NS, CLEANUP)
    findings = doctor.findings("--set", "cron.schedules.scheduledRetrains.enabled=false")
    assert _one(findings, "cronjob-missing")["path"] == "cron.schedules.cleanup"
    extra = _one(findings, "cronjob-unexpected")
    assert extra["cronjob"] == "kaireon-scheduled-retrains"
    assert extra["path"] == "cron.schedules.scheduledRetrains.enabled"


def test_a_suspended_cronjob_is_reported_with_its_values_path(doctor: Doctor) -> None:
    _cleanup(doctor)["spec"]["suspend"] = True
    findings = doctor.findings("--set", "cron.schedules.cleanup.suspend=true")
    assert _ids(findings) == {"suspended"}
    assert _one(findings, "suspended")["path"] == "cron.schedules.cleanup.suspend"
    code, out, _ = doctor("--set", "cron.schedules.cleanup.suspend=true")
    assert code == 0 and "suspended" in out


def test_no_successful_run_within_two_intervals_is_missed(doctor: Doctor) -> None:
    cj = _cleanup(doctor)
    doctor.api.remove(
        "jobs", NS, next(n for p, _, n in doctor.api.objects if p == "jobs" and n.startswith(CLEANUP))
    )
    old = doctor.now - timedelta(days=3)
    cj["status"] = {"lastScheduleTime": cj["status"]["lastScheduleTime"], "lastSuccessfulTime": iso(old)}
    code, doc = doctor.json()
    assert code == 1
    missed = _one(doc["findings"], "missed")
    assert missed["cronjob"] == CLEANUP and missed["severity"] == "error"
    assert missed["path"] == "cron.schedules.cleanup.schedule" and "T04:30:00Z" in missed["message"]


def _due(since: datetime, until: datetime, zone: str) -> int:
    """Fires of "30 4 * * *" in ``zone`` within (since, until], counted with zoneinfo (not the parser)."""
    tz = ZoneInfo(zone)
    day = since.astimezone(tz).date() - timedelta(days=1)
    count = 0
    while (fire := datetime.combine(day, time(4, 30), tz)) <= until:
        count += since < fire
        day += timedelta(days=1)
    return count


def test_the_schedule_is_evaluated_in_the_cronjobs_time_zone(doctor: Doctor) -> None:
    until = doctor.now - timedelta(
        minutes=17
    )  # the grace: startingDeadlineSeconds + activeDeadlineSeconds + 2 min
    since = next(
        doctor.now - timedelta(hours=h)
        for h in range(24, 49)
        if _due(doctor.now - timedelta(hours=h), until, "UTC") >= 2
        and _due(doctor.now - timedelta(hours=h), until, "Pacific/Auckland") < 2
    )
    for p, _, n in [k for k in doctor.api.objects if k[0] == "jobs" and k[2].startswith(CLEANUP)]:
        doctor.api.remove(p, NS, n)
    cj = _cleanup(doctor)
    cj["status"]["lastSuccessfulTime"] = iso(since)
    assert _ids(doctor.findings(), CLEANUP) == {"missed"}  # in UTC: two fires without a success
    cj["spec"]["timeZone"] = "Pacific/Auckland"
    assert (
        _ids(doctor.findings("--set", "cron.schedules.cleanup.timeZone=Pacific/Auckland"), CLEANUP) == set()
    )


def test_last_schedule_time_far_behind_is_late(doctor: Doctor) -> None:
    cj = doctor.api.get("cronjobs", NS, "kaireon-approvals-expire")
    cj["status"]["lastScheduleTime"] = iso(doctor.now - timedelta(hours=2))
    late = _one(doctor.findings(), "late")
    assert late["cronjob"] == "kaireon-approvals-expire" and late["severity"] == "warning"


def test_too_many_missed_times_and_the_legacy_failed_needs_start_events(doctor: Doctor) -> None:
    doctor.api.plant(
        event(
            "CronJob",
            CLEANUP,
            "TooManyMissedTimes",
            "too many missed start times: 101. Set or decrease .spec.startingDeadlineSeconds or check clock skew",
        ),
        event(
            "CronJob",
            "kaireon-outbox-reaper",
            "FailedNeedsStart",
            "Cannot determine if job needs to be started",
        ),
    )
    findings = [f for f in doctor.findings() if f["id"] == "too-many-missed"]
    assert {f["cronjob"] for f in findings} == {CLEANUP, "kaireon-outbox-reaper"}
    assert all(f["severity"] == "error" for f in findings)


def _fail_last_run(doctor: Doctor, reason: str) -> None:
    cj = _cleanup(doctor)
    last = doctor.now - timedelta(hours=1)
    doctor.api.plant(job_for(cj, last, outcome="failed", reason=reason))


def test_backoff_limit_exceeded_is_a_failing_run_with_the_last_runs(doctor: Doctor) -> None:
    _fail_last_run(doctor, "BackoffLimitExceeded")
    failed = _one(doctor.findings(), "job-failed")
    assert failed["cronjob"] == CLEANUP and "BackoffLimitExceeded" in failed["message"]
    assert "succeeded" in failed["message"]  # the earlier run, in the last runs
    code, doc = doctor.json()
    view = next(c for c in doc["cronjobs"] if c["name"] == CLEANUP)
    assert [r["outcome"] for r in view["runs"]] == ["succeeded", "failed"] and view["last_failure"]


def test_deadline_exceeded_points_at_active_deadline_seconds(doctor: Doctor) -> None:
    _fail_last_run(doctor, "DeadlineExceeded")
    assert _one(doctor.findings(), "job-failed")["path"] == "cron.activeDeadlineSeconds"


def test_an_older_failure_followed_by_a_success_is_a_warning(doctor: Doctor) -> None:
    doctor.api.plant(
        job_for(
            _cleanup(doctor), doctor.now - timedelta(days=2), outcome="failed", reason="BackoffLimitExceeded"
        )
    )
    code, doc = doctor.json()
    assert code == 0 and _one(doc["findings"], "job-failed-recently")["severity"] == "warning"


def _stuck_pod(doctor: Doctor, reason: str, message: str) -> None:
    job = job_for(_cleanup(doctor), doctor.now - timedelta(minutes=3), outcome="active")
    doctor.api.plant(job, pod_for(job, waiting=(reason, message)))


def test_image_pull_back_off(doctor: Doctor) -> None:
    _stuck_pod(doctor, "ImagePullBackOff", 'Back-off pulling image "docker.io/curlimages/curl:8.11.1"')
    assert _one(doctor.findings(), "image-pull")["path"] == "cron.image"


def test_create_container_config_error_for_a_missing_secret_key(doctor: Doctor) -> None:
    _stuck_pod(
        doctor, "CreateContainerConfigError", "couldn't find key CRON_SECRET in Secret prod/api-secrets"
    )
    found = _one(doctor.findings(), "secret-key-missing")
    assert found["path"] == "cron.secret.key" and "CRON_SECRET" in found["message"]


def test_a_job_past_its_deadline_under_forbid_is_blocked(doctor: Doctor) -> None:
    started = doctor.now - timedelta(hours=2)
    doctor.api.plant(
        job_for(_cleanup(doctor), started, outcome="active"),
        event(
            "CronJob",
            CLEANUP,
            "JobAlreadyActive",
            "Not starting job because prior execution is running and concurrency policy is Forbid",
            type_="Normal",
            count=4,
        ),
    )
    blocked = _one(doctor.findings(), "blocked")
    assert (
        blocked["severity"] == "error"
        and "600" in blocked["message"]
        and "4 JobAlreadyActive" in blocked["message"]
    )
    # the same Job under Allow: runs still start, a warning
    _cleanup(doctor)["spec"]["concurrencyPolicy"] = "Allow"
    findings = doctor.findings("--set", "cron.schedules.cleanup.concurrencyPolicy=Allow")
    assert "blocked" not in _ids(findings) and _one(findings, "overdue")["severity"] == "warning"


def test_the_trigger_services_missing_or_without_ready_endpoints(doctor: Doctor) -> None:
    slice_ = doctor.api.get("endpointslices", NS, "kaireon-abcde")
    slice_["endpoints"][0]["conditions"]["ready"] = False
    findings = doctor.findings()
    assert {f["cronjob"] for f in findings if f["id"] == "service-no-endpoints"} == {
        n for p, _, n in doctor.api.objects if p == "cronjobs"
    }
    doctor.api.remove("services", NS, "kaireon")
    missing = [f for f in doctor.findings() if f["id"] == "service-missing"]
    assert len(missing) == 7 and missing[0]["path"] == "cron.apiUrl"
    assert "kaireon.prod.svc.cluster.local" in missing[0]["message"]


def test_a_missing_secret(doctor: Doctor) -> None:
    doctor.api.remove("secrets", NS, "api-secrets")
    findings = [f for f in doctor.findings() if f["id"] == "secret-missing"]
    assert len(findings) == 7 and findings[0]["path"] == "cron.secret.name"


def test_history_limits_too_low(doctor: Doctor) -> None:
    for (p, _, _), cj in doctor.api.objects.items():
        if p == "cronjobs":
            cj["spec"]["failedJobsHistoryLimit"] = 1
    findings = doctor.findings("--set", "cron.failedJobsHistoryLimit=1")
    assert _ids(findings) == {"history-limit-low"}
    assert {f["path"] for f in findings} == {"cron.failedJobsHistoryLimit"}


def test_text_output_lists_findings_worst_first(doctor: Doctor) -> None:
    _fail_last_run(doctor, "BackoffLimitExceeded")
    _cleanup(doctor)["spec"]["schedule"] = "0 6 * * *"
    code, out, _ = doctor()
    assert code == 1
    table = out.split("SEVERITY")[1].splitlines()[1:3]
    assert table[0].startswith("error") and "job-failed" in table[0]
    assert table[1].startswith("warning") and "drift" in table[1]
