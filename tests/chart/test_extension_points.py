"""The Bitnami/bjw-s extension points on the API Deployment, its Service and the trigger pods
(helm 3 and helm 4), and the schema keeping the pods restricted whatever is overridden."""

from __future__ import annotations

import copy

import pytest

from kaireon_chart.chart import load_chart
from kaireon_chart.validation import validate

from .helmrun import DIGEST, FULL_VALUES, coalesce


@pytest.fixture(scope="module")
def full(helm):
    return helm.template(FULL_VALUES, release="rel", namespace="ns")


def one(docs, kind):
    (doc,) = [d for d in docs if d["kind"] == kind]
    return doc


def cronjob(docs, key):
    (doc,) = [
        d
        for d in docs
        if d["kind"] == "CronJob" and d["metadata"]["labels"]["app.kubernetes.io/component"] == key
    ]
    return doc


def test_api_pod_extension_points(full):
    deploy = one(full, "Deployment")
    pod = deploy["spec"]["template"]["spec"]
    (api,) = pod["containers"]
    assert api["image"] == f"mirror.example.com:5000/kaireonai/kaireon-service:0.1.0@{DIGEST}"
    assert pod["imagePullSecrets"] == [
        {"name": "regcred"},
        {"name": "api-only"},
    ]  # global first, de-duplicated
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux", "pool": "general"}
    assert pod["tolerations"] == FULL_VALUES["api"]["tolerations"]
    assert pod["affinity"] == FULL_VALUES["api"]["affinity"]
    assert pod["topologySpreadConstraints"] == FULL_VALUES["api"]["topologySpreadConstraints"]
    assert pod["priorityClassName"] == "high"
    assert [e["name"] for e in api["env"]] == ["PORT", "LOG_LEVEL", "FEATURE_X"]
    assert api["envFrom"] == [{"secretRef": {"name": "api-secrets"}}, *FULL_VALUES["api"]["extraEnvFrom"]]
    assert {"name": "ca", "configMap": {"name": "corp-ca"}} in pod["volumes"]
    assert {"name": "ca", "mountPath": "/etc/ssl/corp", "readOnly": True} in api["volumeMounts"]
    assert api["startupProbe"] == {
        "httpGet": {"path": "/healthz", "port": "http"},
        "initialDelaySeconds": 0,
        "periodSeconds": 5,
        "timeoutSeconds": 1,
        "failureThreshold": 60,
    }
    assert (
        api["livenessProbe"]["timeoutSeconds"] == 3 and api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    )
    # overrides merge over the restricted defaults
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 20000,
        "runAsGroup": 10001,
        "fsGroup": 10001,
        "fsGroupChangePolicy": "OnRootMismatch",
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert api["securityContext"]["allowPrivilegeEscalation"] is False
    assert api["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert "replicas" not in deploy["spec"]  # the HorizontalPodAutoscaler owns it


def test_common_and_pod_metadata(full):
    deploy = one(full, "Deployment")
    for doc in full:
        labels = doc["metadata"]["labels"]
        assert labels["team"] == "payments", doc["kind"]
        assert labels["app.kubernetes.io/name"] == "kaireon", "the chart's own labels win a clash"
        # the helm test pod is a trigger-like pod: cron.podAnnotations win over commonAnnotations
        expected = "44" if doc["kind"] == "Pod" else "42"
        assert doc["metadata"]["annotations"]["example.com/cost-center"] == expected, doc["kind"]
    pod_meta = deploy["spec"]["template"]["metadata"]
    assert pod_meta["labels"]["tier"] == "api" and pod_meta["labels"]["team"] == "payments"
    assert pod_meta["annotations"] == {"example.com/cost-center": "43", "sidecar.istio.io/inject": "false"}
    assert deploy["spec"]["selector"]["matchLabels"] == {
        "app.kubernetes.io/name": "kaireon",
        "app.kubernetes.io/instance": "rel",
        "app.kubernetes.io/component": "api",
    }
    assert one(full, "Service")["metadata"]["annotations"] == {
        "example.com/cost-center": "42",
        "example.com/lb": "internal",
    }


def test_trigger_pods_tier_wide_and_per_job(full):
    tier = cronjob(full, "gitopsDriftCheck")["spec"]["jobTemplate"]["spec"]["template"]
    assert (
        tier["spec"]["containers"][0]["image"] == f"mirror.example.com:5000/curlimages/curl:8.11.1@{DIGEST}"
    )
    assert tier["spec"]["imagePullSecrets"] == [{"name": "regcred"}, {"name": "cron-only"}]
    assert tier["spec"]["nodeSelector"] == {"pool": "batch"} and tier["spec"]["priorityClassName"] == "low"
    assert tier["metadata"]["labels"]["tier"] == "cron"
    assert tier["metadata"]["annotations"] == {"example.com/cost-center": "44"}
    assert tier["spec"]["securityContext"]["runAsUser"] == 30000
    # per job: the job's value replaces the tier's, and {} / [] / "" survive
    job = cronjob(full, "cleanup")["spec"]["jobTemplate"]["spec"]["template"]
    assert "nodeSelector" not in job["spec"] and "tolerations" not in job["spec"]
    assert "priorityClassName" not in job["spec"]
    assert job["metadata"]["labels"]["job"] == "x" and "tier" not in job["metadata"]["labels"]
    other = cronjob(full, "dsarPurge")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert other["affinity"]["nodeAffinity"] and other["nodeSelector"] == {"pool": "batch"}


def test_registry_fields_without_global(helm):
    docs = helm.template(
        {
            "api": {"image": {"registry": "", "repository": "kaireon-service", "tag": "1.2.3"}},
            "cron": {"image": {"registry": "quay.io"}},
        }
    )
    assert (
        one(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]["image"]
        == "kaireon-service:1.2.3"
    )
    pod = cronjob(docs, "cleanup")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["containers"][0]["image"] == "quay.io/curlimages/curl:8.11.1"
    assert "imagePullSecrets" not in pod


WEAKENING = {  # values that would leave the restricted profile: the schema keeps every one out
    "privileged": {"api": {"containerSecurityContext": {"privileged": True}}},
    "capabilities-add": {"api": {"containerSecurityContext": {"capabilities": {"add": ["NET_ADMIN"]}}}},
    "escalation": {"cron": {"containerSecurityContext": {"allowPrivilegeEscalation": True}}},
    "writable-root": {"api": {"containerSecurityContext": {"readOnlyRootFilesystem": False}}},
    "root": {"api": {"podSecurityContext": {"runAsNonRoot": False}}},
    "uid-0": {"api": {"podSecurityContext": {"runAsUser": 0}}},
    "trigger-low-uid": {"cron": {"podSecurityContext": {"runAsUser": 1000}}},
    "job-low-uid": {"cron": {"schedules": {"cleanup": {"containerSecurityContext": {"runAsUser": 100}}}}},
    "unconfined-seccomp": {"api": {"podSecurityContext": {"seccompProfile": {"type": "Unconfined"}}}},
    "host-pid": {"api": {"podSecurityContext": {"hostPID": True}}},
    "host-network": {"api": {"hostNetwork": True}},
    "host-path": {"api": {"extraVolumes": [{"name": "h", "hostPath": {"path": "/"}}]}},
    "selinux-user": {"api": {"podSecurityContext": {"seLinuxOptions": {"user": "root"}}}},
    "sysctls": {"api": {"podSecurityContext": {"sysctls": [{"name": "kernel.msgmax", "value": "1"}]}}},
    "bad-label": {"commonLabels": {"-x": "y"}},
    "bad-toleration": {"cron": {"tolerations": [{"key": "a", "operator": "Exists", "value": "b"}]}},
    "bad-quantity": {"api": {"resources": {"limits": {"cpu": "1 core"}}}},
}


@pytest.mark.parametrize("case", sorted(WEAKENING))
def test_schema_keeps_the_pods_restricted(helm, chart_values, case):
    err = helm.template_error(WEAKENING[case])
    assert "values don't meet the specifications of the schema" in err
    problems = validate(
        coalesce(chart_values(), copy.deepcopy(WEAKENING[case])), chart=load_chart(), kube_schema=False
    )
    assert [p for p in problems if p.severity == "error"], case


def test_full_values_validate_cleanly(chart_values):
    problems = validate(coalesce(chart_values(), copy.deepcopy(FULL_VALUES)), chart=load_chart())
    assert [str(p) for p in problems if p.severity == "error"] == []
