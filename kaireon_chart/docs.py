"""chart/README.md from values.yaml's ``## @section`` / ``## @param`` comments and values.schema.json.

``python -m kaireon_chart.docs CHART [--check]`` for any chart; ``make generate`` runs it for ours.
Every value needs a @param for its key or an enclosing key, and every @param an existing key.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .extras import MissingExtra

__all__ = ["DocsError", "Param", "Section", "parse_params", "render_readme", "main"]

_TEMPLATE = "chart_readme.md.j2"
_PARAM = re.compile(r"^\s*##\s*@param\s+(?P<key>\S+)\s+(?P<desc>.*\S)\s*$")
_SECTION = re.compile(r"^\s*##\s*@section\s+(?P<title>.*\S)\s*$")
_MISSING = object()


class DocsError(Exception):
    """values.yaml and its @param comments disagree; the message names the key."""


@dataclass
class Param:
    key: str
    type: str
    default: str
    description: str


@dataclass
class Section:
    title: str
    params: list[Param] = field(default_factory=list)


def parse_params(values_text: str, values: dict[str, Any], schema: dict[str, Any]) -> list[Section]:
    """The documented parameters, by section, checked against the values they document."""
    sections: list[Section] = []
    documented: set[str] = set()
    for lineno, line in enumerate(values_text.splitlines(), 1):
        if m := _SECTION.match(line):
            sections.append(Section(m["title"]))
        elif m := _PARAM.match(line):
            key = m["key"]
            value = _lookup(values, key)
            if value is _MISSING:
                raise DocsError(
                    f"values.yaml:{lineno}: @param {key} documents a key that values.yaml does not set"
                )
            if key in documented:
                raise DocsError(f"values.yaml:{lineno}: @param {key} is documented twice")
            if not sections:
                sections.append(Section("Parameters"))
            documented.add(key)
            sections[-1].params.append(Param(key, _schema_type(schema, key), _default(value), m["desc"]))
    missing = [leaf for leaf in _leaves(values) if not _covered(leaf, documented)]
    if missing:
        raise DocsError(
            "values.yaml: no @param comment for "
            + ", ".join(missing)
            + " (add `## @param <key> <description>` above each)"
        )
    return [s for s in sections if s.params]


def render_readme(chart_dir: Path) -> str:
    chart_dir = Path(chart_dir)
    values_text = (chart_dir / "values.yaml").read_text(encoding="utf-8")
    values = yaml.safe_load(values_text) or {}
    schema = json.loads(_schema_source(chart_dir).read_text(encoding="utf-8"))
    meta = yaml.safe_load((chart_dir / "Chart.yaml").read_text(encoding="utf-8"))
    try:
        import jinja2  # lazy: jinja2 is the [docs] extra (only README generation needs it)
    except ImportError:
        raise MissingExtra("chart README generation", "jinja2", "docs") from None
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("kaireon_chart", "templates"),
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["cell"] = _cell
    sections = parse_params(values_text, values, schema)
    return env.get_template(_TEMPLATE).render(chart=meta, sections=sections, entry=_entry_fields(schema))


def _entry_fields(schema: dict[str, Any]) -> list[Param]:
    """The fields of one cron.schedules entry, from the schema's entry definition."""
    entry = _resolve(schema, _schema_node(schema, "cron.schedules.x"))
    rows = []
    for name, node in entry.get("properties", {}).items():
        node = _resolve(schema, node)
        kind = node.get("type", "any")
        if name == "enabled":
            default, desc = "true", "false keeps the entry but renders no CronJob."
        elif name in ("schedule", "path"):
            default, desc = "(required)", node.get("description", "")
        elif name == "shards":  # no tier default: absent renders one pod
            default, desc = "(absent: one pod)", node.get("description", "")
        else:
            default, desc = f"cron.{name}", f"Overrides `cron.{name}` for this job."
        rows.append(
            Param(
                f"cron.schedules.<key>.{name}",
                " or ".join(kind) if isinstance(kind, list) else kind,
                default,
                desc,
            )
        )
    return rows


def _schema_source(chart_dir: Path) -> Path:
    """schemas/values.schema.json of the checkout (the one source), else the chart's copy."""
    source = chart_dir.resolve().parent / "schemas" / "values.schema.json"
    return source if source.is_file() else chart_dir / "values.schema.json"


def _lookup(values: Any, dotted: str) -> Any:
    node = values
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _leaves(values: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.extend(_leaves(value, f"{path}."))
        else:
            out.append(path)
    return out


def _covered(leaf: str, documented: set[str]) -> bool:
    parts = leaf.split(".")
    return any(".".join(parts[:i]) in documented for i in range(1, len(parts) + 1))


def _schema_type(schema: dict[str, Any], dotted: str) -> str:
    node = _resolve(schema, _schema_node(schema, dotted))
    kind = node.get("type", "any")
    return " or ".join(kind) if isinstance(kind, list) else kind


def _schema_node(schema: dict[str, Any], dotted: str) -> dict[str, Any]:
    node = schema
    for part in dotted.split("."):
        node = _resolve(schema, node)
        props = node.get("properties", {})
        if part in props:
            node = props[part]
            continue
        for pattern, sub in node.get("patternProperties", {}).items():
            if re.search(pattern, part):
                node = sub
                break
        else:
            extra = node.get("additionalProperties")
            if not isinstance(extra, dict):
                raise DocsError(f"values.schema.json: no schema for {dotted}")
            node = extra
    return node


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = schema
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def _default(value: Any) -> str:
    return json.dumps(value, separators=(", ", ": "))


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _check_or_write(path: Path, content: bytes, check: bool) -> bool:
    current = path.read_bytes() if path.exists() else None
    if current == content:
        return True
    if check:
        print(f"{path}: out of date (run `make generate`)", file=sys.stderr)
        return False
    path.write_bytes(content)
    print(f"wrote {path}")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kaireon_chart.docs", description=__doc__.splitlines()[0])
    parser.add_argument("chart", type=Path, help="the chart directory (chart)")
    parser.add_argument("--check", action="store_true", help="only report whether the files are current")
    args = parser.parse_args(argv)
    try:
        readme = render_readme(args.chart)
    except (DocsError, MissingExtra, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    ok = _check_or_write(args.chart / "README.md", readme.encode("utf-8"), args.check)
    source = _schema_source(args.chart)
    copy = args.chart / "values.schema.json"
    if source.resolve() != copy.resolve():
        ok = _check_or_write(copy, source.read_bytes(), args.check) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
