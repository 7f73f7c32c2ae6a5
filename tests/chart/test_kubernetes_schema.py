"""Every rendered manifest is strictly valid for Kubernetes 1.27 and the newest version
kubernetes-validate ships (types, unknown fields)."""

from __future__ import annotations

import pytest

from .helmrun import FULL_VALUES

kubernetes_validate = pytest.importorskip("kubernetes_validate")

VERSIONS = ["1.27.0", kubernetes_validate.latest_version()]

RICH = {
    "secrets": {"create": True},
    "api": {"env": [{"name": "LOG_LEVEL", "value": "DEBUG"}], "replicas": 1},
    "cron": {
        "timeZone": "",
        "successfulJobsHistoryLimit": 0,
        "activeDeadlineSeconds": 2592000,
        "schedules": {
            "cleanup": {
                "timeZone": "Europe/Berlin",
                "suspend": True,
                "failedJobsHistoryLimit": 0,
                "resources": {"requests": {"cpu": 0.5, "memory": "16Mi"}, "limits": {"cpu": 1}},
            },
            "dsarPurge": {"schedule": "0 3 * * *", "path": "/api/v1/cron/dsar-purge"},
            "siemShip": {
                "schedule": "*/5 * * * *",
                "path": "/api/v1/cron/siem-ship",
                "concurrencyPolicy": "Allow",
            },
            "exportInteractions": {
                "schedule": "@hourly",
                "path": "/api/v1/cron/export-interactions",
                "startingDeadlineSeconds": 0,
                "backoffLimit": 0,
            },
        },
    },
}


FULL = {
    **FULL_VALUES,
    "migration": {"enabled": True},
    "networkPolicy": {
        "ingressFrom": [{"namespaceSelector": {"matchLabels": {"name": "ingress"}}}],
        "extraEgress": [
            {"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}], "ports": [{"port": 443, "protocol": "TCP"}]}
        ],
    },
}
# Prometheus Operator kinds are not in the Kubernetes OpenAPI schema (tests/chart/test_monitoring.py)
CRD_KINDS = {"ServiceMonitor", "PrometheusRule"}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("case", ["defaults", "rich", "full"])
def test_rendered_manifests_are_strictly_valid(helm, case, version):
    values = {"rich": RICH, "full": FULL}.get(case)
    docs = helm.template(
        values, release="a-very-long-release-name-for-the-production-cluster1", namespace="kaireon-prod"
    )
    kinds = sorted({d["kind"] for d in docs})
    assert {"CronJob", "Deployment", "Service", "ServiceAccount", "NetworkPolicy", "Pod"} <= set(kinds)
    if case == "full":
        assert {"HorizontalPodAutoscaler", "PodDisruptionBudget", "Job", "Secret"} <= set(kinds)
    for doc in docs:
        if doc["kind"] in CRD_KINDS:
            continue
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{doc['kind']}/{doc['metadata']['name']} invalid for {version}: {exc}")


def test_the_strict_check_does_reject(helm):
    """Guard against a vacuous check: an unknown field and a wrong type are reported."""
    cronjob = helm.cronjobs()[0]
    cronjob["spec"]["jobTemplate"]["spec"]["activeDeadline"] = 5
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(cronjob, VERSIONS[-1], strict=True)
    cronjob = helm.cronjobs()[0]
    cronjob["spec"]["successfulJobsHistoryLimit"] = "3"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(cronjob, "1.27.0", strict=True)
