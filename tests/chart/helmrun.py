"""Run the real helm 3 / helm 4 binaries against chart/ (shared by tests/chart and tests/render).

Loaded by path from the conftests (tests run with --import-mode=importlib).
"""

from __future__ import annotations

import copy
import itertools
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "chart"
HELMS = {"helm3": ROOT / ".tools" / "helm3", "helm4": ROOT / ".tools" / "helm4"}
_counter = itertools.count()


class _QuotingDumper(yaml.SafeDumper):
    """Double-quotes every string, so helm's YAML 1.1 reader cannot retype one (Y, on, 1e3...)."""


_QuotingDumper.add_representer(
    str, lambda dumper, data: dumper.represent_scalar("tag:yaml.org,2002:str", data, style='"')
)


def dump_values(values: dict) -> str:
    return yaml.dump(values, Dumper=_QuotingDumper, sort_keys=False, allow_unicode=True)


class HelmError(AssertionError):
    """helm exited non-zero; str() is its stderr."""


@dataclass
class Helm:
    name: str
    exe: Path
    workdir: Path

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.exe), *args], capture_output=True, text=True, timeout=120)

    def values_file(self, values: dict | str) -> Path:
        path = self.workdir / f"values-{self.name}-{next(_counter)}.yaml"
        path.write_text(values if isinstance(values, str) else dump_values(values), encoding="utf-8")
        return path

    def _args(self, values, release, namespace, sets, extra) -> list[str]:
        args = ["template", release, str(CHART), "-n", namespace]
        for item in values if isinstance(values, list | tuple) else [values]:
            if item is not None:
                args += ["-f", str(item if isinstance(item, Path) else self.values_file(item))]
        for flag, item in sets:
            args += [flag, item]
        return args + list(extra)

    def template(
        self, values=None, *, release="kaireon", namespace="default", sets=(), extra=()
    ) -> list[dict]:
        """All rendered documents, parsed."""
        proc = self.run(*self._args(values, release, namespace, sets, extra))
        if proc.returncode != 0:
            raise HelmError(proc.stderr)
        return [doc for doc in yaml.safe_load_all(proc.stdout) if doc]

    def cronjobs(self, values=None, **kwargs) -> list[dict]:
        return [doc for doc in self.template(values, **kwargs) if doc.get("kind") == "CronJob"]

    def template_error(
        self, values=None, *, release="kaireon", namespace="default", sets=(), extra=()
    ) -> str:
        """helm's stderr for values it must refuse (fails the test if helm renders them)."""
        proc = self.run(*self._args(values, release, namespace, sets, extra))
        assert proc.returncode != 0, f"{self.name} accepted values it should refuse:\n{proc.stdout[:2000]}"
        return proc.stderr

    def lint(self, values=None, *extra: str) -> subprocess.CompletedProcess:
        args = ["lint", "--strict", str(CHART), *extra]
        if values is not None:
            args += ["-f", str(self.values_file(values))]
        return self.run(*args)


def coalesce(defaults: dict, user: dict) -> dict:
    """Helm's merge of user values over chart defaults for the tests: maps merge deeply, anything
    else replaces, null deletes the key. Returns a new dict."""
    out = copy.deepcopy(defaults)
    for key, value in user.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = coalesce(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


# Every extension point and optional resource set at once (tests/chart: extension points, the
# Kubernetes OpenAPI check, PSS restricted, checkov's policies use it).
DIGEST = "sha256:" + "0123456789abcdef" * 4
FULL_VALUES = {
    "global": {"imageRegistry": "mirror.example.com:5000", "imagePullSecrets": ["regcred"]},
    "commonLabels": {"team": "payments", "app.kubernetes.io/name": "ignored"},
    "commonAnnotations": {"example.com/cost-center": "42"},
    "api": {
        "image": {"digest": DIGEST},
        "imagePullSecrets": ["regcred", "api-only"],
        "podLabels": {"tier": "api"},
        "podAnnotations": {"example.com/cost-center": "43", "sidecar.istio.io/inject": "false"},
        "nodeSelector": {"kubernetes.io/os": "linux", "pool": "general"},
        "tolerations": [
            {"key": "dedicated", "operator": "Equal", "value": "kaireon", "effect": "NoSchedule"},
            {"operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
        ],
        "affinity": {
            "podAntiAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 1,
                        "podAffinityTerm": {
                            "topologyKey": "kubernetes.io/hostname",
                            "labelSelector": {
                                "matchLabels": {
                                    "app.kubernetes.io/name": "kaireon",
                                    "app.kubernetes.io/component": "api",
                                }
                            },
                        },
                    }
                ]
            }
        },
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": {"app.kubernetes.io/component": "api"}},
            }
        ],
        "priorityClassName": "high",
        "env": [{"name": "LOG_LEVEL", "value": "DEBUG"}],
        "extraEnv": [{"name": "FEATURE_X", "value": "on"}],
        "extraEnvFrom": [
            {"configMapRef": {"name": "kaireon-extra"}},
            {"secretRef": {"name": "db", "optional": True}},
        ],
        "extraVolumes": [{"name": "ca", "configMap": {"name": "corp-ca"}}],
        "extraVolumeMounts": [{"name": "ca", "mountPath": "/etc/ssl/corp", "readOnly": True}],
        "podSecurityContext": {"runAsUser": 20000, "fsGroupChangePolicy": "OnRootMismatch"},
        "containerSecurityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "startupProbe": {"enabled": True, "failureThreshold": 60},
        "livenessProbe": {"enabled": True, "timeoutSeconds": 3},
        "autoscaling": {
            "enabled": True,
            "minReplicas": 2,
            "maxReplicas": 6,
            "targetMemoryUtilizationPercentage": 75,
        },
    },
    "service": {"annotations": {"example.com/lb": "internal"}},
    "secrets": {"create": True},
    "cron": {
        "image": {"digest": DIGEST},
        "imagePullSecrets": ["cron-only"],
        "podLabels": {"tier": "cron"},
        "podAnnotations": {"example.com/cost-center": "44"},
        "nodeSelector": {"pool": "batch"},
        "tolerations": [{"key": "batch", "operator": "Exists", "effect": "NoSchedule"}],
        "priorityClassName": "low",
        "podSecurityContext": {"runAsUser": 30000, "runAsGroup": 30000},
        "schedules": {
            # per-job values win, and empty ones survive
            "cleanup": {
                "nodeSelector": {},
                "tolerations": [],
                "priorityClassName": "",
                "podLabels": {"job": "x"},
            },
            "dsarPurge": {
                "schedule": "0 3 * * *",
                "path": "/api/v1/cron/dsar-purge",
                "affinity": {
                    "nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {
                            "nodeSelectorTerms": [
                                {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["batch"]}]}
                            ]
                        }
                    }
                },
            },
        },
    },
}
