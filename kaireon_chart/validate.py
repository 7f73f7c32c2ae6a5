"""validate(values) -> every problem, not just the first.

Layers, in order (each problem is one line ``<dotted.values.path>: <what is wrong>; <what is allowed>``):

1. the chart's values.schema.json (schema.py, Draft-07, the file helm validates with);
2. Kubernetes' API-server rules applied to the CronJob each ``cron.schedules`` entry becomes
   (checks.py): schedule, timeZone, names, integer fields, concurrencyPolicy, secretKeyRef wiring,
   plaintext secrets, the path, plus warnings for runs that behave differently than they read;
3. the rendered manifests against the Kubernetes OpenAPI schema of ``kube_version`` (kube.py).

A problem a lower layer reports at a path an earlier layer already reported an error for is dropped,
so one mistake gives one line.
"""

from __future__ import annotations

from ._record import Record

ERROR = "error"
WARNING = "warning"


class Problem(Record):
    """One problem (an immutable value: a Record, not a dataclass, whose import costs a run ~10 ms)."""

    __slots__ = _fields = ("path", "message", "severity", "check")
    path: str  # dotted values path, e.g. cron.schedules.cleanup.schedule
    message: str  # "<what is wrong>; <what is allowed>"
    severity: str  # "error" | "warning"
    check: str  # stable check id, e.g. "cron-schedule"

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def validate(values: dict, *, release_name: str = "kaireon", namespace: str = "default",
             kube_version: str | None = None, chart=None, kube_schema: bool = True) -> list[Problem]:
    """Every problem of fully merged ``values`` (chart defaults + user input).

    ``kube_version``: Kubernetes version of the OpenAPI layer (default: the newest bundled, >= 1.27);
    raises ``kaireon_chart.kube.KubeVersionError`` for an unsupported one. ``kube_schema=False``
    skips that layer (it needs the kubernetes-validate package).
    """
    from . import checks, schema
    from .chart import load_chart

    if chart is None:
        chart = load_chart()
    if kube_schema:
        from . import kube

        if kube_version is None and not kube.available():
            kube_schema = False  # the optional layer: `pip install kaireon-chart[k8s]` enables it
        else:
            kube.parse_version(kube_version)  # fail fast on a bad --kube-version
    problems: list[Problem] = [
        Problem(i.path, i.message, ERROR, i.check) for i in schema.check(values, chart.schema)
    ]
    problems.extend(checks.run(values, release_name=release_name, chart=chart))
    if kube_schema and not _has_errors(problems):
        problems.extend(checks.kube_layer(values, release_name, namespace, chart, kube_version))
    return _dedupe(problems)


def _has_errors(problems: list[Problem]) -> bool:
    return any(p.severity == ERROR for p in problems)


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set = set()
    error_paths: set = set()
    out = []
    for p in problems:
        if (p.path, p.message) in seen:
            continue
        if p.path in error_paths and not p.check.startswith("schema") and p.check != "plaintext-secret":
            continue
        seen.add((p.path, p.message))
        if p.severity == ERROR:
            error_paths.add(p.path)
        out.append(p)
    return out


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == ERROR]


def warnings(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == WARNING]


__all__ = ["ERROR", "WARNING", "Problem", "errors", "validate", "warnings"]
