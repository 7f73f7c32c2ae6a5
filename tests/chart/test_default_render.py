"""The default render: the seed's seven jobs, the API tier, and every hardening rule."""

from __future__ import annotations

import re

import pytest

from kaireon_chart import registry

SEED_JOBS = {  # key -> (schedule, path), exactly as the seed lists them
    "cleanup": ("30 4 * * *", "/api/v1/cron/cleanup"),
    "engagementHealthRecompute": ("15 3 * * *", "/api/v1/cron/engagement-health-recompute"),
    "gitopsDriftCheck": ("0 5 * * *", "/api/v1/cron/gitops-drift-check"),
    "approvalsExpire": ("*/15 * * * *", "/api/v1/cron/approvals-expire"),
    "flowSchedulerTick": ("* * * * *", "/api/v1/cron/flow-scheduler-tick"),
    "scheduledRetrains": ("0 2 * * *", "/api/v1/cron/scheduled-retrains"),
    "outboxReaper": ("*/2 * * * *", "/api/v1/cron/outbox-reaper"),
}
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@pytest.fixture(scope="module")
def docs(helm):
    return helm.template(release="kaireon", namespace="prod")


def by_kind(docs, kind):
    return [d for d in docs if d["kind"] == kind]


def pod_of(cronjob):
    return cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def env_of(cronjob):
    return {e["name"]: e for e in pod_of(cronjob)["containers"][0]["env"]}


def test_exactly_the_registry_jobs_and_the_seed_ones_among_them(docs):
    default = {r.key: (r.schedule, r.path) for r in registry.scheduled()}
    assert SEED_JOBS.items() <= default.items()
    cronjobs = by_kind(docs, "CronJob")
    got = {c["metadata"]["labels"]["app.kubernetes.io/component"]: c for c in cronjobs}
    assert sorted(got) == sorted(default)
    assert [c["metadata"]["labels"]["app.kubernetes.io/component"] for c in cronjobs] == sorted(default)
    for key, (schedule, path) in default.items():
        cj = got[key]
        assert cj["apiVersion"] == "batch/v1"
        assert cj["spec"]["schedule"] == schedule
        assert env_of(cj)["CRON_URL"]["value"] == f"http://kaireon.prod.svc.cluster.local:3000{path}"


def test_names_are_fullname_plus_kebab_key(docs):
    names = sorted(c["metadata"]["name"] for c in by_kind(docs, "CronJob"))
    assert names == sorted(
        [
            "kaireon-cleanup",
            "kaireon-engagement-health-recompute",
            "kaireon-gitops-drift-check",
            "kaireon-approvals-expire",
            "kaireon-flow-scheduler-tick",
            "kaireon-scheduled-retrains",
            "kaireon-outbox-reaper",
        ]
    )
    assert all(DNS_LABEL.match(n) and len(n) <= 52 for n in names)


def test_tier_defaults(docs):
    for cj in by_kind(docs, "CronJob"):
        spec = cj["spec"]
        assert spec["concurrencyPolicy"] == "Forbid"
        assert spec["successfulJobsHistoryLimit"] == 3
        assert spec["failedJobsHistoryLimit"] == 5
        assert spec["timeZone"] == "UTC"
        assert spec["suspend"] is False
        job = spec["jobTemplate"]["spec"]
        # the tier default, except the two jobs whose period is shorter than it (a run must end
        # before the next is due, or Forbid skips it)
        expected = {"flow-scheduler-tick": 55, "outbox-reaper": 110}
        key = cj["metadata"]["name"].removeprefix("kaireon-")
        assert job["activeDeadlineSeconds"] == expected.get(key, 600)
        # likewise the starting deadline (a missed run is skipped, not started late: starting-deadline-long)
        assert spec["startingDeadlineSeconds"] == {"flow-scheduler-tick": 50, "outbox-reaper": 100}.get(
            key, 300
        )
        assert job["backoffLimit"] == 1
        # curl gives up before Kubernetes kills the pod
        assert 0 < float(env_of(cj)["CRON_MAX_TIME"]["value"]) < job["activeDeadlineSeconds"]


def test_cron_pod_hardening(docs):
    for cj in by_kind(docs, "CronJob"):
        pod = pod_of(cj)
        assert pod["restartPolicy"] == "Never"
        assert pod["automountServiceAccountToken"] is False
        psc = pod["securityContext"]
        assert psc["runAsNonRoot"] is True
        assert psc["runAsUser"] == 10100 and psc["runAsGroup"] == 10100
        assert psc["seccompProfile"] == {"type": "RuntimeDefault"}
        (container,) = pod["containers"]
        assert container["image"] == "docker.io/curlimages/curl:8.11.1"
        assert not container["image"].endswith(":latest")
        csc = container["securityContext"]
        assert csc["allowPrivilegeEscalation"] is False
        assert csc["readOnlyRootFilesystem"] is True
        assert csc["capabilities"] == {"drop": ["ALL"]}
        assert container["resources"]["requests"] == {"cpu": "10m", "memory": "32Mi"}
        assert container["resources"]["limits"] == {"cpu": "100m", "memory": "64Mi"}


def test_secret_only_through_secret_key_ref(docs):
    for cj in by_kind(docs, "CronJob"):
        container = pod_of(cj)["containers"][0]
        env = env_of(cj)
        assert env["CRON_SECRET"] == {
            "name": "CRON_SECRET",
            "valueFrom": {"secretKeyRef": {"name": "api-secrets", "key": "CRON_SECRET"}},
        }
        # constant script; every value arrives through the environment, the header through stdin
        shell, flag, script = container["command"]
        assert (shell, flag) == ("/bin/sh", "-c")
        assert "args" not in container
        assert (
            "--header @-" in script
            and "--fail-with-body" in script
            and '--max-time "$CRON_MAX_TIME"' in script
        )
        assert '"$CRON_URL"' in script and '"$CRON_SECRET"' in script
        assert "/api/" not in script and "svc.cluster.local" not in script
        assert set(env) == {"CRON_URL", "CRON_MAX_TIME", "CRON_SECRET"}


def test_labels_on_cronjob_job_and_pod(docs):
    for cj in by_kind(docs, "CronJob"):
        key = cj["metadata"]["labels"]["app.kubernetes.io/component"]
        expected = {
            "helm.sh/chart": "kaireon-0.1.0",
            "app.kubernetes.io/name": "kaireon",
            "app.kubernetes.io/instance": "kaireon",
            "app.kubernetes.io/version": "0.1.0",
            "app.kubernetes.io/managed-by": "Helm",
            "app.kubernetes.io/component": key,
        }
        assert cj["metadata"]["labels"] == expected
        assert cj["spec"]["jobTemplate"]["metadata"]["labels"] == expected
        # the pod also carries the label the API NetworkPolicy admits
        pod_labels = {**expected, "kaireonai.com/api-client": "true"}
        assert cj["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"] == pod_labels


def test_api_tier(docs):
    (deploy,) = by_kind(docs, "Deployment")
    (svc,) = by_kind(docs, "Service")
    (account,) = by_kind(docs, "ServiceAccount")
    assert by_kind(docs, "Secret") == []  # the Secret is expected to exist unless secrets.create
    assert account["automountServiceAccountToken"] is False
    assert svc["spec"]["type"] == "ClusterIP"
    assert svc["spec"]["ports"] == [{"name": "http", "port": 3000, "targetPort": "http", "protocol": "TCP"}]
    assert svc["spec"]["selector"] == deploy["spec"]["selector"]["matchLabels"]
    pod = deploy["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["serviceAccountName"] == account["metadata"]["name"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] > 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (api,) = pod["containers"]
    assert api["command"] == ["kaireon-service", "serve"]
    assert api["ports"] == [{"name": "http", "containerPort": 3000, "protocol": "TCP"}]
    assert api["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert api["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert api["envFrom"] == [{"secretRef": {"name": "api-secrets"}}]
    assert api["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert {"name": "tmp", "mountPath": "/tmp"} in api["volumeMounts"]
    assert {"name": "tmp", "emptyDir": {}} in pod["volumes"]
    assert api["workingDir"] == "/data" and {"name": "data", "mountPath": "/data"} in api["volumeMounts"]
    assert deploy["spec"]["replicas"] == 2


def test_api_overrides(helm):
    docs = helm.template(
        {
            "api": {
                "replicas": 0,
                "env": [{"name": "LOG_LEVEL", "value": "DEBUG"}],
                "secretName": "other",
                "image": {"tag": "1.2.3"},
                "resources": {"requests": {"cpu": "1"}},
            },
            "service": {"port": 8080},
        }
    )
    (deploy,) = by_kind(docs, "Deployment")
    api = deploy["spec"]["template"]["spec"]["containers"][0]
    assert deploy["spec"]["replicas"] == 0
    assert {"name": "LOG_LEVEL", "value": "DEBUG"} in api["env"]
    assert api["envFrom"] == [{"secretRef": {"name": "other"}}]
    assert api["image"].endswith(":1.2.3")
    (svc,) = by_kind(docs, "Service")
    assert svc["spec"]["ports"][0]["port"] == 8080
    for cj in by_kind(docs, "CronJob"):
        assert env_of(cj)["CRON_URL"]["value"].startswith(
            "http://kaireon.default.svc.cluster.local:8080/api/v1/"
        )


def test_secret_create_generates_a_random_cron_secret(helm):
    first = by_kind(helm.template({"secrets": {"create": True}}), "Secret")
    second = by_kind(helm.template({"secrets": {"create": True}}), "Secret")
    (secret,) = first
    assert secret["metadata"]["name"] == "api-secrets"
    assert set(secret["data"]) == {"CRON_SECRET"}
    assert len(secret["data"]["CRON_SECRET"]) >= 64  # 48 random characters, base64
    # helm template cannot look the live Secret up, so each render draws a new value:
    # it comes from randAlphaNum, never from values
    assert second[0]["data"]["CRON_SECRET"] != secret["data"]["CRON_SECRET"]


def test_chart_refuses_kubernetes_older_than_1_27(helm):
    proc = helm.run("template", "kaireon", str(helm.exe.parents[1] / "chart"), "--kube-version", "1.26.0")
    assert proc.returncode != 0
    assert ">=1.27.0-0" in proc.stderr
