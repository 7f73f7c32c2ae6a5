"""Toggles and per-job overrides: 0 and false survive, big integers stay integers, timeZone rules."""

from __future__ import annotations


def jobs(helm, values=None, **kwargs):
    return {
        c["metadata"]["labels"]["app.kubernetes.io/component"]: c for c in helm.cronjobs(values, **kwargs)
    }


def job_spec(cj):
    return cj["spec"]["jobTemplate"]["spec"]


def env(cj):
    return {e["name"]: e.get("value") for e in job_spec(cj)["template"]["spec"]["containers"][0]["env"]}


def test_cron_disabled_renders_no_cronjob(helm):
    docs = helm.template({"cron": {"enabled": False}})
    assert [d for d in docs if d["kind"] == "CronJob"] == []
    assert any(d["kind"] == "Deployment" for d in docs)  # the API tier stays


def test_one_job_disabled(helm):
    got = jobs(helm, {"cron": {"schedules": {"flowSchedulerTick": {"enabled": False}}}})
    assert "flowSchedulerTick" not in got and len(got) == 6


def test_entry_without_enabled_is_enabled(helm):
    got = jobs(
        helm, {"cron": {"schedules": {"nightly": {"schedule": "0 1 * * *", "path": "/api/v1/cron/x"}}}}
    )
    assert got["nightly"]["metadata"]["name"] == "kaireon-nightly"
    assert env(got["nightly"])["CRON_URL"].endswith("/api/v1/cron/x")


def test_null_removes_a_default_job(helm):
    got = jobs(helm, "cron:\n  schedules:\n    cleanup: null\n")
    assert "cleanup" not in got and len(got) == 6


def test_zero_and_false_overrides_survive(helm):
    values = {
        "cron": {
            "suspend": True,
            "schedules": {
                "cleanup": {
                    "successfulJobsHistoryLimit": 0,
                    "failedJobsHistoryLimit": 0,
                    "backoffLimit": 0,
                    "startingDeadlineSeconds": 0,
                    "suspend": False,
                }
            },
        }
    }
    got = jobs(helm, values)
    spec = got["cleanup"]["spec"]
    assert spec["successfulJobsHistoryLimit"] == 0
    assert spec["failedJobsHistoryLimit"] == 0
    assert spec["startingDeadlineSeconds"] == 0
    assert spec["suspend"] is False
    assert job_spec(got["cleanup"])["backoffLimit"] == 0
    assert got["outboxReaper"]["spec"]["suspend"] is True  # the tier default elsewhere


def test_zero_tier_defaults_survive(helm):
    got = jobs(
        helm, {"cron": {"successfulJobsHistoryLimit": 0, "failedJobsHistoryLimit": 0, "backoffLimit": 0}}
    )
    for cj in got.values():
        assert cj["spec"]["successfulJobsHistoryLimit"] == 0 and cj["spec"]["failedJobsHistoryLimit"] == 0
        assert job_spec(cj)["backoffLimit"] == 0


def test_large_integers_render_as_integers(helm):
    values = {
        "cron": {
            "activeDeadlineSeconds": 2592000,
            "schedules": {
                "cleanup": {
                    "startingDeadlineSeconds": 1209600,
                    "activeDeadlineSeconds": 31536000,
                    "successfulJobsHistoryLimit": 2147483647,
                }
            },
        }
    }
    got = jobs(helm, values)
    cleanup = got["cleanup"]
    assert cleanup["spec"]["startingDeadlineSeconds"] == 1209600
    assert cleanup["spec"]["successfulJobsHistoryLimit"] == 2147483647
    assert job_spec(cleanup)["activeDeadlineSeconds"] == 31536000
    assert env(cleanup)["CRON_MAX_TIME"] == "28382400.0"
    assert job_spec(got["gitopsDriftCheck"])["activeDeadlineSeconds"] == 2592000  # the tier default
    for cj in got.values():
        assert isinstance(job_spec(cj)["activeDeadlineSeconds"], int)


def test_large_integers_from_set(helm):
    got = jobs(helm, sets=[("--set", "cron.activeDeadlineSeconds=2592000")])
    assert job_spec(got["cleanup"])["activeDeadlineSeconds"] == 2592000


def test_curl_time_limit_stays_below_the_deadline(helm):
    got = jobs(
        helm,
        {
            "cron": {
                "schedules": {
                    "cleanup": {"activeDeadlineSeconds": 1},
                    "outboxReaper": {"activeDeadlineSeconds": 7},
                    "approvalsExpire": {"activeDeadlineSeconds": 60},
                }
            }
        },
    )
    assert env(got["cleanup"])["CRON_MAX_TIME"] == "0.9"
    assert env(got["outboxReaper"])["CRON_MAX_TIME"] == "6.3"
    assert env(got["approvalsExpire"])["CRON_MAX_TIME"] == "54.0"


def test_time_zone_set_unset_and_per_job(helm):
    got = jobs(helm, {"cron": {"timeZone": "", "schedules": {"cleanup": {"timeZone": "Europe/Berlin"}}}})
    assert got["cleanup"]["spec"]["timeZone"] == "Europe/Berlin"
    assert "timeZone" not in got["outboxReaper"]["spec"]
    got = jobs(helm, {"cron": {"timeZone": "America/New_York", "schedules": {"cleanup": {"timeZone": ""}}}})
    assert "timeZone" not in got["cleanup"]["spec"]  # a job's "" wins over the tier default
    assert got["outboxReaper"]["spec"]["timeZone"] == "America/New_York"


def test_per_job_policy_resources_and_deadline(helm):
    got = jobs(
        helm,
        {
            "cron": {
                "schedules": {
                    "scheduledRetrains": {
                        "concurrencyPolicy": "Replace",
                        "activeDeadlineSeconds": 3600,
                        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
                    }
                }
            }
        },
    )
    retrain = got["scheduledRetrains"]
    assert retrain["spec"]["concurrencyPolicy"] == "Replace"
    assert job_spec(retrain)["activeDeadlineSeconds"] == 3600
    # a job's resources replace the tier block as a whole
    assert job_spec(retrain)["template"]["spec"]["containers"][0]["resources"] == {
        "requests": {"cpu": "50m", "memory": "64Mi"}
    }
    assert got["cleanup"]["spec"]["concurrencyPolicy"] == "Forbid"


def test_api_url_and_secret_wiring(helm):
    got = jobs(
        helm,
        {"cron": {"apiUrl": "https://api.example.com/", "secret": {"name": "cron-auth", "key": "token"}}},
    )
    cj = got["cleanup"]
    assert env(cj)["CRON_URL"] == "https://api.example.com/api/v1/cron/cleanup"
    ref = {e["name"]: e for e in job_spec(cj)["template"]["spec"]["containers"][0]["env"]}["CRON_SECRET"]
    assert ref["valueFrom"]["secretKeyRef"] == {"name": "cron-auth", "key": "token"}


def test_operator_routes_are_plain_entries(helm):
    values = {
        "cron": {
            "schedules": {
                "dsarPurge": {"schedule": "0 3 * * *", "path": "/api/v1/cron/dsar-purge"},
                "siemShip": {"schedule": "*/5 * * * *", "path": "/api/v1/cron/siem-ship"},
                "exportInteractions": {
                    "schedule": "0 * * * *",
                    "path": "/api/v1/cron/export-interactions",
                    "activeDeadlineSeconds": 3300,
                },
            }
        }
    }
    got = jobs(helm, values, release="prod", namespace="kaireon")
    assert len(got) == 10
    assert got["dsarPurge"]["metadata"]["name"] == "prod-kaireon-dsar-purge"
    assert got["siemShip"]["spec"]["schedule"] == "*/5 * * * *"
    assert env(got["exportInteractions"])["CRON_URL"] == (
        "http://prod-kaireon.kaireon.svc.cluster.local:3000/api/v1/cron/export-interactions"
    )
    assert (
        got["exportInteractions"]["metadata"]["labels"]["app.kubernetes.io/component"] == "exportInteractions"
    )


def test_values_yaml_documents_the_operator_routes():
    from kaireon_chart.chart import load_chart

    text = (load_chart().path / "values.yaml").read_text()
    for route in ("/api/v1/cron/dsar-purge", "/api/v1/cron/siem-ship", "/api/v1/cron/export-interactions"):
        assert f"#   path: {route}" in text
    assert "dsarPurge" not in load_chart().values["cron"]["schedules"]  # commented out, not wired
