"""YAML as helm reads it: go-yaml v2's implicit types, and ``HelmLoader``, PyYAML's safe loader with them.

go-yaml v2 (through sigs.k8s.io/yaml) is YAML 1.1 with its own number rules: ``y/n/yes/no/on/off``
are booleans, ``0x``/``0o``/``0b`` and a leading 0 are integers, underscores are dropped, ``1e6`` is a
number, timestamps stay strings and map keys become strings. ``implicit_resolvers()`` is that table
without PyYAML (the manifest emitter, yamlout.py, quotes what it matches); ``helm_loader()`` builds
the loader on first use, so importing this module does not import PyYAML.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import TYPE_CHECKING

from .yamltypes import Yaml, YamlMap

if TYPE_CHECKING:
    import yaml

__all__ = ["HelmLoader", "helm_loader", "implicit_resolvers"]  # noqa: F822 - HelmLoader: the module __getattr__


class _GoNumber:
    """A resolver pattern matched the way go-yaml v2 reads numbers: underscores are dropped first.

    go-yaml picks the number path by the scalar's first character (sign or digit) and then parses
    ``strings.Replace(in, "_", "", -1)`` with Go's ``ParseInt(_, 0, 64)`` (0b/0o/0x prefixes in
    either case, a leading 0 for octal) or, failing that, its YAML-style float pattern.
    """

    __slots__ = ("pattern",)

    def __init__(self, pattern: str):
        self.pattern = re.compile(pattern)

    def match(self, value: str) -> re.Match[str] | None:
        return self.pattern.match(value.replace("_", ""))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _GoNumber) and other.pattern == self.pattern

    __hash__ = None  # type: ignore[assignment]  # unhashable on purpose (mypy wants a method here)


_INT_RE = _GoNumber(r"^[-+]?(?:0[bB][01]+|0[oO][0-7]+|0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$")
_FLOAT_RE = _GoNumber(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
# a scalar starting with "." goes to Go's ParseFloat as it is: an underscore only between two digits
_DOT_FLOAT_RE = re.compile(r"^\.[0-9]+(?:_[0-9]+)*(?:[eE][-+]?[0-9]+(?:_[0-9]+)*)?$")
_INF_NAN_RE = re.compile(r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
# go-yaml v2's implicit types, in resolution order: (tag, regexp, first characters)
_RESOLVERS = (
    (
        "tag:yaml.org,2002:bool",
        re.compile(
            r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$"
        ),
        list("yYnNtTfFoO"),
    ),
    ("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:int", _INT_RE, list("-+0123456789")),
    ("tag:yaml.org,2002:float", _FLOAT_RE, list("-+0123456789")),
    ("tag:yaml.org,2002:float", _DOT_FLOAT_RE, ["."]),
    ("tag:yaml.org,2002:float", _INF_NAN_RE, list("-+.")),
    ("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"]),
)


def implicit_resolvers() -> dict[str, list[tuple[str, re.Pattern[str] | _GoNumber]]]:
    """``HelmLoader.yaml_implicit_resolvers`` (first character -> [(tag, regexp)]), without PyYAML."""
    out: dict[str, list[tuple[str, re.Pattern[str] | _GoNumber]]] = {}
    for tag, regexp, first in _RESOLVERS:
        for ch in first:
            out.setdefault(ch, []).append((tag, regexp))
    return out


@lru_cache(maxsize=1)
def helm_loader() -> type[yaml.SafeLoader]:
    """The HelmLoader class (built on first use, so importing this module does not import PyYAML)."""
    import yaml  # lazy: PyYAML ~12 ms (bench 8), only when YAML is read

    # libyaml when available, same resolvers
    base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class HelmLoader(base):  # type: ignore[valid-type,misc]  # base is chosen at run time (libyaml or not)
        """SafeLoader with go-yaml v2's implicit types (no timestamps, no sexagesimal numbers)."""

    HelmLoader.__module__, HelmLoader.__qualname__ = __name__, "HelmLoader"
    HelmLoader.yaml_implicit_resolvers = {}
    for tag, regexp, first in _RESOLVERS:
        HelmLoader.add_implicit_resolver(tag, regexp, first)
    HelmLoader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)
    HelmLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
    HelmLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
    HelmLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
    HelmLoader.add_constructor("tag:yaml.org,2002:timestamp", HelmLoader.construct_yaml_str)
    return HelmLoader


def __getattr__(name: str) -> type[yaml.SafeLoader]:
    if name == "HelmLoader":
        return helm_loader()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _construct_bool(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> bool:
    return loader.construct_scalar(node) in {
        "y",
        "Y",
        "yes",
        "Yes",
        "YES",
        "true",
        "True",
        "TRUE",
        "on",
        "On",
        "ON",
    }


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int | float | str:
    raw = loader.construct_scalar(node)
    text = raw.replace("_", "")
    sign = -1 if text.startswith("-") else 1
    body = text[1:] if text[:1] in "+-" else text
    prefix = body[:2].lower()
    try:
        if prefix == "0b":
            value = sign * int(body[2:], 2)
        elif prefix == "0o":
            value = sign * int(body[2:], 8)
        elif prefix == "0x":
            value = sign * int(body[2:], 16)
        elif len(body) > 1 and body.startswith("0"):
            value = sign * int(body, 8)
        else:
            value = sign * int(body)
    except ValueError:  # e.g. "0x_": go-yaml's ParseInt fails too and the scalar stays a string
        return raw
    if -(2**63) <= value <= 2**64 - 1:  # go-yaml's ParseInt (int64) or ParseUint (uint64)
        return value
    # past both, go-yaml tries ParseFloat on what looks like a float (digits read as decimal), and
    # keeps the string when that fails too (out of float64's range, or 0x/0o/0b digits)
    if _FLOAT_RE.match(text):
        number = float(text)
        if not math.isinf(number):
            return number
    return raw


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float | str:
    text = loader.construct_scalar(node).replace("_", "")
    low = text.lower()
    if low.endswith(".inf") or low == ".nan":
        import yaml  # lazy: PyYAML ~12 ms (bench 8); loaded already when HelmLoader calls this

        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"json: unsupported value: {text} (infinity and NaN have no JSON form)",
            node.start_mark,
        )
    value = float(text)
    if math.isinf(value):  # go-yaml: strconv.ParseFloat fails (out of range) and the scalar stays a string
        return loader.construct_scalar(node)
    return value


def _key_string(key: Yaml, mark: yaml.Mark | None) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        return str(key)
    if isinstance(key, float):
        return repr(key) if not key.is_integer() else str(int(key))
    import yaml  # lazy: PyYAML ~12 ms (bench 8); loaded already when HelmLoader calls this

    raise yaml.constructor.ConstructorError(
        None, None, f"unsupported map key of type {type(key).__name__}: {key!r}", mark
    )


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> YamlMap:
    loader.flatten_mapping(node)
    out: YamlMap = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        out[_key_string(key, key_node.start_mark)] = loader.construct_object(value_node, deep=True)
    return out
