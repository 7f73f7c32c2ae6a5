"""Type aliases for values read from YAML/JSON (helm values, --set expressions).

A values tree is arbitrary YAML: any node may be a map, a list or a scalar, so a node is ``Any``;
the aliases name the containers so signatures say which one a function takes or returns.
"""

from __future__ import annotations

from typing import Any, TypeAlias

Yaml: TypeAlias = Any
"""One YAML node: a map, a list, a str/int/float/bool or None."""

YamlMap: TypeAlias = dict[str, Any]
"""A YAML mapping, as helm values hold it (string keys, arbitrary values)."""

YamlList: TypeAlias = list[Any]
"""A YAML sequence."""
