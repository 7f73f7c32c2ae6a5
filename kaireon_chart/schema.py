"""The JSON Schema layer: the chart's values.schema.json (the file helm uses), draft-07.

Errors become ``(dotted path, message, check id)`` with a helpful "allowed" part: enum values,
pattern meaning, bounds, and for unknown keys the closest known key (``shedule`` -> ``schedule``).
The validator is compiled once per schema (cached by its JSON text) for the life of the process.

For the bundled chart's schema, the generated ``_generated/values_validator.is_valid`` decides first; draft7.py
finds and words the violations only when it rejects.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, NamedTuple

from . import draft7
from ._generated import values_validator as generated
from .extras import MissingExtra

# What the chart's patterns mean, for messages (pattern -> plain words).
PATTERN_MEANINGS = {
    "^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$": "empty or lowercase letters, digits and inner '-' (a DNS-1123 label)",
    "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$": "a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit",
    "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)?$": "empty or a DNS-1123 subdomain (lowercase letters, digits, '-' and '.')",
    "^[-._a-zA-Z0-9]+$": "letters, digits, '-', '_' and '.' (a Secret key)",
    "^/[A-Za-z0-9._~/-]*$": "a URL path starting with '/' made of letters, digits and . _ ~ / - only (nothing a shell could interpret)",
    "^(https?://[^\\s\"'`$\\\\]+)?$": "empty or an http(s) URL without whitespace, quotes, '$' or backslashes",
    "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$": "an image tag: letters, digits, '_', '.', '-', at most 128 characters",
    "^[^\\s:@]+(:[0-9]+(/[^\\s:@]+)?)?$": "an image repository such as registry.example.com:5000/team/image (no tag or digest)",
    "^[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?$": "letters, digits and inner '-', at most 63 characters",
}

_TYPE_WORDS = {
    "integer": "an integer",
    "string": "a string",
    "boolean": "true or false",
    "object": "a map",
    "array": "a list",
    "number": "a number",
    "null": "null",
}


class SchemaIssue(NamedTuple):
    """One schema violation: dotted values path, message, check id."""

    path: str
    message: str
    check: str


def dotted(parts: Iterable[Any]) -> str:
    return ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in parts).replace(".[", "[")


@lru_cache(maxsize=4)
def _compiled(schema_json: str) -> Any:
    schema = json.loads(schema_json)  # the schema itself is checked against the metaschema by tests/chart
    if draft7.supports(schema):
        return draft7.Walker(schema)
    try:
        from jsonschema import Draft7Validator  # lazy: jsonschema is the [jsonschema] extra
    except ImportError:
        raise MissingExtra(
            "a values.schema.json with keywords draft7.py lacks", "jsonschema", "jsonschema"
        ) from None
    return Draft7Validator(schema)


def validator_for(schema: dict[str, Any]) -> Any:
    """An object with ``iter_errors(values)``: draft7.Walker, or jsonschema's for keywords it lacks."""
    return _compiled(json.dumps(schema, sort_keys=True))


def fast_validator(schema: dict[str, Any]) -> Callable[[Any], bool] | None:
    """The generated ``is_valid`` (see schemagen.py) when ``schema`` is exactly the schema it was
    generated from (the bundled chart's), else None. Compared by canonical JSON on every call (about
    0.05 ms), so a schema changed in place is never judged by the wrong validator."""
    canonical = json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return generated.is_valid if canonical == generated.SCHEMA_JSON else None


def check(values: dict[str, Any], schema: dict[str, Any]) -> list[SchemaIssue]:
    """Every schema violation of ``values``, as dotted paths and helpful messages.

    The pre-compiled validator of the bundled schema recognises valid values; draft7.py finds and
    words the violations when it rejects (jsonschema only for keywords draft7.py lacks).
    """
    if not schema:
        return []
    fast = fast_validator(schema)
    if fast is not None and fast(values):
        return []
    issues: list[SchemaIssue] = []
    errors = validator_for(schema).iter_errors(values)
    for err in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
        issues.extend(_translate(err))
    # keep first occurrence of each (path, message)
    seen, out = set(), []
    for issue in issues:
        if (issue.path, issue.message) not in seen:
            seen.add((issue.path, issue.message))
            out.append(issue)
    return out


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return "a map" if isinstance(value, dict) else "a list"
    return repr(value)


def _type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a map"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _translate(err: Any) -> list[SchemaIssue]:
    parts = list(err.absolute_path)
    path = dotted(parts) or "(top level)"
    kind, v, inst = err.validator, err.validator_value, err.instance
    schema = err.schema if isinstance(err.schema, dict) else {}
    if kind == "additionalProperties" and isinstance(inst, dict):
        known = sorted(schema.get("properties", {}))
        patterns = list(schema.get("patternProperties", {}))
        out = []
        for key in sorted(map(str, inst)):
            if key in known or any(re.search(p, key) for p in patterns):
                continue
            here = dotted(parts + [key])
            if patterns and not known:
                meaning = PATTERN_MEANINGS.get(patterns[0], f"matching {patterns[0]}")
                out.append(
                    SchemaIssue(
                        here,
                        f"key {json.dumps(key)} is not allowed here; keys must be {meaning}",
                        "schema-key",
                    )
                )
                continue
            import difflib  # lazy: difflib ~1 ms (bench 8), only for an unknown key

            guess = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            if not guess:
                lowered = {k.lower(): k for k in known}
                if key.lower() in lowered:
                    guess = [lowered[key.lower()]]
            hint = f"did you mean `{guess[0]}`? " if guess else ""
            allowed = ", ".join(known) if known else "no other keys"
            out.append(
                SchemaIssue(
                    here,
                    f"unknown key {json.dumps(key)}; {hint}allowed keys: {allowed}",
                    "schema-unknown-key",
                )
            )
        return out
    if kind == "required":
        missing = re.findall(r"'([^']+)' is a required property", err.message)
        name = missing[0] if missing else str(v)
        return [
            SchemaIssue(
                dotted(parts + [name]),
                f"is required; set {name} under {path}"
                if parts
                else f"is required; set the top-level key {name}",
                "schema-required",
            )
        ]
    if kind == "type":
        want = v if isinstance(v, list) else [v]
        words = " or ".join(_TYPE_WORDS.get(w, str(w)) for w in want)
        hint = ""
        if "integer" in want and isinstance(inst, str) and re.fullmatch(r"-?\d+", inst.strip()):
            hint = " (remove the quotes)"
        if "string" in want and isinstance(inst, (bool, int, float)) and not isinstance(inst, dict):
            hint = " (quote it)"
        return [
            SchemaIssue(path, f"{_describe(inst)} is {_type_of(inst)}; allowed: {words}{hint}", "schema-type")
        ]
    if kind == "enum":
        allowed = ", ".join(_describe(x) for x in v)
        return [
            SchemaIssue(
                path,
                f"{_describe(inst)} is not supported; allowed: {allowed} (case-sensitive)",
                "schema-enum",
            )
        ]
    if kind == "const":
        return [
            SchemaIssue(path, f"{_describe(inst)} is not allowed; allowed: {_describe(v)}", "schema-const")
        ]
    if kind == "not":
        banned = v.get("enum") if isinstance(v, dict) else None
        what = ", ".join(_describe(x) for x in banned) if banned else "this value"
        return [SchemaIssue(path, f"{_describe(inst)} is not allowed; anything except {what}", "schema-not")]
    if kind == "pattern":
        meaning = PATTERN_MEANINGS.get(v, f"text matching {v}")
        return [SchemaIssue(path, f"{_describe(inst)} is not valid; allowed: {meaning}", "schema-pattern")]
    if kind in ("minimum", "exclusiveMinimum"):
        word = "at least" if kind == "minimum" else "greater than"
        return [
            SchemaIssue(
                path, f"{_describe(inst)} is too small; allowed: an integer {word} {v}", "schema-minimum"
            )
        ]
    if kind in ("maximum", "exclusiveMaximum"):
        word = "at most" if kind == "maximum" else "less than"
        return [SchemaIssue(path, f"{_describe(inst)} is too large; allowed: {word} {v}", "schema-maximum")]
    if kind == "minLength":
        what = "must not be empty" if v == 1 else f"is shorter than {v} characters"
        return [
            SchemaIssue(path, f"{_describe(inst)} {what}; allowed: at least {v} characters", "schema-length")
        ]
    if kind == "maxLength":
        return [SchemaIssue(path, f"is {len(inst)} characters long; allowed: at most {v}", "schema-length")]
    if kind in ("if", "then", "else", "allOf", "anyOf", "oneOf") and err.context:
        out = []
        for sub in err.context:
            out.extend(_translate(sub))
        return out
    return [SchemaIssue(path, f"{err.message}; see values.schema.json", f"schema-{kind}")]
