"""The CronJob part of a Kubernetes OpenAPI schema, compacted and checked without jsonschema (the fast path).

kubernetes-validate bundles each version's whole OpenAPI schema (a 1.8 MB _definitions.json); reading it
and importing jsonschema and referencing costs more than the rest of a run. A manifest that passes needs
neither: ``_compact`` keeps only what the CronJob references, and only the keywords that validate, and
``_Checker`` gives Draft202012Validator's verdict for them. kube.py ships and selects the compact schemas;
a rejected manifest goes to jsonschema, which words the problem (and has the last word). A keyword
``_Checker`` does not implement disables the fast path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .schemagen import DRAFT7_KEYWORDS

# keywords whose verdict depends on a value, not only on its JSON type
_VALUE_KEYWORDS = frozenset(
    {
        "enum",
        "const",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "uniqueItems",
        "multipleOf",
        "minProperties",
        "maxProperties",
        "not",
        "if",
        "contains",
        "dependentRequired",
        "propertyNames",
        "patternProperties",
    }
)


def _only_types(schema: dict[str, Any], defs: dict[str, Any]) -> bool:
    """True when the CronJob schema (all it references) constrains nothing but keys and types -- apart
    from the apiVersion/kind enums, which the shape keeps literally. Then equal shapes get equal verdicts."""
    seen: set[str] = set()
    stack: list[tuple[Any, bool]] = [(schema, True)]
    while stack:
        node, top = stack.pop()
        if isinstance(node, list):
            stack.extend((x, False) for x in node)
            continue
        if not isinstance(node, dict):
            continue
        for k, v in node.items():
            if k in _VALUE_KEYWORDS:
                return False
            if k == "$ref" and isinstance(v, str):
                name = v.rsplit("/", 1)[-1]
                if name not in seen and name in defs:
                    seen.add(name)
                    stack.append((defs[name], False))
            elif k == "properties" and isinstance(v, dict):  # property names are not keywords
                stack.extend(
                    (sub, False) for key, sub in v.items() if not (top and key in ("apiVersion", "kind"))
                )
            elif isinstance(v, (dict, list)) and k != "x-kubernetes-group-version-kind":
                stack.append((v, False))
    return True


# Draft 2020-12 keywords that validate (Draft202012Validator.VALIDATORS; a test keeps this in sync)
DRAFT202012_KEYWORDS = (DRAFT7_KEYWORDS - {"additionalItems", "dependencies"}) | {
    "$dynamicRef",
    "dependentRequired",
    "dependentSchemas",
    "prefixItems",
    "unevaluatedItems",
    "unevaluatedProperties",
}
_KEPT = frozenset(
    {
        "$ref",
        "additionalProperties",
        "allOf",
        "anyOf",
        "const",
        "enum",
        "items",
        "not",
        "oneOf",
        "properties",
        "required",
        "type",
    }
)
_IGNORED = frozenset({"format"})  # asserts nothing without a format checker (none is passed)
_DEFS_REF = "/api/_definitions.json#/$defs/"  # from the CronJob file; inside _definitions.json: "#/$defs/"
_SCALARS = (str, bool, int, float, type(None))


class _Unsupported(Exception):
    pass


def _compact(schema: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any] | None:
    """``{"root": ..., "defs": {name: ...}}``: the CronJob schema and every definition it reaches, with the
    validating keywords only and ``$ref`` as a definition name; None when a keyword is not supported."""
    defs_in = definitions.get("$defs", {})
    defs: dict[str, Any] = {}
    todo: list[str] = []

    def ref_name(ref: Any, in_defs: bool) -> str:
        prefix = "#/$defs/" if in_defs else _DEFS_REF
        if not isinstance(ref, str) or not ref.startswith(prefix) or "/" in ref[len(prefix) :]:
            raise _Unsupported(ref)
        name = ref[len(prefix) :].replace("~1", "/").replace("~0", "~")
        if name not in defs_in:
            raise _Unsupported(ref)
        if name not in defs:
            defs[name] = None
            todo.append(name)
        return name

    def strip(node: Any, in_defs: bool) -> Any:
        if isinstance(node, bool):
            return node
        if not isinstance(node, dict):
            raise _Unsupported(repr(node)[:40])
        out: dict[str, Any] = {}
        for k, v in node.items():
            if k in _IGNORED or (k not in _KEPT and k not in DRAFT202012_KEYWORDS):
                if k in ("$id", "$anchor", "$dynamicAnchor", "$recursiveRef") and node is not schema:
                    raise _Unsupported(k)  # would change what a $ref means
                continue
            if k not in _KEPT:
                raise _Unsupported(k)
            if k == "$ref":
                out[k] = ref_name(v, in_defs)
            elif k == "properties":
                out[k] = {name: strip(sub, in_defs) for name, sub in v.items()}
            elif k in ("additionalProperties", "items", "not"):
                out[k] = strip(v, in_defs)
            elif k in ("allOf", "anyOf", "oneOf"):
                out[k] = [strip(sub, in_defs) for sub in v]
            elif k in ("enum", "const"):
                values = v if k == "enum" else [v]
                if not isinstance(values, list) or not all(isinstance(x, _SCALARS) for x in values):
                    raise _Unsupported(k)
                out[k] = v
            elif k == "type":
                types = v if isinstance(v, list) else [v]
                if not all(t in _TYPE_CHECKS for t in types):
                    raise _Unsupported(f"type {v!r}")
                out[k] = v
            else:  # required
                if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                    raise _Unsupported(k)
                out[k] = v
        return out

    try:
        root = strip(schema, False)
        while todo:
            name = todo.pop()
            defs[name] = strip(defs_in[name], True)
    except _Unsupported:
        return None
    return {"root": root, "defs": dict(sorted(defs.items()))}


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


_TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": _is_number,
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())
    ),
}


def _equal(a: Any, b: Any) -> bool:  # jsonschema's equality for scalars: booleans are not numbers, 1 == 1.0
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, str) or isinstance(b, str):
        return bool(a == b)
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    return a is None and b is None


class _Checker:
    """Draft202012Validator's verdict (valid or not) for a compact schema (see ``_compact``)."""

    def __init__(self, compact: dict[str, Any]) -> None:
        self.defs = compact["defs"]
        self.root = compact["root"]

    def __call__(self, instance: Any) -> bool:
        try:
            return self.ok(self.root, instance)
        except Exception:  # anything odd: let jsonschema decide (and word it)
            return False

    def ok(self, node: Any, d: Any) -> bool:
        if node is True:
            return True
        if node is False:
            return False
        if "$ref" in node and not self.ok(self.defs[node["$ref"]], d):
            return False
        t = node.get("type")
        if t is not None:
            if isinstance(t, list):
                if not any(_TYPE_CHECKS[x](d) for x in t):
                    return False
            elif not _TYPE_CHECKS[t](d):
                return False
        if "enum" in node and not any(_equal(d, x) for x in node["enum"]):
            return False
        if "const" in node and not _equal(d, node["const"]):
            return False
        if isinstance(d, dict):
            for key in node.get("required", ()):
                if key not in d:
                    return False
            props = node.get("properties")
            extra = node.get("additionalProperties", True)
            for key, value in d.items():
                sub = props.get(key) if props is not None else None
                if sub is not None:
                    if not self.ok(sub, value):
                        return False
                elif extra is not True and (extra is False or not self.ok(extra, value)):
                    return False
        elif isinstance(d, list) and "items" in node:
            items = node["items"]
            if not all(self.ok(items, x) for x in d):
                return False
        if "allOf" in node and not all(self.ok(s, d) for s in node["allOf"]):
            return False
        if "anyOf" in node and not any(self.ok(s, d) for s in node["anyOf"]):
            return False
        if "oneOf" in node and sum(1 for s in node["oneOf"] if self.ok(s, d)) != 1:
            return False
        if "not" in node and self.ok(node["not"], d):
            return False
        return True
