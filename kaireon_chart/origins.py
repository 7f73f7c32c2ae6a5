"""Where a value came from: the ``-f`` file and line, or the ``--set*`` flag, that set a values path.

The reports (reports/locate.py) point each problem there. ``Origins`` records the inputs of one run
as values.user_values reads them; a file's YAML is composed again only when a problem needs a line.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .goyaml import helm_loader
from .yamltypes import Yaml, YamlMap

if TYPE_CHECKING:
    import yaml

__all__ = ["Origins"]


class Origins:
    """Where values were set: the ``-f`` files (in order) and ``--set*`` expressions.

    ``find(path)`` is lazy: it re-composes a file's YAML only when a problem needs a line number.
    (A plain class rather than a dataclass: importing dataclasses costs a run about 10 ms.)
    """

    def __init__(
        self, files: list[tuple[str, str]] | None = None, set_flags: list[tuple[str, YamlMap]] | None = None
    ) -> None:
        self.files = [] if files is None else files  # (display name, text)
        self.set_flags = [] if set_flags is None else set_flags  # (flag text, parsed map)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return (self.files, self.set_flags) == (other.files, other.set_flags)

    __hash__ = None  # type: ignore[assignment]  # mutable, as the dataclass was (mypy wants a method here)

    def __repr__(self) -> str:
        return f"Origins(files={self.files!r}, set_flags={self.set_flags!r})"

    def find(self, path: str) -> tuple[str | None, int | None]:
        """(file, 1-based line) of the last input that sets ``path`` (or a parent of it); else (None, None).

        ``path`` is dotted with list indexes in brackets: ``cron.schedules.cleanup.schedule``,
        ``api.env[0].value``.
        """
        keys = _path_tokens(path)
        for flag, parsed in reversed(self.set_flags):
            if _has_path(parsed, keys):
                return flag, None
        for name, text in reversed(self.files):
            line = self._line(name, text, keys)
            if line is not None:
                return name, line
        return None, None

    def _line(self, name: str, text: str, keys: list[str | int]) -> int | None:
        node: Any = _compose(text)
        line = None
        for key in keys:
            kind = getattr(node, "id", None)  # PyYAML's node kinds: "scalar", "sequence", "mapping"
            if isinstance(key, int):
                if kind != "sequence":
                    return line
                if key >= len(node.value):
                    return None
                node = node.value[key]
                line = node.start_mark.line + 1
                continue
            if kind != "mapping":
                return line  # a prefix set to a scalar or list covers the whole path
            found = _key_index(node).get(key)
            if found is None:
                return None
            line, node = found[0].start_mark.line + 1, found[1]
        return line


def _key_index(node: Any) -> dict[str, tuple[Any, Any]]:
    """key -> (key node, value node) of a mapping node, the first of duplicate keys; built once per node
    (on the cached tree), so locating every problem of a file with thousands of keys stays linear."""
    index: dict[str, tuple[Any, Any]] | None = getattr(node, "_kaireon_keys", None)
    if index is None:
        index = {}
        for knode, vnode in node.value:
            if knode.id == "scalar":
                index.setdefault(knode.value, (knode, vnode))
        node._kaireon_keys = index
    return index


_TOKEN = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def _path_tokens(path: str) -> list[str | int]:
    return [int(m.group(1)) if m.group(1) is not None else m.group(2) for m in _TOKEN.finditer(path or "")]


@lru_cache(maxsize=64)
def _compose(text: str) -> yaml.Node | None:
    """The YAML node tree of a values text (cached: the chart's values.yaml is looked up for every file)."""
    import yaml  # lazy: PyYAML ~12 ms (bench 8), only when YAML is read

    try:
        return yaml.compose(text, Loader=helm_loader())  # noqa: S506 - HelmLoader is a SafeLoader
    except yaml.YAMLError:
        return None


def _has_path(data: Yaml, keys: list[str | int]) -> bool:
    node = data
    for i, key in enumerate(keys):
        if isinstance(key, int):
            if not isinstance(node, list):
                return i > 0
            if key >= len(node):
                return False
            node = node[key]
            continue
        if not isinstance(node, dict):
            return i > 0  # a prefix set to a scalar or list covers the whole path
        if key not in node:
            return False
        node = node[key]
    return bool(keys)
