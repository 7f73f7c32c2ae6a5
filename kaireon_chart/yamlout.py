"""Manifests as YAML (or JSON) text: a small emitter for plain data, and PyYAML's dumper made go-yaml safe.

PyYAML's representer costs more than the rest of a run; manifests need none of its generality. A
string is written plain only when both YAML 1.1 (go-yaml v2: kubectl, helm) and YAML 1.2 readers read
it back as that same string; anything else is double-quoted with escapes. tests/cli/test_output.py
round-trips generated documents through PyYAML and through helm's YAML typing.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .goyaml import implicit_resolvers


def dump_manifests(manifests: list[dict[str, Any]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(manifests, indent=2) + "\n"
    return "".join("---\n" + (_yaml_block(m, 0) if m else f"{_inline(m)}\n") for m in manifests)


_PLAIN_OK = re.compile(r"[A-Za-z_/][A-Za-z0-9_./@-]*(?:[ ][A-Za-z0-9_./@()-]+)*\Z").match
_RESOLVERS = implicit_resolvers()  # go-yaml's implicit types, without PyYAML


def _plain_ok(text: str) -> bool:
    if not text or not _PLAIN_OK(text) or text[-1] in ".:-":
        return False
    if any(regexp.match(text) for _tag, regexp in _RESOLVERS.get(text[0], [])):
        return False
    return text.lower() not in _YAML_WORDS


_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", ".inf", ".nan"})


def _quote(text: str) -> str:
    out = ['"']
    for ch in text:
        o = ord(ch)
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif (
            o < 0x20
            or 0x7F <= o <= 0x9F
            or 0xD800 <= o <= 0xDFFF
            or o in (0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF)
        ):
            out.append(f"\\u{o:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return json.dumps(value)
    if isinstance(value, str):
        return _string(value)
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


_STRINGS: dict[str, str] = {}  # text -> its YAML form (keys and labels repeat in every manifest)


def _string(text: str) -> str:
    out = _STRINGS.get(text)
    if out is None:
        out = _STRINGS[text] = text if _plain_ok(text) else _quote(text)
    return out


def _key(key: Any) -> str:
    return _string(key) if type(key) is str else _scalar(str(key))


def _yaml_block(value: Any, indent: int) -> str:
    """``value`` (a dict or list) as block YAML lines at ``indent`` spaces, ending with a newline."""
    pad = " " * indent
    lines = []
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, dict) and v:
                lines.append(f"{pad}{_key(k)}:\n{_yaml_block(v, indent + 2)}")
            elif isinstance(v, list) and v:
                lines.append(f"{pad}{_key(k)}:\n{_yaml_block(v, indent)}")
            else:
                lines.append(f"{pad}{_key(k)}: {_inline(v)}\n")
    else:
        for item in value:
            if isinstance(item, (dict, list)) and item:
                body = _yaml_block(item, indent + 2)
                lines.append(f"{pad}- {body[indent + 2 :]}")
            else:
                lines.append(f"{pad}- {_inline(item)}\n")
    return "".join(lines)


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar(value)


_DUMPER: Any = None


def go_safe_dumper() -> Any:
    """A SafeDumper that also quotes every string go-yaml v2 (kubectl, helm) would read as something
    else: `y`, `on`, `1e3`, `0o17`, `09`, `+.5` ... (PyYAML alone prints those plain)."""
    global _DUMPER
    if _DUMPER is None:
        import yaml  # lazy: PyYAML ~12 ms (bench 8); only add-route prints YAML with it

        base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
        dumper: Any = type("GoSafeDumper", (base,), {})
        dumper.yaml_implicit_resolvers = {k: list(v) for k, v in base.yaml_implicit_resolvers.items()}
        for first, resolvers in implicit_resolvers().items():
            for tag, regexp in resolvers:
                if tag != "tag:yaml.org,2002:merge":
                    dumper.yaml_implicit_resolvers.setdefault(first, []).append((tag, regexp))
        _DUMPER = dumper
    return _DUMPER
