"""The API server's rules for the pod extension points: labels, annotations, node selectors,
tolerations and resource quantities (k8s.io/apimachinery validation, k8s.io/kubernetes
ValidateTolerations / ValidateResourceRequirements), checked where the values set them.

``scan(values)`` yields ``(dotted values path, message, check id)``; checks.run turns them into
Problems. The schema already refuses most of these by pattern; this layer adds what a pattern
cannot say (prefix lengths, total annotation size, requests <= limits) and names the exact entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["CHECKS", "parse_quantity", "scan"]

CHECKS: dict[str, str] = {
    "label": "label and node-selector keys are qualified names, values valid label values (63 chars)",
    "annotation": "annotation keys are qualified names; all annotations of an object total at most 256 KiB",
    "toleration": "tolerations: operator Exists or Equal, a known effect, tolerationSeconds only with NoExecute",
    "quantity": "resource quantities parse as Kubernetes quantities, are >= 0, and requests <= limits",
}

_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_QUANTITY = re.compile(
    r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))((?:[KMGTPE]i)|[numkMGTPE]|(?:[eE][+-]?[0-9]+))?$"
)
_SUFFIX = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
    **{f"{p}i": Decimal(1024) ** (i + 1) for i, p in enumerate("KMGTPE")},
}
_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
_ANNOTATIONS_MAX = 256 * 1024
_ALLOWED_KEY = (
    "allowed: a name of at most 63 characters (letters, digits, '-', '_', '.', starting and ending "
    "with a letter or digit), optionally prefixed by a DNS subdomain of at most 253 characters and '/'"
)
_ALLOWED_VALUE = (
    "allowed: at most 63 characters, letters, digits, '-', '_' and '.', starting and ending with a "
    "letter or digit, or empty"
)


def _q(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def key_error(key: Any) -> str | None:
    """IsQualifiedName: why ``key`` is not a valid label/annotation key, or None."""
    if not isinstance(key, str) or not key:
        return "the key must not be empty"
    prefix, sep, name = key.rpartition("/")
    if sep and not prefix:
        return "the prefix part must not be empty"
    if sep and (len(prefix) > 253 or not _DNS1123_SUBDOMAIN.match(prefix)):
        return "the prefix part must be a DNS-1123 subdomain of at most 253 characters"
    if "/" in prefix:
        return "a qualified name has at most one '/'"
    if len(name) > 63:
        return "the name part must be no more than 63 characters"
    if not _NAME.match(name):
        return (
            "the name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
            "end with an alphanumeric character"
        )
    return None


def value_error(value: Any) -> str | None:
    """IsValidLabelValue: why ``value`` is not a valid label value, or None."""
    if not isinstance(value, str):
        return "a label value must be a string (quote it)"
    if len(value) > 63:
        return "must be no more than 63 characters"
    if value and not _NAME.match(value):
        return (
            "a valid label value must be an empty string or consist of alphanumeric characters, '-', '_' or "
            "'.', and must start and end with an alphanumeric character"
        )
    return None


def parse_quantity(value: Any) -> Decimal | None:
    """A resource quantity as a Decimal (None if Kubernetes would not parse it)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    if not isinstance(value, str):
        return None
    match = _QUANTITY.match(value)
    if not match:
        return None
    try:
        number = Decimal(match.group(1))
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        return None
    suffix = match.group(2) or ""
    if suffix[:1] in ("e", "E"):
        return number * Decimal(10) ** int(suffix[1:])
    return number * _SUFFIX[suffix]


def _labels(path: str, labels: Any) -> Iterator[tuple[str, str, str]]:
    if not isinstance(labels, dict):
        return
    for key, value in labels.items():
        why = key_error(key)
        if why:
            yield f"{path}.{key}", f"key {_q(key)}: {why}; {_ALLOWED_KEY}", "label"
            continue
        why = value_error(value)
        if why:
            yield f"{path}.{key}", f"value {_q(value)}: {why}; {_ALLOWED_VALUE}", "label"


def _annotations(path: str, annotations: Any) -> Iterator[tuple[str, str, str]]:
    if not isinstance(annotations, dict):
        return
    total = 0
    for key, value in annotations.items():
        why = key_error(key)
        if why:
            yield f"{path}.{key}", f"key {_q(key)}: {why}; {_ALLOWED_KEY}", "annotation"
        total += len(str(key)) + len(str(value))
    if total > _ANNOTATIONS_MAX:
        yield (
            path,
            (
                f"the annotations total {total} bytes, more than the API server's limit of {_ANNOTATIONS_MAX}; "
                "allowed: at most 256 KiB of keys and values together"
            ),
            "annotation",
        )


def _tolerations(path: str, tolerations: Any) -> Iterator[tuple[str, str, str]]:
    if not isinstance(tolerations, list):
        return
    for i, item in enumerate(tolerations):
        at = f"{path}[{i}]"
        if not isinstance(item, dict):
            continue
        key, operator, value = item.get("key") or "", item.get("operator") or "Equal", item.get("value") or ""
        effect = item.get("effect") or ""
        if key:
            why = key_error(key)
            if why:
                yield f"{at}.key", f"{_q(key)}: {why}; {_ALLOWED_KEY}", "toleration"
        elif operator != "Exists":
            yield (
                f"{at}.operator",
                (
                    f"{_q(operator)}: operator must be Exists when `key` is empty, which means "
                    '"match all values and all keys"; allowed: operator: Exists, or set key'
                ),
                "toleration",
            )
        if operator == "Exists" and value:
            yield (
                f"{at}.value",
                (
                    f"{_q(value)}: value must be empty when `operator` is 'Exists'; "
                    "allowed: remove value, or operator: Equal"
                ),
                "toleration",
            )
        elif operator == "Equal":
            why = value_error(value)
            if why:
                yield f"{at}.value", f"{_q(value)}: {why}; {_ALLOWED_VALUE}", "toleration"
        elif operator != "Exists":
            yield (
                f"{at}.operator",
                f'{_q(operator)}: unsupported operator; allowed: "Exists", "Equal"',
                "toleration",
            )
        if effect and effect not in _EFFECTS:
            yield (
                f"{at}.effect",
                (
                    f'{_q(effect)}: unsupported effect; allowed: "NoSchedule", '
                    '"PreferNoSchedule", "NoExecute" or empty (all effects)'
                ),
                "toleration",
            )
        if item.get("tolerationSeconds") is not None and effect != "NoExecute":
            yield (
                f"{at}.tolerationSeconds",
                (
                    "effect must be 'NoExecute' when `tolerationSeconds` is set; allowed: "
                    "effect: NoExecute, or remove tolerationSeconds"
                ),
                "toleration",
            )


def _resources(path: str, resources: Any) -> Iterator[tuple[str, str, str]]:
    if not isinstance(resources, dict):
        return
    parsed: dict[str, dict[str, Decimal]] = {}
    for part in ("requests", "limits"):
        block = resources.get(part)
        if not isinstance(block, dict):
            continue
        for name, raw in block.items():
            if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
                continue  # not a scalar: the schema / the OpenAPI layer words that
            number = parse_quantity(raw)
            at = f"{path}.{part}.{name}"
            if number is None:
                yield (
                    at,
                    (
                        f"{_q(raw)} is not a Kubernetes quantity; allowed: a number with an optional suffix, "
                        "e.g. 100m, 0.5, 64Mi, 1Gi, 2"
                    ),
                    "quantity",
                )
            elif number < 0:
                yield (
                    at,
                    f"{_q(raw)} must be greater than or equal to 0; allowed: a quantity >= 0",
                    "quantity",
                )
            else:
                parsed.setdefault(part, {})[str(name)] = number
    for name, request in parsed.get("requests", {}).items():
        limit = parsed.get("limits", {}).get(name)
        if limit is not None and request > limit:
            yield (
                f"{path}.requests.{name}",
                f"{_q(resources['requests'][name])} must be less than or equal to the {name} limit "
                f"{_q(resources['limits'][name])}; allowed: a request <= its limit",
                "quantity",
            )


def scan(values: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """Every API-server rule broken by the extension-point values (and resources) of ``values``."""

    def get(node: Any, *keys: str) -> Any:
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        return node

    yield from _labels("commonLabels", values.get("commonLabels"))
    yield from _annotations("commonAnnotations", values.get("commonAnnotations"))
    yield from _annotations("service.annotations", get(values, "service", "annotations"))
    for monitor in ("serviceMonitor", "prometheusRule", "grafanaDashboard"):
        yield from _labels(f"metrics.{monitor}.labels", get(values, "metrics", monitor, "labels"))
    yield from _resources("migration.resources", get(values, "migration", "resources"))
    tiers: list[tuple[str, Any]] = [("api", values.get("api")), ("cron", values.get("cron"))]
    schedules = get(values, "cron", "schedules")
    if isinstance(schedules, dict):
        tiers += [(f"cron.schedules.{key}", entry) for key, entry in schedules.items()]
    for base, node in tiers:
        if not isinstance(node, dict):
            continue
        yield from _labels(f"{base}.podLabels", node.get("podLabels"))
        yield from _labels(f"{base}.nodeSelector", node.get("nodeSelector"))
        yield from _annotations(f"{base}.podAnnotations", node.get("podAnnotations"))
        yield from _tolerations(f"{base}.tolerations", node.get("tolerations"))
        yield from _resources(f"{base}.resources", node.get("resources"))
