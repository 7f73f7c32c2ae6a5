"""Every violation of a draft-07 JSON Schema, for wording problems without jsonschema at run time.

Covers the keywords ``schemagen.SUPPORTED`` covers (the ones the chart's schema may use) and yields
errors shaped like jsonschema's (``validator``, ``validator_value``, ``instance``, ``schema``,
``absolute_path``, ``context``, ``message``) in jsonschema's order, so ``schema.py`` words both the
same. tests/validate/test_draft7.py compares it with jsonschema's Draft7Validator.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any

from .schemagen import DRAFT7_KEYWORDS, SUPPORTED


class Unsupported(ValueError):
    """The schema uses a keyword or form this module does not implement (use jsonschema)."""


class SchemaError:
    """One violation, with the attributes of a jsonschema ``ValidationError`` that schema.py reads."""

    __slots__ = ("validator", "validator_value", "instance", "schema", "absolute_path", "context", "message")

    def __init__(
        self,
        validator: str | None,
        value: Any,
        instance: Any,
        schema: Any,
        path: tuple[Any, ...],
        message: str,
        context: Sequence[SchemaError] = (),
    ) -> None:
        self.validator = validator
        self.validator_value = value
        self.instance = instance
        self.schema = schema
        self.absolute_path = path
        self.message = message
        self.context = list(context)


def is_type(value: Any, kind: str) -> bool:
    """Draft-07's type rules as jsonschema applies them (``1.0`` is an integer, ``true`` no number)."""
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "null":
        return value is None
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "integer":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    raise Unsupported(f"type {kind!r}")


def equal(a: Any, b: Any) -> bool:
    """jsonschema's equality: booleans are not numbers, ``1 == 1.0``, containers compared deeply."""
    if isinstance(a, str) or isinstance(b, str):
        return bool(a == b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


@lru_cache(maxsize=256)
def _search(pattern: str) -> Any:
    return re.compile(pattern).search


def supports(schema: Any) -> bool:
    """``schema`` uses only what this module implements."""
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict):
        return False
    if any(k in DRAFT7_KEYWORDS and k not in SUPPORTED for k in schema):
        return False
    if "$ref" in schema and not str(schema["$ref"]).startswith("#"):
        return False
    if isinstance(schema.get("items"), list):
        return False
    subs: list[Any] = []
    for word in ("properties", "patternProperties", "definitions"):
        if isinstance(schema.get(word), dict):
            subs.extend(schema[word].values())
    for word in ("items", "not", "if", "then", "else", "additionalProperties"):
        if isinstance(schema.get(word), (dict, bool)):
            subs.append(schema[word])
    for word in ("allOf", "anyOf", "oneOf"):
        subs.extend(schema.get(word) or [])
    return all(supports(s) for s in subs)


class Walker:
    """``iter_errors(instance)``: the violations of ``instance`` against ``root``."""

    def __init__(self, root: Any) -> None:
        self.root = root

    def resolve(self, ref: str) -> Any:
        node: Any = self.root
        for part in ref.lstrip("#").split("/")[1:] if ref != "#" else []:
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def iter_errors(self, instance: Any) -> Iterator[SchemaError]:
        return self._errors(instance, self.root, ())

    def is_valid(self, instance: Any, schema: Any) -> bool:
        return next(self._errors(instance, schema, ()), None) is None

    def _errors(self, inst: Any, schema: Any, path: tuple[Any, ...]) -> Iterator[SchemaError]:
        if schema is True:
            return
        if schema is False:
            yield SchemaError(None, False, inst, schema, path, f"False schema does not allow {inst!r}")
            return
        if "$ref" in schema:  # draft-07: siblings of $ref are ignored
            yield from self._errors(inst, self.resolve(schema["$ref"]), path)
            return
        for word, value in schema.items():
            check = _KEYWORDS.get(word)
            if check is not None:
                yield from check(self, inst, value, schema, path)


_Check = Callable[[Walker, Any, Any, Any, tuple[Any, ...]], Iterator[SchemaError]]


def _type(w: Walker, inst: Any, value: Any, schema: Any, path: tuple[Any, ...]) -> Iterator[SchemaError]:
    kinds = value if isinstance(value, list) else [value]
    if not any(is_type(inst, k) for k in kinds):
        yield SchemaError("type", value, inst, schema, path, f"{inst!r} is not of type {value!r}")


def _enum(w: Walker, inst: Any, value: Any, schema: Any, path: tuple[Any, ...]) -> Iterator[SchemaError]:
    if not any(equal(inst, option) for option in value):
        yield SchemaError("enum", value, inst, schema, path, f"{inst!r} is not one of {value!r}")


def _const(w: Walker, inst: Any, value: Any, schema: Any, path: tuple[Any, ...]) -> Iterator[SchemaError]:
    if not equal(inst, value):
        yield SchemaError("const", value, inst, schema, path, f"{value!r} was expected")


def _properties(
    w: Walker, inst: Any, value: Any, schema: Any, path: tuple[Any, ...]
) -> Iterator[SchemaError]:
    if isinstance(inst, dict):
        for key, sub in value.items():
            if key in inst:
                yield from w._errors(inst[key], sub, (*path, key))


def _pattern_properties(
    w: Walker, inst: Any, value: Any, schema: Any, path: tuple[Any, ...]
) -> Iterator[SchemaError]:
    if isinstance(inst, dict):
        for regex, sub in value.items():
            for key, item in inst.items():
                if _search(regex)(key):
                    yield from w._errors(item, sub, (*path, key))


def _additional(
    w: Walker, inst: Any, value: Any, schema: Any, path: tuple[Any, ...]
) -> Iterator[SchemaError]:
    if not isinstance(inst, dict):
        return
    known = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    extras = [k for k in inst if k not in known and not any(_search(p)(k) for p in patterns)]
    if isinstance(value, dict):
        for key in extras:
            yield from w._errors(inst[key], value, (*path, key))
    elif value is False and extras:
        yield SchemaError(
            "additionalProperties",
            value,
            inst,
            schema,
            path,
            f"Additional properties are not allowed ({', '.join(map(repr, extras))} unexpected)",
        )


def _required(w: Walker, inst: Any, value: Any, schema: Any, path: tuple[Any, ...]) -> Iterator[SchemaError]:
    if isinstance(inst, dict):
        for name in value:
            if name not in inst:
                yield SchemaError("required", value, inst, schema, path, f"{name!r} is a required property")


def _string(word: str) -> _Check:
    def check(w: Walker, inst: Any, value: Any, schema: Any, path: tuple[Any, ...]) -> Iterator[SchemaError]:
        if not isinstance(inst, str):
            return
        if word == "pattern" and not _search(value)(inst):
            yield SchemaError(word, value, inst, schema, path, f"{inst!r} does not match {value!r}")
        elif word == "minLength" and len(inst) < value:
            yield SchemaError(word, value, inst, schema, path, f"{inst!r} is too short")
        elif word == "maxLength" and len(inst) > value:
            yield SchemaError(word, value, inst, schema, path, f"{inst!r} is too long")

    return check


_BOUNDS: dict[str, tuple[Callable[[Any, Any], bool], str]] = {
    "minimum": (lambda i, v: i < v, "less than the minimum of"),
    "maximum": (lambda i, v: i > v, "greater than the maximum of"),
    "exclusiveMinimum": (lambda i, v: i <= v, "less than or equal to the minimum of"),
    "exclusiveMaximum": (lambda i, v: i >= v, "greater than or equal to the maximum of"),
}


def _bound(word: str) -> _Check:
    fails, words = _BOUNDS[word]

    def check(w: Walker, inst: Any, value: Any, schema: Any, path: tuple[Any, ...]) -> Iterator[SchemaError]:
        if is_type(inst, "number") and fails(inst, value):
            yield SchemaError(word, value, inst, schema, path, f"{inst!r} is {words} {value!r}")

    return check


def _items(w: Walker, inst: Any, value: Any, schema: Any, path: tuple[Any, ...]) -> Iterator[SchemaError]:
    if isinstance(inst, list):
        for index, item in enumerate(inst):
            yield from w._errors(item, value, (*path, index))


def _not(w: Walker, inst: Any, value: Any, schema: Any, path: tuple[Any, ...]) -> Iterator[SchemaError]:
    if w.is_valid(inst, value):
        yield SchemaError("not", value, inst, schema, path, f"{inst!r} should not be valid under {value!r}")


def _if(w: Walker, inst: Any, value: Any, schema: Any, path: tuple[Any, ...]) -> Iterator[SchemaError]:
    branch = "then" if w.is_valid(inst, value) else "else"
    if branch in schema:
        yield from w._errors(inst, schema[branch], path)


def _all_of(w: Walker, inst: Any, value: Any, schema: Any, path: tuple[Any, ...]) -> Iterator[SchemaError]:
    for sub in value:
        yield from w._errors(inst, sub, path)


def _any_of(w: Walker, inst: Any, value: Any, schema: Any, path: tuple[Any, ...]) -> Iterator[SchemaError]:
    context: list[SchemaError] = []
    for sub in value:
        found = list(w._errors(inst, sub, path))
        if not found:
            return
        context.extend(found)
    yield SchemaError(
        "anyOf", value, inst, schema, path, f"{inst!r} is not valid under any of the given schemas", context
    )


def _one_of(w: Walker, inst: Any, value: Any, schema: Any, path: tuple[Any, ...]) -> Iterator[SchemaError]:
    context: list[SchemaError] = []
    valid = []
    for sub in value:
        found = list(w._errors(inst, sub, path))
        if found:
            context.extend(found)
        else:
            valid.append(sub)
    if not valid:
        yield SchemaError(
            "oneOf",
            value,
            inst,
            schema,
            path,
            f"{inst!r} is not valid under any of the given schemas",
            context,
        )
    elif len(valid) > 1:
        yield SchemaError("oneOf", value, inst, schema, path, f"{inst!r} is valid under each of {valid!r}")


_KEYWORDS: dict[str, _Check] = {
    "type": _type,
    "enum": _enum,
    "const": _const,
    "properties": _properties,
    "patternProperties": _pattern_properties,
    "additionalProperties": _additional,
    "required": _required,
    "pattern": _string("pattern"),
    "minLength": _string("minLength"),
    "maxLength": _string("maxLength"),
    "minimum": _bound("minimum"),
    "maximum": _bound("maximum"),
    "exclusiveMinimum": _bound("exclusiveMinimum"),
    "exclusiveMaximum": _bound("exclusiveMaximum"),
    "items": _items,
    "not": _not,
    "if": _if,
    "allOf": _all_of,
    "anyOf": _any_of,
    "oneOf": _one_of,
}
