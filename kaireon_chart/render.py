"""The CronJobs of chart/templates/cronjobs.yaml, built as Python data.

``render_cronjobs`` returns, for fully merged values (chart defaults + user input), the same objects
``helm template RELEASE chart -n NAMESPACE`` renders for kind CronJob, in the same order (sorted
by key, as helm's ``range``). tests/render compares the two with helm 3 and helm 4.

Pipeline: ``resolve_jobs`` (entry + tier defaults -> effective settings, with the values path each
setting came from) -> ``build_cronjobs`` (settings -> manifest); ``render_cronjobs`` does both.
Nothing is text-templated.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from kaireon_chart import names, podspec
from kaireon_chart.chart import Chart, load_chart
from kaireon_chart.yamltypes import YamlMap

__all__ = [
    "CRON_SCRIPT",
    "CRON_SCRIPT_SHARDED",
    "SHARDABLE_PATHS",
    "OVERRIDABLE",
    "RenderError",
    "ResolvedJob",
    "build_cronjobs",
    "curl_max_time",
    "render_cronjobs",
    "resolve_jobs",
]

# Tier defaults (cron.<field>) a schedule entry may override (cron.schedules.<key>.<field>).
OVERRIDABLE = (
    "timeZone",
    "suspend",
    "concurrencyPolicy",
    "activeDeadlineSeconds",
    "startingDeadlineSeconds",
    "successfulJobsHistoryLimit",
    "failedJobsHistoryLimit",
    "backoffLimit",
    "resources",
    # pod extension points (kaireon_chart/podspec.py): the job's value replaces the tier's whole value
    "imagePullSecrets",
    "podLabels",
    "podAnnotations",
    "nodeSelector",
    "tolerations",
    "affinity",
    "priorityClassName",
    "podSecurityContext",
    "containerSecurityContext",
)

# The trigger container's constant script: values arrive only as environment variables, and the
# bearer header is written to curl on stdin (-H @-), so the secret is never in an argv.
CRON_SCRIPT = (
    "set -eu; printf 'Authorization: Bearer %s\\n' \"$CRON_SECRET\" | curl --fail-with-body --silent "
    '--show-error --max-time "$CRON_MAX_TIME" --request POST --header @- "$CRON_URL"'
)

# cron.schedules.<key>.shards: N renders an Indexed Job of N pods; each POSTs its own shard, both
# numbers coming from the environment only (JOB_COMPLETION_INDEX is set by Kubernetes, CRON_SHARDS
# by the chart), quoted, so no value reaches the shell unquoted.
CRON_SCRIPT_SHARDED = CRON_SCRIPT.replace(
    '"$CRON_URL"', '"$CRON_URL?shard=$JOB_COMPLETION_INDEX&shards=$CRON_SHARDS"'
)
# The routes that loop over tenants and accept ?shard=i&shards=n (service/shards.py SHARDABLE_ROUTES;
# chart/templates/cronjobs.yaml and the schema carry the same list, tests/render/test_shards.py checks).
SHARDABLE_PATHS = tuple(
    f"/api/v1/cron/{r}"
    for r in (
        "cleanup",
        "dsar-purge",
        "export-interactions",
        "engagement-health-recompute",
        "gitops-drift-check",
    )
)

CRON_RUN_AS_USER = podspec.TRIGGER_UID  # no passwd entry needed by curl; >= 10000 (checkov CKV_K8S_40)
CRON_RUN_AS_GROUP = podspec.TRIGGER_UID


class RenderError(ValueError):
    """The values cannot be rendered (helm would fail too); the message names the values path."""


class ResolvedJob(NamedTuple):
    key: str  # the cron.schedules key (camelCase allowed)
    name: str  # rendered CronJob name
    enabled: bool  # the entry's own `enabled` (missing = true); cron.enabled is not folded in
    settings: dict[str, Any]  # effective values: schedule, path and every OVERRIDABLE field
    sources: dict[str, str]  # field -> dotted values path it came from


def curl_max_time(active_deadline_seconds: Any) -> str:
    """CRON_MAX_TIME: 90% of activeDeadlineSeconds in tenths of a second, e.g. 600 -> "540.0".

    Always above 0 and below the deadline for any deadline >= 1 (1 -> "0.9"), so curl gives up and
    fails the Job before Kubernetes kills the pod.
    """
    tenths = names.int64(active_deadline_seconds) * 9
    return f"{_go_div(tenths, 10)}.{_go_mod(tenths, 10)}"


def _go_div(a: int, b: int) -> int:  # Go integer division truncates toward zero
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _go_mod(a: int, b: int) -> int:
    return a - b * _go_div(a, b)


def _is_unset(value: Any) -> bool:
    return value is None


def resolve_jobs(
    values: YamlMap, release_name: str = "kaireon", chart: Chart | None = None
) -> list[ResolvedJob]:
    """Every cron.schedules entry (enabled or not) with its effective settings, sorted by key.

    Tolerates values that fail the schema (entries that are not mappings are skipped; a missing tier
    default resolves to None) so validators can run on anything.
    """
    chart = chart or load_chart()
    raw_cron = values.get("cron")
    cron: YamlMap = raw_cron if isinstance(raw_cron, dict) else {}
    raw_schedules = cron.get("schedules")
    schedules: YamlMap = raw_schedules if isinstance(raw_schedules, dict) else {}
    full = names.fullname(values, release_name, chart.name)
    jobs = []
    for key in sorted(schedules, key=str):
        entry = schedules[key]
        if not isinstance(entry, dict):
            continue
        key = str(key)
        base = f"cron.schedules.{key}"
        enabled = names.go_truth(entry["enabled"]) if "enabled" in entry else True
        settings: dict[str, Any] = {
            "schedule": entry.get("schedule"),
            "path": entry.get("path"),
            "shards": entry.get("shards"),
        }
        sources = {"schedule": f"{base}.schedule", "path": f"{base}.path", "shards": f"{base}.shards"}
        for field in OVERRIDABLE:
            if field in entry and not _is_unset(entry[field]):
                settings[field], sources[field] = entry[field], f"{base}.{field}"
            else:
                settings[field], sources[field] = cron.get(field), f"cron.{field}"
        jobs.append(ResolvedJob(key, names.cronjob_name(full, key), enabled, settings, sources))
    return jobs


def render_cronjobs(
    values: YamlMap, release_name: str = "kaireon", namespace: str = "default", chart: Chart | None = None
) -> list[YamlMap]:
    """The CronJob manifests helm renders for these (fully merged) values, sorted by key."""
    chart = chart or load_chart()
    if not names.go_truth((values.get("cron") or {}).get("enabled")):
        return []
    names.validate_release_name(release_name)
    return build_cronjobs(values, resolve_jobs(values, release_name, chart), release_name, namespace, chart)


def build_cronjobs(
    values: YamlMap, jobs: list[ResolvedJob], release_name: str, namespace: str, chart: Chart
) -> list[YamlMap]:
    """``render_cronjobs`` from jobs already resolved (``resolve_jobs``) for a release name already checked."""
    cron = values.get("cron") or {}
    if not names.go_truth(cron.get("enabled")):
        return []
    labels = names.labels(values, release_name, chart.name, chart.version, chart.app_version)
    api_url = names.api_url(values, release_name, namespace, chart.name)
    account = names.service_account_name(values, release_name, chart.name)
    image = cron.get("image") or {}
    secret = cron.get("secret") or {}
    seen: dict[str, str] = {}
    manifests = []
    for job in jobs:
        if not job.enabled:
            continue
        shards = job.settings.get("shards")
        if shards is not None and job.settings.get("path") not in SHARDABLE_PATHS:
            raise RenderError(
                f"{job.sources['shards']}: shards is only valid for the routes "
                f"{', '.join(SHARDABLE_PATHS)}, not {_printf_s(job.settings.get('path'))}"
            )
        if job.name in seen:
            raise RenderError(
                f'cron.schedules.{job.key}: CronJob name "{job.name}" is already used by '
                f"cron.schedules.{seen[job.name]}; rename one of the keys"
            )
        seen[job.name] = job.key
        manifest = _cronjob(values, job, labels, api_url, account, image, secret)
        manifest["metadata"] = {"name": job.name, "namespace": namespace, **manifest["metadata"]}
        manifests.append(manifest)
    return manifests


def _cronjob(
    values: YamlMap,
    job: ResolvedJob,
    base_labels: dict[str, str],
    api_url: str,
    account: str,
    image: YamlMap,
    secret: YamlMap,
) -> YamlMap:
    s = job.settings
    job_labels = podspec.label_map(values, base_labels, job.key)
    common_annotations = podspec.annotation_map(values)
    spec: dict[str, Any] = {"schedule": _quote(s["schedule"])}
    if names.go_truth(s["timeZone"]):
        spec["timeZone"] = _quote(s["timeZone"])
    spec.update(
        concurrencyPolicy=_quote(s["concurrencyPolicy"]),
        suspend=s["suspend"],
        startingDeadlineSeconds=names.int64(s["startingDeadlineSeconds"]),
        successfulJobsHistoryLimit=names.int64(s["successfulJobsHistoryLimit"]),
        failedJobsHistoryLimit=names.int64(s["failedJobsHistoryLimit"]),
    )
    container = {
        "name": "trigger",
        "image": podspec.image_ref(image, values.get("global")),
        "imagePullPolicy": _quote(image.get("pullPolicy")),
        "command": ["/bin/sh", "-c", CRON_SCRIPT if s.get("shards") is None else CRON_SCRIPT_SHARDED],
        "env": [
            {"name": "CRON_URL", "value": f"{api_url}{_printf_s(s['path'])}"},
            {"name": "CRON_MAX_TIME", "value": curl_max_time(s["activeDeadlineSeconds"])},
            *(
                []
                if s.get("shards") is None
                else [{"name": "CRON_SHARDS", "value": str(names.int64(s["shards"]))}]
            ),
            {
                "name": "CRON_SECRET",
                "valueFrom": {
                    "secretKeyRef": {"name": _quote(secret.get("name")), "key": _quote(secret.get("key"))}
                },
            },
        ],
        "securityContext": podspec.security_context(
            podspec.CONTAINER_SECURITY, s["containerSecurityContext"]
        ),
        "resources": _json_roundtrip(s["resources"]),
    }
    pod_spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "serviceAccountName": account,
        "automountServiceAccountToken": False,
        **podspec.pod_scheduling(values, s),
        "securityContext": podspec.security_context(podspec.TRIGGER_POD_SECURITY, s["podSecurityContext"]),
        "containers": [container],
    }
    pod_meta: dict[str, Any] = {
        "labels": podspec.label_map(values, base_labels, job.key, s["podLabels"], client=True)
    }
    pod_annotations = podspec.annotation_map(values, s["podAnnotations"])
    if pod_annotations:
        pod_meta["annotations"] = pod_annotations
    spec["jobTemplate"] = {
        "metadata": _meta(job_labels, common_annotations),
        "spec": {
            "activeDeadlineSeconds": names.int64(s["activeDeadlineSeconds"]),
            "backoffLimit": names.int64(s["backoffLimit"]),
            "template": {"metadata": pod_meta, "spec": pod_spec},
        },
    }
    if s.get("shards") is not None:  # an Indexed Job: N pods at once, pod i posts shard i
        n = names.int64(s["shards"])
        spec["jobTemplate"]["spec"].update(completionMode="Indexed", completions=n, parallelism=n)
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": job.name, **_meta(job_labels, common_annotations)},
        "spec": spec,
    }


def _meta(labels: dict[str, Any], annotations: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"labels": dict(labels)}
    if annotations:
        out["annotations"] = dict(annotations)
    return out


def _go_str(value: Any) -> str:
    """Go's %v of the scalar types the schema admits."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _quote(value: Any) -> str | None:
    """Sprig ``quote``: nil prints nothing, so the YAML field is null (only without the schema)."""
    return None if value is None else _go_str(value)


def _printf_s(value: Any) -> str:
    """``printf "%s"``: nil prints as Go's %!s(<nil>) (only reachable without the schema)."""
    return "%!s(<nil>)" if value is None else _go_str(value)


_json_roundtrip = podspec.json_roundtrip
