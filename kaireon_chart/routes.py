"""``render-values add-route``: wire an operator route into a values file, keeping its comments.

The operator-wired routes of registry.py (no default schedule: their cadence is policy) and any
other NAME map to the camelCase values key and ``/api/v1/cron/<NAME>`` (or ``--path``).
The edit is a ruamel.yaml round trip (comments, order and layout survive); the result is validated
over the chart defaults first, and an invalid result is never written.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import registry
from .extras import MissingExtra
from .valuesfile import ValuesError, parse_yaml

KNOWN_ROUTES = {r.name: (r.key, r.path) for r in registry.operator_wired()}
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class RouteError(ValueError):
    """The route name, the values file or the result is unusable; nothing was written."""


@dataclass
class RouteEdit:
    key: str
    path: str
    schedule: str
    text: str  # the new values file text
    values: dict[str, Any]  # the new file's values (plain Python data)
    existed: bool  # the key was already there (its schedule/path were replaced)


def route_key(name: str) -> tuple[str, str]:
    """(cron.schedules key, default path) for a route NAME."""
    if name in KNOWN_ROUTES:
        return KNOWN_ROUTES[name]
    if not _NAME.match(name) or len(name) > 63:
        raise RouteError(
            f"route name {name!r} is not valid; allowed: lowercase letters, digits and inner '-' "
            f"(known routes: {', '.join(KNOWN_ROUTES)})"
        )
    return registry.camel(name), registry.API_PREFIX + name


def _yaml() -> Any:
    try:
        from ruamel.yaml import YAML  # lazy: ruamel.yaml is the [edit] extra
    except ImportError:
        raise MissingExtra("render-values add-route", "ruamel.yaml", "edit") from None

    y = YAML()  # round-trip
    y.preserve_quotes = True
    y.width = 4096
    return y


def add_route(text: str, name: str, schedule: str, path: str | None = None) -> RouteEdit:
    """Return the edited values text with cron.schedules.<key> = {schedule, path} (comments kept)."""
    y = _yaml()  # first: names the [edit] extra when ruamel.yaml is missing
    # lazy: ruamel.yaml is the [edit] extra
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    key, default_path = route_key(name)
    path = path or default_path
    doc = _load(y, text)
    schedules = _schedules(doc)
    existed = key in schedules and isinstance(schedules[key], dict)
    entry = schedules[key] if existed else CommentedMap()
    entry["schedule"] = DoubleQuotedScalarString(schedule)
    entry["path"] = DoubleQuotedScalarString(path) if _needs_quotes(path) else path
    if not existed:
        # a key such as `y` or `on` is a boolean to helm's YAML reader unless quoted
        schedules[DoubleQuotedScalarString(key) if _needs_quotes(key) else key] = entry
    buf = io.StringIO()
    y.dump(doc, buf)
    new_text = buf.getvalue()
    return RouteEdit(key, path, schedule, new_text, parse_yaml(new_text, "<edited>"), existed)


def _load(y: Any, text: str) -> Any:
    # lazy: ruamel.yaml is the [edit] extra
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError

    try:
        doc = y.load(text) if text.strip() else None
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{mark.line + 1}:{mark.column + 1}: " if mark else ""
        raise RouteError(f"{where}{getattr(exc, 'problem', None) or exc}") from None
    if doc is None:
        doc = CommentedMap()
    if not isinstance(doc, dict):
        raise RouteError("the values file is not a map of keys")
    return doc


def _schedules(doc: Any) -> Any:
    """doc's cron.schedules map, created when missing."""
    from ruamel.yaml.comments import CommentedMap  # lazy: ruamel.yaml is the [edit] extra

    cron = doc.get("cron")
    if cron is None:
        cron = doc["cron"] = CommentedMap()
    if not isinstance(cron, dict):
        raise RouteError("cron is not a map in the values file; allowed: cron: {schedules: {...}}")
    schedules = cron.get("schedules")
    if schedules is None:
        schedules = cron["schedules"] = CommentedMap()
    if not isinstance(schedules, dict):
        raise RouteError(
            "cron.schedules is not a map in the values file; allowed: cron.schedules.<key>: {...}"
        )
    return schedules


def set_schedules(text: str, schedules_by_key: dict[str, str]) -> str:
    """The values text with cron.schedules.<key>.schedule set for each key (comments kept; an entry
    that is missing is added with just its schedule, merged over the chart's entry by helm)."""
    y = _yaml()  # first: names the [edit] extra when ruamel.yaml is missing
    # lazy: ruamel.yaml is the [edit] extra
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    doc = _load(y, text)
    schedules = _schedules(doc)
    for key, schedule in schedules_by_key.items():
        entry = schedules.get(key)
        if not isinstance(entry, dict):
            entry = CommentedMap()
            schedules[DoubleQuotedScalarString(key) if _needs_quotes(key) else key] = entry
        entry["schedule"] = DoubleQuotedScalarString(schedule)
    buf = io.StringIO()
    y.dump(doc, buf)
    return buf.getvalue()


def _needs_quotes(text: str) -> bool:
    """True when helm's YAML reader (go-yaml v2) would not read ``text`` back as this string."""
    try:
        return parse_yaml(f"k: {text}\n") != {"k": text}
    except ValuesError:
        return True


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one rename (keeps the file mode when it exists)."""
    path = Path(path)
    mode = path.stat().st_mode & 0o7777 if path.exists() else None
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent or "."))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
