"""Resource names and labels, exactly as chart/templates/_helpers.tpl computes them.

Each function names the template it mirrors. The Sprig/Go semantics that matter are reproduced
literally: ``trunc`` cuts to N characters, ``trimSuffix "-"`` removes one trailing hyphen,
``default`` treats "" and None as unset, and ``if`` is Go template truthiness.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "CRONJOB_NAME_MAX",
    "RELEASE_NAME_MAX",
    "api_url",
    "chart_label",
    "cronjob_name",
    "fullname",
    "go_truth",
    "int64",
    "kebab",
    "labels",
    "name",
    "selector_labels",
    "service_account_name",
    "validate_release_name",
]

CRONJOB_NAME_MAX = 52  # 63 (DNS-1123 label) - 11 (the "-<minutes>" suffix the controller adds to Jobs)
_TRUNCATED_PREFIX = 46  # 46 + "-" + 5 hex digits = 52
_HASH_LEN = 5
RELEASE_NAME_MAX = 53
_RELEASE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_CAMEL_BOUNDARY = re.compile(r"([a-z0-9])([A-Z])")


def go_truth(value: Any) -> bool:
    """Go template truthiness (``if``): false for nil, false, 0, "" and empty collections."""
    return bool(value)


def int64(value: Any) -> int:
    """Sprig ``int64`` (cast.ToInt64): floats truncate toward zero, bools are 0/1, nil is 0."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip(), 0)
        except ValueError:
            return 0
    return 0


def _trunc(text: str, n: int) -> str:
    return text[:n] if len(text) > n else text


def _trim_one(text: str, suffix: str = "-") -> str:
    return text[: -len(suffix)] if text.endswith(suffix) else text


def validate_release_name(release_name: str) -> None:
    """Raise ValueError for a release name helm itself refuses (same rule and message as helm)."""
    if not release_name or len(release_name) > RELEASE_NAME_MAX or not _RELEASE_NAME.match(release_name):
        raise ValueError(
            f"release name {release_name!r}: invalid release name, must match regex "
            f"{_RELEASE_NAME.pattern} and the length must not be longer than {RELEASE_NAME_MAX}"
        )


def name(values: dict[str, Any], chart_name: str) -> str:
    """kaireon.name: nameOverride or the chart name, at most 63 characters."""
    return _trim_one(_trunc(values.get("nameOverride") or chart_name, 63))


def fullname(values: dict[str, Any], release_name: str, chart_name: str) -> str:
    """kaireon.fullname: fullnameOverride, else <release>-<name> (or <release> if it contains name)."""
    override = values.get("fullnameOverride")
    if go_truth(override):
        return _trim_one(_trunc(str(override), 63))
    base = values.get("nameOverride") or chart_name
    if base in release_name:
        return _trim_one(_trunc(release_name, 63))
    return _trim_one(_trunc(f"{release_name}-{base}", 63))


def chart_label(chart_name: str, chart_version: str) -> str:
    """kaireon.chart: the helm.sh/chart label value."""
    return _trim_one(_trunc(f"{chart_name}-{chart_version}".replace("+", "_"), 63))


def kebab(key: str) -> str:
    """kaireon.kebab: a hyphen between [a-z0-9] and the capital after it, then lower case."""
    return _CAMEL_BOUNDARY.sub(r"\1-\2", key).lower()


def cronjob_name(full_name: str, key: str) -> str:
    """kaireon.cronjobName: <fullname>-<kebab key>; over 52 characters: 46 chars + "-" + sha256[:5]."""
    full = f"{full_name}-{kebab(key)}"
    if len(full) <= CRONJOB_NAME_MAX:
        return full
    import hashlib  # lazy: OpenSSL's hashlib ~2.5 ms (bench 8); only a name over 52 characters

    digest = hashlib.sha256(full.encode("utf-8")).hexdigest()[:_HASH_LEN]
    return f"{_trim_one(_trunc(full, _TRUNCATED_PREFIX))}-{digest}"


def selector_labels(values: dict[str, Any], release_name: str, chart_name: str) -> dict[str, str]:
    """kaireon.selectorLabels."""
    return {
        "app.kubernetes.io/name": name(values, chart_name),
        "app.kubernetes.io/instance": release_name,
    }


def labels(
    values: dict[str, Any], release_name: str, chart_name: str, chart_version: str, app_version: str | None
) -> dict[str, str]:
    """kaireon.labels: helm.sh/chart, name, instance, version (when appVersion is set), managed-by."""
    out = {"helm.sh/chart": chart_label(chart_name, chart_version)}
    out.update(selector_labels(values, release_name, chart_name))
    if app_version:
        out["app.kubernetes.io/version"] = app_version
    out["app.kubernetes.io/managed-by"] = "Helm"
    return out


def service_account_name(values: dict[str, Any], release_name: str, chart_name: str) -> str:
    """kaireon.serviceAccountName."""
    account = values.get("serviceAccount") or {}
    if go_truth(account.get("create")):
        return account.get("name") or fullname(values, release_name, chart_name)
    return account.get("name") or "default"


def api_url(values: dict[str, Any], release_name: str, namespace: str, chart_name: str) -> str:
    """kaireon.apiUrl: cron.apiUrl without one trailing "/", or the API Service's cluster DNS URL."""
    configured = (values.get("cron") or {}).get("apiUrl")
    if go_truth(configured):
        return _trim_one(str(configured), "/")
    port = int64((values.get("service") or {}).get("port"))
    return f"http://{fullname(values, release_name, chart_name)}.{namespace}.svc.cluster.local:{port}"
