"""Helm-style values: YAML files, Helm's merge/coalesce rules, and ``--set*`` (strvals.py).

How helm builds ``.Values`` (checked against helm 3.17 and 4.1 by tests/values):

1. Each ``-f`` file is parsed (YAML 1.1 as go-yaml v2 reads it: ``y/n/yes/no/on/off`` are booleans,
   ``1e6`` is a number, dates stay strings, map keys become strings) and merged over the previous
   ones: maps merge deeply, everything else (lists included) replaces; ``null`` is kept for now.
2. ``--set-json``, then ``--set``, then ``--set-string`` are applied on top, in that order whatever
   their order on the command line.
3. The result is coalesced over the chart's ``values.yaml``: maps merge deeply, user values win, and a
   user ``null`` deletes the key when the chart has it (so ``null`` removes a chart default). A
   ``null`` for a key the chart does not have stays ``null``.
"""

from __future__ import annotations

import copy
import math
import re
import sys
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import limits, strvals
from .yamltypes import Yaml, YamlMap

if TYPE_CHECKING:
    import yaml

    from .chart import Chart

# PyYAML (about 10 ms to import) is imported on first use: a run without -f files parses no values YAML.


class ValuesError(Exception):
    """A values input helm would refuse: unreadable file, YAML syntax error, bad --set expression.

    ``str()`` is ``file:line:col: message`` for YAML errors (1-based line and column).
    """

    def __init__(
        self, message: str, *, file: str | None = None, line: int | None = None, column: int | None = None
    ):
        self.file, self.line, self.column, self.message = file, line, column, message
        if file is not None and line is not None:
            text = f"{file}:{line}:{column or 1}: {message}"
        elif file is not None:
            text = f"{file}: {message}"
        else:
            text = message
        super().__init__(text)


# ---------------------------------------------------------------------------------------------------
# YAML as go-yaml v2 (through sigs.k8s.io/yaml) reads it
# ---------------------------------------------------------------------------------------------------


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
def _helm_loader() -> type[yaml.SafeLoader]:
    """The HelmLoader class (built on first use, so importing this module does not import PyYAML)."""
    import yaml

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
        return _helm_loader()
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
        import yaml

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
    import yaml

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


def parse_yaml(text: str, name: str = "<values>") -> YamlMap:
    """Parse one values document the way helm does; ``{}`` for an empty document."""
    import yaml

    try:
        data = limits.guarded_load(text, _helm_loader())  # HelmLoader is a SafeLoader; aliases bounded
    except limits.LimitError as exc:
        raise ValuesError(exc.message, file=name, line=exc.line, column=exc.column) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        msg = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            msg = f"{exc.context}, {exc.problem}"
        if isinstance(exc, yaml.composer.ComposerError) and "single document" in (exc.context or ""):
            # helm 3 reads only the first document of a values file, helm 4 merges them all
            msg = (
                "a second YAML document starts here; helm 3 would ignore it and helm 4 merge it, so "
                "put all values in one document (or in separate -f files)"
            )
        if mark is None:
            raise ValuesError(msg, file=name) from None
        raise ValuesError(msg, file=name, line=mark.line + 1, column=mark.column + 1) from None
    except yaml.reader.ReaderError as exc:  # e.g. a NUL byte: no mark, a character position
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        what = f"character #x{exc.character:04x}" if isinstance(exc.character, int) else "character"
        raise ValuesError(
            f"unacceptable {what}: {exc.reason}; allowed: printable text (no NUL or other control "
            "characters)",
            file=name,
            line=line,
            column=column,
        ) from None
    except yaml.YAMLError as exc:
        raise ValuesError(str(exc), file=name) from None
    except (ValueError, TypeError, RecursionError, MemoryError) as exc:  # never a crash on odd input
        raise ValuesError(
            f"cannot read the values: {type(exc).__name__}: {str(exc)[:200]}", file=name
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValuesError(
            f"the document is a {_kind(data)}, values must be a map of keys; write `key: value` lines",
            file=name,
            line=1,
            column=1,
        )
    return data


def _kind(value: Yaml) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def read_values_file(
    path: str, stdin: Any = None, budget: limits.LimitsBudget | None = None
) -> tuple[str, str]:
    """Return (display name, text) of a ``-f`` argument; ``-`` reads stdin.

    At most ``limits.max_file_bytes()`` are read (``-f /dev/zero`` stops there) and, with ``budget``,
    all the files of one run share ``limits.max_total_bytes()``. Line ends are read as text mode does.
    """
    name = "<stdin>" if path == "-" else path
    try:
        if path == "-":
            src = sys.stdin if stdin is None else stdin
            if isinstance(src, (bytes, str)):
                import io

                src = io.BytesIO(src) if isinstance(src, bytes) else io.StringIO(src)
            data = limits.read_bytes(getattr(src, "buffer", src), budget)
        else:
            with open(path, "rb") as stream:
                data = limits.read_bytes(stream, budget)
    except limits.LimitError as exc:
        raise ValuesError(exc.message, file=name) from None
    except FileNotFoundError:
        raise ValuesError("no such file; pass an existing values file", file=name) from None
    except IsADirectoryError:
        raise ValuesError("is a directory; pass a values file", file=name) from None
    except OSError as exc:
        raise ValuesError(f"cannot read: {exc.strerror or exc}", file=name) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValuesError(
            f"not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8", file=name
        ) from None
    return name, text.replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------------------------------------------
# Merging
# ---------------------------------------------------------------------------------------------------


def merge_maps(a: YamlMap, b: YamlMap) -> YamlMap:
    """Helm's ``mergeMaps`` for successive ``-f`` files: maps merge deeply, the rest replaces."""
    out = dict(a)
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge_maps(out[k], v)
        else:
            out[k] = v
    return out


def coalesce(user: YamlMap, defaults: YamlMap) -> YamlMap:
    """Coalesce user values over chart defaults (a new dict; inputs are not modified)."""
    out = copy.deepcopy(user)
    _coalesce_into(out, defaults)
    return out


def _coalesce_into(dst: YamlMap, src: YamlMap) -> None:
    for key, val in src.items():
        if key in dst:
            dv = dst[key]
            if dv is None:
                del dst[key]
            elif isinstance(dv, dict) and isinstance(val, dict):
                _coalesce_into(dv, val)
        else:
            dst[key] = copy.deepcopy(val)


# ---------------------------------------------------------------------------------------------------
# Where a value came from
# ---------------------------------------------------------------------------------------------------


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
        import yaml

        node = _compose(text)
        line = None
        for key in keys:
            if isinstance(key, int):
                if not isinstance(node, yaml.SequenceNode):
                    return line
                if key >= len(node.value):
                    return None
                node = node.value[key]
                line = node.start_mark.line + 1
                continue
            if not isinstance(node, yaml.MappingNode):
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
        import yaml

        index = {}
        for knode, vnode in node.value:
            if isinstance(knode, yaml.ScalarNode):
                index.setdefault(knode.value, (knode, vnode))
        node._kaireon_keys = index
    return index


_TOKEN = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def _path_tokens(path: str) -> list[str | int]:
    return [int(m.group(1)) if m.group(1) is not None else m.group(2) for m in _TOKEN.finditer(path or "")]


@lru_cache(maxsize=64)
def _compose(text: str) -> yaml.Node | None:
    """The YAML node tree of a values text (cached: the chart's values.yaml is looked up for every file)."""
    import yaml

    try:
        return yaml.compose(text, Loader=_helm_loader())  # noqa: S506 - HelmLoader is a SafeLoader
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


# ---------------------------------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------------------------------


def user_values(
    files: Iterable[str] = (),
    set_values: Iterable[str] = (),
    set_string: Iterable[str] = (),
    set_json: Iterable[str] = (),
    *,
    stdin: Any = None,
    origins: Origins | None = None,
) -> YamlMap:
    """The user-supplied values (``-f`` files then ``--set*``), before the chart defaults."""
    base: YamlMap = {}
    try:
        budget = limits.LimitsBudget()
    except limits.LimitError as exc:
        raise ValuesError(exc.message) from None
    for path in files:
        name, text = read_values_file(str(path), stdin, budget)
        if origins is not None:
            origins.files.append((name, text))
        base = merge_maps(base, parse_yaml(text, name))
    for flag, items, parse in (
        ("--set-json", set_json, strvals.parse_set_json),
        ("--set", set_values, strvals.parse_set),
        ("--set-string", set_string, strvals.parse_set_string),
    ):
        for item in items:
            try:
                parse(item, base)
                alone = parse(item, {})  # the item's own tree from the root: as deep as it makes the merge
                too_deep = limits.check_data(alone)
            except strvals.StrvalsError as exc:
                raise ValuesError(f"failed parsing {flag} data {_short(item)}: {exc}") from None
            except limits.LimitError as exc:
                raise ValuesError(f"{flag} {_short(item)}: {exc.message}") from None
            if too_deep is not None:
                raise ValuesError(
                    f"{flag} {_short(item)}: maps and lists nest {too_deep} levels deep; allowed: at "
                    f"most {limits.max_depth()} (raise KAIREON_CHART_MAX_DEPTH)"
                )
            if origins is not None:
                label = (
                    f"{flag} {item}"
                    if len(item) <= 200
                    else f"{flag} {item[:100]}... ({len(item):,} characters)"
                )
                origins.set_flags.append((label, alone))
    return base


def _short(text: str, limit: int = 120) -> str:
    """``repr(text)``, cut in the middle when long (an error line must stay readable)."""
    if len(text) <= limit:
        return repr(text)
    return repr(text[: limit // 2]) + f" ... ({len(text):,} characters) ... " + repr(text[-limit // 4 :])


def load_values(
    files: Iterable[str] = (),
    set_values: Iterable[str] = (),
    set_string: Iterable[str] = (),
    set_json: Iterable[str] = (),
    chart: Chart | str | Path | None = None,
    *,
    stdin: Any = None,
    origins: Origins | None = None,
) -> YamlMap:
    """Fully merged values (chart defaults + user input), exactly as helm's ``.Values``.

    ``chart`` is a :class:`kaireon_chart.chart.Chart` or a chart directory (default: the bundled chart).
    Raises :class:`ValuesError` for unreadable files, YAML errors and bad ``--set*`` expressions.
    """
    if chart is None or isinstance(chart, (str, Path)):
        from .chart import load_chart

        chart = load_chart(chart)
    user = user_values(files, set_values, set_string, set_json, stdin=stdin, origins=origins)
    return coalesce(user, chart.values)


def values_from_text(text: str, chart: Chart, name: str = "<values>") -> YamlMap:
    """One values document merged over the chart defaults (``render-values check`` per file)."""
    return coalesce(parse_yaml(text, name), chart.values)


# HelmLoader is built on first access (module __getattr__), so PyYAML loads only when YAML is read
__all__ = [
    "HelmLoader",  # noqa: F822 - built on first access (the module __getattr__)
    "Origins",
    "ValuesError",
    "coalesce",
    "load_values",
    "merge_maps",
    "parse_yaml",
    "read_values_file",
    "user_values",
    "values_from_text",
]
