"""`doctor --run-now`: the Job kubectl create job --from=cronjob/... makes, labelled as a manual run."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .conftest import Doctor
from .release import NS, job_for


def _finish(now: datetime, outcome: str, reason: str = "") -> Any:
    def finish(job: dict[str, Any]) -> dict[str, Any]:
        cj = {
            "metadata": {
                "name": job["metadata"]["ownerReferences"][0]["name"],
                "uid": job["metadata"]["ownerReferences"][0]["uid"],
            },
            "spec": {"jobTemplate": {"metadata": {"labels": {}}, "spec": job["spec"]}},
        }
        done = job_for(cj, now, outcome=outcome, reason=reason)
        return {**job, "status": done["status"]}

    return finish


def _created(doctor: Doctor) -> list[dict[str, Any]]:
    return [o for (p, _, n), o in doctor.api.objects.items() if p == "jobs" and "-manual-" in n]


def test_run_now_creates_the_job_kubectl_would(doctor: Doctor) -> None:
    code, out, err = doctor("--run-now", "cleanup")
    assert code == 0, err
    [job] = _created(doctor)
    cj = doctor.api.get("cronjobs", NS, "kaireon-cleanup")
    assert f"job.batch/{job['metadata']['name']} created from cronjob/kaireon-cleanup" in out
    assert job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"
    assert job["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "name": "kaireon-cleanup",
            "uid": cj["metadata"]["uid"],
            "controller": True,
        }
    ]
    assert job["metadata"]["labels"]["kaireonai.com/manual-run"] == "true"
    assert job["metadata"]["labels"]["app.kubernetes.io/instance"] == "kaireon"
    assert job["spec"] == cj["spec"]["jobTemplate"]["spec"]
    assert [m for m, _, _ in doctor.api.requests].count("POST") == 1


def test_run_now_wait_prints_the_outcome(doctor: Doctor) -> None:
    doctor.api.on_create = _finish(doctor.now, "succeeded")
    code, out, _ = doctor("--run-now", "kaireon-cleanup", "--wait", "--poll", "0.01")
    assert code == 0 and out.rstrip().endswith("succeeded")
    doctor.api.on_create = _finish(doctor.now, "failed", "BackoffLimitExceeded")
    code, out, _ = doctor("--run-now", "outboxReaper", "--wait", "--poll", "0.01")
    assert code == 1 and "failed: BackoffLimitExceeded" in out


def test_run_now_wait_gives_up_after_the_timeout(doctor: Doctor) -> None:
    code, out, _ = doctor("--run-now", "cleanup", "--wait", "--timeout", "0.05", "--poll", "0.01")
    assert code == 1 and "still running after" in out


def test_a_manual_run_counts_in_the_last_runs(doctor: Doctor) -> None:
    doctor("--run-now", "cleanup")
    [job] = _created(doctor)
    job["status"] = job_for(
        doctor.api.get("cronjobs", NS, "kaireon-cleanup"), doctor.now - timedelta(seconds=30)
    )["status"]
    code, doc = doctor.json()
    view = next(c for c in doc["cronjobs"] if c["name"] == "kaireon-cleanup")
    assert [r["manual"] for r in view["runs"]] == [False, True]


def test_run_now_an_unknown_job(doctor: Doctor) -> None:
    code, _, err = doctor("--run-now", "nope")
    assert code == 2 and "kaireon-cleanup" in err and not _created(doctor)
