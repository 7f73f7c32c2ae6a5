"""ServiceMonitor and PrometheusRule: the rules pass `promtool check rules` and fire (and stay
quiet) as intended on synthetic kube-state-metrics and kaireon-service series (`promtool test
rules`; promtool comes from Debian's `prometheus` package, `make promtool`)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from kaireon_chart import registry

PROMTOOL = shutil.which("promtool")
NS = "prod"
ENABLED = {
    "metrics": {
        "serviceMonitor": {
            "enabled": True,
            "scrapeTimeout": "10s",
            "labels": {"release": "kube-prometheus-stack"},
        },
        "prometheusRule": {"enabled": True, "severity": "critical"},
    }
}


@pytest.fixture(scope="module")
def docs(helm):
    return helm.template(ENABLED, release="k", namespace=NS)


def one(docs, kind):
    (doc,) = [d for d in docs if d["kind"] == kind]
    return doc


def test_off_by_default(helm):
    kinds = {d["kind"] for d in helm.template()}
    assert not kinds & {"ServiceMonitor", "PrometheusRule"}


def test_service_monitor_scrapes_the_api_service(docs):
    sm = one(docs, "ServiceMonitor")
    service = one(docs, "Service")
    assert sm["apiVersion"] == "monitoring.coreos.com/v1"
    assert sm["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert all(
        service["metadata"]["labels"][k] == v for k, v in sm["spec"]["selector"]["matchLabels"].items()
    )
    assert sm["spec"]["namespaceSelector"] == {"matchNames": [NS]}
    assert sm["spec"]["endpoints"] == [
        {"port": "http", "path": "/metrics", "interval": "30s", "scrapeTimeout": "10s"}
    ]
    assert service["spec"]["ports"][0]["name"] == "http"


def test_one_route_rule_per_enabled_job(docs, helm):
    rules = one(docs, "PrometheusRule")["spec"]["groups"][0]["rules"]
    route_rules = [r for r in rules if r["alert"] == "KaireonCronRouteNotSucceeding"]
    assert len(route_rules) == len(registry.scheduled())
    assert {r["labels"]["cronjob"] for r in route_rules} == {
        c["metadata"]["name"] for c in docs if c["kind"] == "CronJob"
    }
    fewer = helm.template(
        release="k",
        values={
            **ENABLED,
            "cron": {
                "schedules": {
                    "cleanup": {"enabled": False},
                    "legacy": {"schedule": "* * * * *", "path": "/api/cron/tick"},
                }
            },
        },
    )
    rules = one(fewer, "PrometheusRule")["spec"]["groups"][0]["rules"]
    assert (
        len([r for r in rules if r["alert"] == "KaireonCronRouteNotSucceeding"]) == 6
    )  # no route label for /api/cron/tick
    assert "k-kaireon-legacy" in rules[0]["expr"] and "k-kaireon-cleanup" not in rules[0]["expr"]


def _annotations(rule: dict, labels: dict) -> dict:
    out = {}
    for key, text in rule["annotations"].items():
        for name, value in labels.items():
            text = text.replace("{{ $labels." + name + " }}", value)
        out[key] = text
    return out


@pytest.mark.skipif(PROMTOOL is None, reason="unreachable: the promtool test below fails without promtool")
def test_promtool_checks_and_tests_the_rules(docs, tmp_path):
    rule_doc = one(docs, "PrometheusRule")
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(yaml.safe_dump({"groups": rule_doc["spec"]["groups"]}))
    check = subprocess.run([PROMTOOL, "check", "rules", str(rules_file)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "SUCCESS: 8 rules found" in check.stdout

    rules = {(r["alert"], r["labels"].get("cronjob")): r for r in rule_doc["spec"]["groups"][0]["rules"]}
    failed_rule = rules[("KaireonCronJobFailed", None)]
    route_rule = rules[("KaireonCronRouteNotSucceeding", "k-kaireon-approvals-expire")]
    failed_labels = {
        "namespace": NS,
        "job_name": "k-kaireon-cleanup-29000000",
        "owner_name": "k-kaireon-cleanup",
        "severity": "critical",
    }
    route_labels = {
        "route": "approvals-expire",
        "cronjob": "k-kaireon-approvals-expire",
        "severity": "critical",
    }
    scrape = f'namespace="{NS}", service="k-kaireon"'
    tests = {
        "rule_files": [str(rules_file)],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    # a Job of this release's cleanup CronJob fails at minute 5
                    {
                        "series": f'kube_job_status_failed{{namespace="{NS}", job_name="k-kaireon-cleanup-29000000", reason="BackoffLimitExceeded"}}',
                        "values": "0x4 1x20",
                    },
                    {
                        "series": f'kube_job_owner{{namespace="{NS}", job_name="k-kaireon-cleanup-29000000", owner_kind="CronJob", owner_name="k-kaireon-cleanup", owner_is_controller="true"}}',
                        "values": "1x25",
                    },
                    # another application's CronJob Job fails too: not ours, no alert
                    {
                        "series": f'kube_job_status_failed{{namespace="{NS}", job_name="other-123"}}',
                        "values": "1x25",
                    },
                    {
                        "series": f'kube_job_owner{{namespace="{NS}", job_name="other-123", owner_kind="CronJob", owner_name="other"}}',
                        "values": "1x25",
                    },
                    # approvals-expire: every 15 min (next - last schedule = 900 s); last success at t=600 s on
                    # one replica, never on the other -> older than 2 x 900 s from t > 2400 s (minute 40)
                    {
                        "series": f'kaireon_cron_last_success_timestamp_seconds{{{scrape}, pod="a", route="approvals-expire"}}',
                        "values": "_x9 600x50",
                    },
                    {
                        "series": f'kube_cronjob_next_schedule_time{{namespace="{NS}", cronjob="k-kaireon-approvals-expire"}}',
                        "values": "1800x60",
                    },
                    {
                        "series": f'kube_cronjob_status_last_schedule_time{{namespace="{NS}", cronjob="k-kaireon-approvals-expire"}}',
                        "values": "900x60",
                    },
                    # outbox-reaper (every 2 min) succeeds every minute: never alerts
                    {
                        "series": f'kaireon_cron_last_success_timestamp_seconds{{{scrape}, pod="a", route="outbox-reaper"}}',
                        "values": "0+60x60",
                    },
                    {
                        "series": f'kube_cronjob_next_schedule_time{{namespace="{NS}", cronjob="k-kaireon-outbox-reaper"}}',
                        "values": "120+60x60",
                    },
                    {
                        "series": f'kube_cronjob_status_last_schedule_time{{namespace="{NS}", cronjob="k-kaireon-outbox-reaper"}}',
                        "values": "0+60x60",
                    },
                ],
                "alert_rule_test": [
                    {"eval_time": "3m", "alertname": "KaireonCronJobFailed", "exp_alerts": []},
                    {
                        "eval_time": "10m",
                        "alertname": "KaireonCronJobFailed",
                        "exp_alerts": [
                            {
                                "exp_labels": failed_labels,
                                "exp_annotations": _annotations(failed_rule, failed_labels),
                            }
                        ],
                    },
                    {"eval_time": "39m", "alertname": "KaireonCronRouteNotSucceeding", "exp_alerts": []},
                    {
                        "eval_time": "45m",
                        "alertname": "KaireonCronRouteNotSucceeding",
                        "exp_alerts": [
                            {
                                "exp_labels": route_labels,
                                "exp_annotations": _annotations(route_rule, route_labels),
                            }
                        ],
                    },
                ],
            }
        ],
    }
    test_file = tmp_path / "tests.yaml"
    test_file.write_text(yaml.safe_dump(tests, sort_keys=False))
    run = subprocess.run([PROMTOOL, "test", "rules", str(test_file)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_promtool_is_installed():
    assert PROMTOOL, "promtool is missing: run `make promtool` (Debian's prometheus package)"
