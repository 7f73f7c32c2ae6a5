"""Helm's strvals grammar for ``--set``, ``--set-string`` and ``--set-json``.

Behaviour follows helm's ``pkg/strvals/parser.go`` (Helm 3.17 and 4.x behave the same), checked by
parity tests against the real binaries (tests/values):

* ``a.b.c=v`` walks/creates maps; ``a[0]=v`` / ``a[2].b=v`` / ``a[0][1]=v`` index lists, growing them
  with ``None`` (index at most 65536; negative indexes are errors); at most 30 nested name levels.
* ``,`` separates assignments; ``\\`` escapes the next character anywhere (``\\,`` ``\\.`` ``\\=``).
* ``a={x,y}`` is a list; ``a=`` is the empty string.
* ``--set`` infers types: ``true``/``false`` (any case) -> bool, ``null`` (any case) -> None (which
  later deletes the key), ``0`` and base-10 int64 literals not starting with ``0`` -> int, anything
  else (``1e6``, ``0x10``, ``007``, ``1.5``) stays a string. ``--set-string`` never converts.
* ``--set-json``: each value is one JSON document; an empty value means null.
"""

from __future__ import annotations

import json
import math
import re

from .yamltypes import Yaml, YamlList, YamlMap

MAX_INDEX = 65536
MAX_NESTED_NAME_LEVEL = 30

_INT_RE = re.compile(r"[+-]?[0-9]+\Z")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class StrvalsError(ValueError):
    """A --set/--set-string/--set-json expression helm would reject."""


class _EOF(Exception):
    pass


class _NotList(Exception):
    pass


def typed_value(val: str, as_string: bool = False) -> str | bool | int | None:
    """Helm's ``typedVal``: the type ``--set`` gives a scalar."""
    if as_string:
        return val
    low = val.lower()
    if low == "true":
        return True
    if low == "false":
        return False
    if low == "null":
        return None
    if val == "0":
        return 0
    # at most 19 significant digits can fit int64: longer literals stay strings, as helm's ParseInt fails,
    # without asking int() to convert thousands of digits (Python refuses past 4300)
    if val and val[0] != "0" and _INT_RE.match(val) and len(val.lstrip("+-").lstrip("0")) <= 19:
        iv = int(val)
        if _INT64_MIN <= iv <= _INT64_MAX:
            return iv
    return val


class _Scanner:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def read(self) -> str | None:
        if self.pos >= len(self.text):
            return None
        ch = self.text[self.pos]
        self.pos += 1
        return ch

    def unread(self) -> None:
        self.pos -= 1

    def until(self, stop: str) -> tuple[str, str | None]:
        """Read up to (and consuming) a stop rune; backslash escapes. Returns (runes, stop or None=EOF)."""
        out: list[str] = []
        while True:
            ch = self.read()
            if ch is None:
                return "".join(out), None
            if ch in stop:
                return "".join(out), ch
            if ch == "\\":
                nxt = self.read()
                if nxt is None:
                    return "".join(out), None
                out.append(nxt)
            else:
                out.append(ch)


class _Parser:
    def __init__(self, text: str, data: YamlMap, mode: str):
        self.sc = _Scanner(text)
        self.data = data
        self.mode = mode  # "set" | "string" | "json"

    def reader(self, runes: str) -> str | bool | int | None:
        return typed_value(runes, self.mode == "string")

    def parse(self) -> None:
        while True:
            try:
                self.key(self.data, 0)
            except _EOF:
                return

    # -- keys ------------------------------------------------------------------------------------
    def key(self, data: YamlMap, level: int) -> None:
        k, last = self.sc.until("=[,.")
        if last is None:
            if not k:
                raise _EOF
            raise StrvalsError(f"key {k!r} has no value")
        if last == "[":
            i = self.key_index()
            existing = data.get(k, [])
            if k in data and not isinstance(existing, list):
                raise StrvalsError(f"unable to parse key: {k!r} is not a list")
            base = list(existing) if k in data else []
            try:
                lst = self.list_item(base, i, level)
            except _EOF:
                _set(data, k, base)
                raise
            _set(data, k, lst)
            return
        if last == "=":
            if self.mode == "json":
                if self.empty_val():
                    _set(data, k, None)
                    return
                _set(data, k, self.json_value())
                self.empty_val()
                return
            try:
                vl = self.val_list()
            except _EOF:
                _set(data, k, "")
                raise
            except _NotList:
                _set(data, k, self.reader(self.val()))
                return
            _set(data, k, vl)
            return
        if last == ",":
            _set(data, k, "")
            raise StrvalsError(f"key {k!r} has no value (cannot end with ,)")
        # last == "."
        level += 1
        if level > MAX_NESTED_NAME_LEVEL:
            raise StrvalsError(
                f"value name nested level is greater than maximum supported nested level of {MAX_NESTED_NAME_LEVEL}"
            )
        if k in data:
            inner = data[k]
            if not isinstance(inner, dict):
                raise StrvalsError(f"unable to parse key: {k!r} is not a map")
        else:
            inner = {}
        err = None
        try:
            self.key(inner, level)
        except _EOF as exc:
            err = exc
        if err is None and not inner:
            raise StrvalsError(f"key map {k!r} has no value")
        if inner:
            _set(data, k, inner)
        if err is not None:
            raise err

    def key_index(self) -> int:
        v, last = self.sc.until("]")
        if last is None:
            raise StrvalsError("error parsing index: unexpected end of input")
        try:
            return _atoi(v)
        except ValueError:
            raise StrvalsError(f'error parsing index: strconv.Atoi: parsing "{v}": invalid syntax') from None

    def list_item(self, lst: YamlList, i: int, level: int) -> YamlList:
        if i < 0:
            raise StrvalsError(f"negative {i} index not allowed")
        k, last = self.sc.until("[.=")
        if k:
            raise StrvalsError(f"unexpected data at end of array index: {k!r}")
        if last is None:
            raise _EOF
        if last == "=":
            if self.mode == "json":
                if self.empty_val():
                    return _set_index(lst, i, None)
                lst = _set_index(lst, i, self.json_value())
                self.empty_val()
                return lst
            try:
                vl = self.val_list()
            except _EOF:
                return _set_index(lst, i, "")
            except _NotList:
                return _set_index(lst, i, self.reader(self.val()))
            return _set_index(lst, i, vl)
        if last == "[":
            next_i = self.key_index()
            crt: YamlList = []
            if len(lst) > i and lst[i] is not None:
                if not isinstance(lst[i], list):
                    raise StrvalsError(f"unable to parse key: index {i} is not a list")
                crt = list(lst[i])
            return _set_index(lst, i, self.list_item(crt, next_i, level))
        # last == "."
        inner: YamlMap = {}
        if len(lst) > i:
            if isinstance(lst[i], dict):
                inner = lst[i]
            else:
                lst = list(lst)
                lst[i] = inner
        self.key(inner, level)
        return _set_index(lst, i, inner)

    # -- values ----------------------------------------------------------------------------------
    def empty_val(self) -> bool:
        """Consume blanks up to a comma or EOF (empty) or stop before any other rune (not empty)."""
        while True:
            ch = self.sc.read()
            if ch is None or ch == ",":
                return True
            if not ch.isspace():
                self.sc.unread()
                return False

    def val(self) -> str:
        v, _ = self.sc.until(",")
        return v

    def val_list(self) -> YamlList:
        ch = self.sc.read()
        if ch is None:
            raise _EOF
        if ch != "{":
            self.sc.unread()
            raise _NotList
        out: YamlList = []
        while True:
            rs, last = self.sc.until(",}")
            if last is None:
                raise StrvalsError("list must terminate with '}'")
            if last == "}":
                nxt = self.sc.read()
                if nxt is not None and nxt != ",":
                    self.sc.unread()
                out.append(self.reader(rs))
                return out
            out.append(self.reader(rs))

    def json_value(self) -> Yaml:
        text = self.sc.text
        try:
            value, end = _JSON.raw_decode(text, self.sc.pos)
        except json.JSONDecodeError as exc:
            raise StrvalsError(f"invalid JSON value: {exc.msg}") from None
        self.sc.pos = end
        return value


def _json_int(text: str) -> int:
    """A JSON integer. Helm decodes --set-json numbers as float64, so one past float64's range is an error
    there; it is one here too (and Python's int() never sees thousands of digits)."""
    if math.isinf(float(text)):
        raise StrvalsError(
            f"invalid JSON value: number {_cut(text)} is out of range (helm reads JSON numbers as "
            "float64, at most about 1.8e308)"
        )
    return int(text)


def _json_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise StrvalsError(
            f"invalid JSON value: number {_cut(text)} is out of range (helm reads JSON numbers as "
            "float64, at most about 1.8e308)"
        )
    return value


def _json_constant(text: str) -> float:
    raise StrvalsError(f"invalid JSON value: {text} is not JSON (JSON has no NaN or Infinity)")


def _cut(text: str) -> str:
    return text if len(text) <= 40 else f"{text[:20]}...({len(text):,} characters)"


_JSON = json.JSONDecoder(parse_int=_json_int, parse_float=_json_float, parse_constant=_json_constant)


def _atoi(v: str) -> int:
    if not _INT_RE.match(v):
        raise ValueError(v)
    return int(v)


def _set(data: YamlMap, key: str, val: Yaml) -> None:
    if key:
        data[key] = val


def _set_index(lst: YamlList, index: int, val: Yaml) -> YamlList:
    if index < 0:
        raise StrvalsError(f"negative {index} index not allowed")
    if index > MAX_INDEX:
        raise StrvalsError(f"index of {index} is greater than maximum supported index of {MAX_INDEX}")
    lst = list(lst)
    if len(lst) <= index:
        lst.extend([None] * (index + 1 - len(lst)))
    lst[index] = val
    return lst


def _parse_into(text: str, dest: YamlMap, mode: str) -> YamlMap:
    try:
        _Parser(text, dest, mode).parse()
    except RecursionError:
        raise StrvalsError("expression nested too deeply") from None
    return dest


def parse_set(text: str, dest: YamlMap | None = None) -> YamlMap:
    """``--set``: parse ``text`` into ``dest`` (a new dict when None) and return it."""
    return _parse_into(text, {} if dest is None else dest, "set")


def parse_set_string(text: str, dest: YamlMap | None = None) -> YamlMap:
    """``--set-string``: like ``--set`` but every value stays a string."""
    return _parse_into(text, {} if dest is None else dest, "string")


def parse_set_json(text: str, dest: YamlMap | None = None) -> YamlMap:
    """``--set-json``: each value is a JSON document."""
    return _parse_into(text, {} if dest is None else dest, "json")
