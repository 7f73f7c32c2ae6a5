"""validate(values) -> every problem, not just the first; evaluate() also hands on what it rendered.

One run is load -> merge -> evaluate (schema, resolve once, rules, render once, OpenAPI) -> report.
Layers, in order (each problem is one line ``<dotted.values.path>: <what is wrong>; <what is allowed>``):

1. the chart's values.schema.json (schema.py, the file helm validates with);
2. Kubernetes' API-server rules for the CronJob each ``cron.schedules`` entry becomes (checks/);
3. the rendered manifests against the Kubernetes OpenAPI schema of ``kube_version`` (kube.py).

A problem a lower layer reports at a path an earlier layer already reported an error for is dropped,
so one mistake gives one line.
"""

from __future__ import annotations

from typing import Any

from . import kube, names, schema
from .chart import Chart, load_chart
from .checks import openapi, tier
from .problems import ERROR, WARNING, Problem, errors, warnings
from .render import ResolvedJob, build_cronjobs, resolve_jobs

_CANNOT = (TypeError, ValueError, AttributeError, KeyError)  # values only the schema layer rejects


class Evaluation:
    """What one evaluation found and made: the problems, the resolved jobs and, when there were no
    errors, the manifests."""

    __slots__ = ("problems", "jobs", "manifests")

    def __init__(
        self, problems: list[Problem], jobs: list[ResolvedJob] | None, manifests: list[dict[str, Any]] | None
    ) -> None:
        self.problems = problems
        self.jobs = jobs  # None: they cannot be resolved (the values have errors)
        self.manifests = manifests  # None: not rendered (errors, or render=False)


def validate(
    values: dict[str, Any],
    *,
    release_name: str = "kaireon",
    namespace: str = "default",
    kube_version: str | None = None,
    chart: Chart | None = None,
    kube_schema: bool = True,
) -> list[Problem]:
    """Every problem of fully merged ``values`` (chart defaults + user input).

    ``kube_version``: Kubernetes version of the OpenAPI layer (default: the newest bundled, >= 1.27);
    raises ``kaireon_chart.kube.KubeVersionError`` for an unsupported one. ``kube_schema=False``
    skips that layer (it needs the kubernetes-validate package).
    """
    chart = chart or load_chart()
    try:
        names.validate_release_name(release_name)
    except ValueError as exc:
        return _dedupe(
            [
                *_schema_problems(values, chart),
                Problem("--release-name", str(exc).replace("release name ", "", 1), ERROR, "release-name"),
            ]
        )
    return evaluate(
        values,
        release_name=release_name,
        namespace=namespace,
        kube_version=kube_version,
        chart=chart,
        kube_schema=kube_schema,
        render=kube_schema,
    ).problems


def evaluate(
    values: dict[str, Any],
    *,
    release_name: str,
    namespace: str,
    kube_version: str | None,
    chart: Chart,
    kube_schema: bool = True,
    render: bool = True,
) -> Evaluation:
    """The problems of ``values`` and, without errors and with ``render``, the CronJobs (built once).

    ``release_name`` must already be valid (``names.validate_release_name``: the CLI checks it once per run).
    """
    if kube_schema:
        if kube_version is None and not kube.available():
            kube_schema = False  # the optional layer: `pip install kaireon-chart[k8s]` enables it
        else:
            kube.parse_version(kube_version)  # fail fast on a bad --kube-version
    problems = _schema_problems(values, chart)
    jobs: list[ResolvedJob] | None = []
    if isinstance(values.get("cron"), dict):
        try:
            jobs = resolve_jobs(values, release_name, chart)
        except _CANNOT as exc:
            jobs = None
            cannot = Problem(
                "cron", f"the jobs cannot be resolved ({exc}); fix the values reported above", ERROR, "render"
            )
    problems.extend(tier.run(values, jobs))
    if jobs is None:
        problems.append(cannot)
    manifests = None
    if (render or kube_schema) and not _has_errors(problems):
        try:
            manifests = build_cronjobs(values, jobs or [], release_name, namespace, chart)
        except _CANNOT as exc:
            problems.append(
                Problem("cron", f"cannot be rendered: {exc}; fix the values reported above", ERROR, "render")
            )
        else:
            if kube_schema:
                enabled = [j for j in jobs or [] if j.enabled]
                problems.extend(openapi.run(manifests, enabled, kube_version))
    problems = _dedupe(problems)
    return Evaluation(problems, jobs, manifests if not _has_errors(problems) else None)


def _schema_problems(values: dict[str, Any], chart: Chart) -> list[Problem]:
    return [Problem(i.path, i.message, ERROR, i.check) for i in schema.check(values, chart.schema)]


def _has_errors(problems: list[Problem]) -> bool:
    return any(p.severity == ERROR for p in problems)


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    error_paths: set[str] = set()
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


__all__ = ["ERROR", "WARNING", "Evaluation", "Problem", "errors", "evaluate", "validate", "warnings"]
