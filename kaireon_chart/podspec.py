"""The pod-level extension points of chart/templates/_helpers.tpl, built as Python data.

Each function names the named template it mirrors (tests/render compares the CronJobs built with
them against helm 3 and helm 4). Sprig semantics reproduced: ``mergeOverwrite`` merges maps deeply
and lets every other source value (also "", 0, false and []) replace the destination's; ``uniq``
keeps first occurrences; ``toYaml`` goes through JSON (integral floats print as integers).
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = [
    "CONTAINER_SECURITY",
    "TRIGGER_POD_SECURITY",
    "annotation_map",
    "image_ref",
    "json_roundtrip",
    "label_map",
    "merge_overwrite",
    "pod_scheduling",
    "pull_secrets",
    "security_context",
]

CLIENT_LABEL = "kaireonai.com/api-client"  # the label the API NetworkPolicy admits
TRIGGER_UID = 10100  # trigger and test pods: curl needs no passwd entry; checkov wants UIDs >= 10000
TRIGGER_POD_SECURITY: dict[str, Any] = {
    "runAsNonRoot": True,
    "runAsUser": TRIGGER_UID,
    "runAsGroup": TRIGGER_UID,
    "seccompProfile": {"type": "RuntimeDefault"},
}
CONTAINER_SECURITY: dict[str, Any] = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
}


def _go_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "%!s(<nil>)" if value is None else str(value)


def json_roundtrip(value: Any) -> Any:
    """``toYaml`` goes through JSON: integral floats come back as integers."""
    if isinstance(value, dict):
        return {str(k): json_roundtrip(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_roundtrip(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    return copy.deepcopy(value)


def merge_overwrite(dst: dict[str, Any], src: Any) -> dict[str, Any]:
    """Sprig ``mergeOverwrite dst src`` (mergo WithOverride) on map[string]interface{} values."""
    out = copy.deepcopy(dst)
    if not isinstance(src, dict):
        return out
    for key, value in src.items():
        if isinstance(out.get(key), dict) and isinstance(value, dict):
            out[key] = merge_overwrite(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def image_ref(image: dict[str, Any], global_values: Any, default_tag: str | None = None) -> str:
    """kaireon.image: [<registry>/]<repository>[:<tag>][@<digest>]."""
    registry = image.get("registry")
    if isinstance(global_values, dict) and global_values.get("imageRegistry"):
        registry = global_values["imageRegistry"]
    ref = _go_str(image.get("repository"))
    if registry:
        ref = f"{_go_str(registry)}/{ref}"
    tag = image.get("tag") or default_tag
    if tag:
        ref = f"{ref}:{_go_str(tag)}"
    if image.get("digest"):
        ref = f"{ref}@{_go_str(image['digest'])}"
    return ref


def pull_secrets(values: dict[str, Any], names: Any) -> list[dict[str, Any]]:
    """kaireon.pullSecrets: global.imagePullSecrets then ``names``, de-duplicated, as [{name}]."""
    global_values = values.get("global") or {}
    merged = list((global_values.get("imagePullSecrets") if isinstance(global_values, dict) else None) or [])
    merged += list(names or [])
    out: list[Any] = []
    for name in merged:
        if name not in out:
            out.append(name)
    return [{"name": json_roundtrip(name)} for name in out]


def label_map(
    values: dict[str, Any],
    own: dict[str, str],
    component: str | None = None,
    extra: Any = None,
    client: bool = False,
) -> dict[str, Any]:
    """kaireon.labelMap: commonLabels < extra (podLabels) < the chart's own labels."""
    mine = dict(own)
    if component:
        mine["app.kubernetes.io/component"] = component
    if client:
        mine[CLIENT_LABEL] = "true"
    out = merge_overwrite(values.get("commonLabels") or {}, extra or {})
    result: dict[str, Any] = json_roundtrip(merge_overwrite(out, mine))
    return result


def annotation_map(values: dict[str, Any], extra: Any = None) -> dict[str, Any]:
    """kaireon.annotations: commonAnnotations < extra (podAnnotations); {} = not rendered."""
    result: dict[str, Any] = json_roundtrip(
        merge_overwrite(values.get("commonAnnotations") or {}, extra or {})
    )
    return result


def security_context(base: dict[str, Any], override: Any) -> dict[str, Any]:
    """kaireon.securityContext: the restricted defaults with the user's fields merged over them."""
    result: dict[str, Any] = json_roundtrip(merge_overwrite(base, override or {}))
    return result


def pod_scheduling(values: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """kaireon.podScheduling: imagePullSecrets, priorityClassName, nodeSelector, tolerations,
    affinity, topologySpreadConstraints, each only when set (Go truthiness)."""
    out: dict[str, Any] = {}
    secrets = pull_secrets(values, settings.get("imagePullSecrets"))
    if secrets:
        out["imagePullSecrets"] = secrets
    if settings.get("priorityClassName"):
        out["priorityClassName"] = _go_str(settings["priorityClassName"])
    for field in ("nodeSelector", "tolerations", "affinity", "topologySpreadConstraints"):
        if settings.get(field):
            out[field] = json_roundtrip(settings[field])
    return out
