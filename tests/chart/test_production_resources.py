"""NetworkPolicy, PodDisruptionBudget, HorizontalPodAutoscaler, the migration hook and the
`helm test` pod (helm 3 and helm 4)."""

from __future__ import annotations

import pytest

from .helmrun import FULL_VALUES


def kinds(docs, kind):
    return [d for d in docs if d["kind"] == kind]


def selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector["matchLabels"].items())


@pytest.fixture(scope="module")
def default(helm):
    return helm.template(release="rel", namespace="ns")


def test_network_policy_admits_only_the_chart_clients(default, helm):
    api_np, clients_np = kinds(default, "NetworkPolicy")
    (deploy,) = kinds(default, "Deployment")
    api_labels = deploy["spec"]["template"]["metadata"]["labels"]
    trigger_labels = [
        c["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"] for c in kinds(default, "CronJob")
    ]
    (test_pod,) = kinds(default, "Pod")
    assert selects(api_np["spec"]["podSelector"], api_labels)
    assert api_np["spec"]["policyTypes"] == ["Ingress"]
    (rule,) = api_np["spec"]["ingress"]
    assert rule["ports"] == [{"port": "http", "protocol": "TCP"}]
    (peer,) = rule["from"]
    assert set(peer) == {"podSelector"}
    for labels in [*trigger_labels, test_pod["metadata"]["labels"]]:
        assert selects(peer["podSelector"], labels) and selects(clients_np["spec"]["podSelector"], labels)
    assert not selects(peer["podSelector"], api_labels)
    # another release's trigger pods are not admitted
    assert not selects(peer["podSelector"], {**trigger_labels[0], "app.kubernetes.io/instance": "other"})
    # the clients: no ingress at all, egress to DNS and the API pods' port only
    assert clients_np["spec"]["policyTypes"] == ["Ingress", "Egress"] and clients_np["spec"]["ingress"] == []
    dns, api = clients_np["spec"]["egress"]
    assert dns == {"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}
    assert selects(api["to"][0]["podSelector"], api_labels) and api["ports"] == [
        {"port": 3000, "protocol": "TCP"}
    ]


def test_network_policy_knobs(helm):
    ingress_ns = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
    egress = {"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}], "ports": [{"port": 443, "protocol": "TCP"}]}
    docs = helm.template({"networkPolicy": {"ingressFrom": [ingress_ns], "extraEgress": [egress]}})
    api_np, clients_np = kinds(docs, "NetworkPolicy")
    assert api_np["spec"]["ingress"][0]["from"][1] == ingress_ns
    assert clients_np["spec"]["egress"][2] == egress
    assert kinds(helm.template({"networkPolicy": {"enabled": False}}), "NetworkPolicy") == []


@pytest.mark.parametrize(
    ("values", "spec"),
    [
        (None, {"maxUnavailable": 1}),
        ({"api": {"pdb": {"minAvailable": "50%"}}}, {"minAvailable": "50%"}),
        ({"api": {"pdb": {"minAvailable": 1}}}, {"minAvailable": 1}),
        ({"api": {"pdb": {"maxUnavailable": "25%"}}}, {"maxUnavailable": "25%"}),
        ({"api": {"replicas": 1}}, None),
        ({"api": {"pdb": {"enabled": False}}}, None),
        ({"api": {"replicas": 1, "autoscaling": {"enabled": True, "minReplicas": 3}}}, {"maxUnavailable": 1}),
        ({"api": {"autoscaling": {"enabled": True, "minReplicas": 1}}}, None),
    ],
)
def test_pod_disruption_budget_only_with_several_replicas(helm, values, spec):
    pdbs = kinds(helm.template(values), "PodDisruptionBudget")
    if spec is None:
        assert pdbs == []
        return
    (pdb,) = pdbs
    assert {k: v for k, v in pdb["spec"].items() if k != "selector"} == spec
    assert pdb["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] == "api"


def test_horizontal_pod_autoscaler(helm):
    assert kinds(helm.template(), "HorizontalPodAutoscaler") == []
    docs = helm.template(FULL_VALUES)
    (hpa,) = kinds(docs, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "kaireon"}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 6)
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu", "memory"]
    assert hpa["spec"]["metrics"][1]["resource"]["target"] == {
        "type": "Utilization",
        "averageUtilization": 75,
    }
    assert "replicas" not in kinds(docs, "Deployment")[0]["spec"]
    err = helm.template_error({"api": {"autoscaling": {"enabled": True, "minReplicas": 5, "maxReplicas": 2}}})
    assert "api.autoscaling: minReplicas 5 is above maxReplicas 2" in err
    err = helm.template_error(
        {"api": {"autoscaling": {"enabled": True, "targetCPUUtilizationPercentage": 0}}}
    )
    assert "set targetCPUUtilizationPercentage or targetMemoryUtilizationPercentage" in err


def test_migration_hook(helm):
    docs = helm.template()
    assert kinds(docs, "Job") == []
    env = kinds(docs, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert "MIGRATE_ON_START" not in {e["name"] for e in env}
    docs = helm.template({"migration": {"enabled": True}, "api": {"extraEnv": [{"name": "X", "value": "1"}]}})
    (job,) = kinds(docs, "Job")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert (
        job["metadata"]["annotations"]["helm.sh/hook-delete-policy"] == "before-hook-creation,hook-succeeded"
    )
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["command"] == ["kaireon-service", "migrate"]
    assert container["envFrom"] == [{"secretRef": {"name": "api-secrets"}}]
    assert container["env"] == [{"name": "X", "value": "1"}]
    assert "serviceAccountName" not in pod  # the chart's ServiceAccount does not exist yet at pre-install
    assert pod["restartPolicy"] == "Never" and job["spec"]["backoffLimit"] == 0
    deploy_env = kinds(docs, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "MIGRATE_ON_START", "value": "false"} in deploy_env


def test_the_service_honours_migrate_on_start_false(monkeypatch):
    """The Deployment's switch is the service's own setting (service/config.py)."""
    from service.config import Settings

    monkeypatch.setenv("MIGRATE_ON_START", "false")
    assert Settings().migrate_on_start is False
    monkeypatch.setenv("MIGRATE_ON_START", "true")
    assert Settings().migrate_on_start is True


def test_helm_test_pod(default, helm):
    (pod,) = kinds(default, "Pod")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    (container,) = pod["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["API_URL"]["value"] == "http://rel-kaireon.ns.svc.cluster.local:3000"
    assert env["TEST_PATH"]["value"] == "/status.json"
    assert env["CRON_SECRET"]["valueFrom"]["secretKeyRef"] == {"name": "api-secrets", "key": "CRON_SECRET"}
    script = container["command"][2]
    assert '"$API_URL/readyz"' in script and "--header @-" in script and "$CRON_SECRET" in script
    assert kinds(helm.template({"tests": {"enabled": False}}), "Pod") == []


@pytest.mark.parametrize("case", ["defaults", "full"])
def test_lint_strict_with_every_option(helm, case):
    values = (
        None
        if case == "defaults"
        else {
            **FULL_VALUES,
            "migration": {"enabled": True},
            "metrics": {"serviceMonitor": {"enabled": True}, "prometheusRule": {"enabled": True}},
        }
    )
    proc = helm.lint(values)
    assert proc.returncode == 0, proc.stdout + proc.stderr
