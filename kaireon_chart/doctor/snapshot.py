"""What doctor read from the cluster, as plain JSON-shaped dicts (camelCase keys, as the API serves them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Obj = dict[str, Any]


@dataclass
class ServiceState:
    """The API Service a trigger URL names: whether it exists and how many endpoints are ready."""

    name: str
    namespace: str
    exists: bool
    ready_endpoints: int = 0


@dataclass
class Snapshot:
    namespace: str
    release: str
    now: datetime
    cronjobs: list[Obj] = field(default_factory=list)
    jobs: list[Obj] = field(default_factory=list)
    pods: list[Obj] = field(default_factory=list)
    events: list[Obj] = field(default_factory=list)
    services: dict[str, ServiceState] = field(default_factory=dict)  # "<ns>/<name>" -> state
    secrets: dict[str, Obj | None] = field(default_factory=dict)  # "<ns>/<name>" -> metadata or None (404)


def ts(value: Any) -> datetime | None:
    """An API timestamp (RFC 3339 string or datetime) as an aware datetime, None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def dig(obj: Any, *keys: str | int) -> Any:
    """obj[k1][k2]... or None when any step is missing."""
    for key in keys:
        if isinstance(obj, dict):
            obj = obj.get(key)
        elif isinstance(obj, list) and isinstance(key, int) and -len(obj) <= key < len(obj):
            obj = obj[key]
        else:
            return None
        if obj is None:
            return None
    return obj
