"""The chart's opt-in extras for operations: the Role `render-values doctor` needs in-cluster
(doctor.rbac) and the Grafana dashboard ConfigMap (metrics.grafanaDashboard), rendered by real
helm 3 and helm 4, strictly valid Kubernetes objects, and a dashboard whose every query reads only
metrics the service really exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from service.metrics import Metrics

kubernetes_validate = pytest.importorskip("kubernetes_validate")

DASHBOARD = Path(__file__).resolve().parents[2] / "chart" / "dashboards" / "kaireon.json"
ON = {
    "doctor": {"rbac": {"create": True}},
    "metrics": {"grafanaDashboard": {"enabled": True, "folder": "Ops", "labels": {"team": "data"}}},
}
READS = {
    ("batch", "cronjobs"),
    ("batch", "jobs"),
    ("", "pods"),
    ("", "events"),
    ("", "services"),
    ("", "endpoints"),
    ("", "secrets"),
    ("discovery.k8s.io", "endpointslices"),
}


def _kinds(docs: list[dict]) -> set[str]:
    return {d["kind"] for d in docs}


def _grants(role: dict) -> set[tuple[str, str, str]]:
    return {
        (group, resource, verb)
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


def test_off_by_default(helm):
    assert not _kinds(helm.template()) & {"Role", "RoleBinding", "ConfigMap"}
    sas = [d for d in helm.template() if d["kind"] == "ServiceAccount"]
    assert all(not d["metadata"]["name"].endswith("-doctor") for d in sas)


def test_doctor_role_grants_exactly_reads(helm):
    docs = helm.template(ON, release="k", namespace="prod")
    (role,) = [d for d in docs if d["kind"] == "Role"]
    (binding,) = [d for d in docs if d["kind"] == "RoleBinding"]
    sa = [d for d in docs if d["kind"] == "ServiceAccount" and d["metadata"]["name"] == "k-kaireon-doctor"]
    assert len(sa) == 1
    grants = _grants(role)
    assert {verb for _, _, verb in grants} == {"get", "list"}
    assert {(g, r) for g, r, _ in grants} == READS
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "k-kaireon-doctor",
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "k-kaireon-doctor", "namespace": "prod"}
    ]
    assert role["metadata"]["namespace"] == "prod"


def test_run_now_adds_create_on_jobs_only(helm):
    values = {"doctor": {"rbac": {"create": True, "allowRunNow": True}}}
    (role,) = [d for d in helm.template(values) if d["kind"] == "Role"]
    creates = {(g, r) for g, r, v in _grants(role) if v == "create"}
    assert creates == {("batch", "jobs")}


def test_existing_service_account(helm):
    values = {"doctor": {"rbac": {"create": True}, "serviceAccount": {"create": False, "name": "ops-bot"}}}
    docs = helm.template(values, release="k")
    assert not [d for d in docs if d["kind"] == "ServiceAccount" and d["metadata"]["name"] != "k-kaireon"]
    (binding,) = [d for d in docs if d["kind"] == "RoleBinding"]
    assert binding["subjects"][0]["name"] == "ops-bot"


def test_dashboard_configmap(helm):
    docs = helm.template(ON, release="k", namespace="prod")
    (cm,) = [d for d in docs if d["kind"] == "ConfigMap"]
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert cm["metadata"]["labels"]["team"] == "data"
    assert cm["metadata"]["annotations"] == {"grafana_folder": "Ops"}
    assert json.loads(cm["data"]["kaireon.json"]) == json.loads(DASHBOARD.read_text(encoding="utf-8"))


def test_rendered_objects_are_strictly_valid(helm):
    docs = helm.template({**ON, "doctor": {"rbac": {"create": True, "allowRunNow": True}}})
    extra = [d for d in docs if d["kind"] in {"Role", "RoleBinding", "ConfigMap", "ServiceAccount"}]
    assert len(extra) == 5  # the pods' ServiceAccount, doctor's, Role, RoleBinding, ConfigMap
    for doc in extra:
        kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)


def _exported() -> set[str]:
    """Every sample name a live registry exposes once each family has a series."""
    m = Metrics()
    m.observe_run("siem-ship", "success", duration_s=0.5, rows=3, finished_at=1.0)
    m.running.labels(route="siem-ship").set(0)
    m.siem.observe("splunk", shipped=1, failed=0, dead_lettered=0, backlog=2, oldest_age_s=1.0, oldest_ts=1.0)
    m.export_objects.labels(route="dsar-purge", action="deleted").inc()
    names = set()
    for line in m.render().decode().splitlines():
        if line and not line.startswith("#"):
            names.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))
    return names


def _exprs() -> list[str]:
    dash = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    out = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    out += [v["definition"] for v in dash["templating"]["list"] if "definition" in v]
    return out


# a metric selector: a name right before `{` (every query writes its selectors with braces)
_SELECTOR = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{")


def test_every_query_reads_exported_metrics():
    exported = _exported()
    assert {"kaireon_cron_run_duration_seconds_bucket", "kaireon_cron_runs_total"} <= exported
    exprs = _exprs()
    assert len(exprs) >= 8
    used = set()
    for expr in exprs:
        names = set(_SELECTOR.findall(expr))
        assert names, f"no metric selector in {expr!r}"
        assert all(n.startswith("kaireon_") for n in names), expr
        loose = set(re.findall(r"\bkaireon_[a-z_]+\b", expr))
        assert loose <= exported, f"{expr!r} reads {sorted(loose - exported)}, not exported"
        used |= names
    # runs, failures, duration, rows, time since last success: each figure has a panel
    for needed in (
        "kaireon_cron_runs_total",
        "kaireon_cron_run_duration_seconds_bucket",
        "kaireon_cron_rows_affected_total",
        "kaireon_cron_last_success_timestamp_seconds",
    ):
        assert needed in used


def test_the_metric_check_does_reject():
    assert "kaireon_cron_rows_affected" not in _exported()  # a counter without _total is not a series
    assert "kaireon_cron_run_duration_seconds" not in _exported()
