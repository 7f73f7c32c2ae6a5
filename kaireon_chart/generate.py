"""``python -m kaireon_chart.generate [--check]`` (``make generate``): writes every generated file.

``OUTPUTS`` is the one list of them; tests/structure/test_generated.py runs ``--check``. Generated
code and data of the package live in ``kaireon_chart/_generated/``; the rest is documentation
derived from its sources (chart/values.yaml, the values schema, the route registry, the checks).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

from . import chartsnap, docs, kube, registry, schemagen, tzlist
from .reports import rules

REPO = Path(__file__).resolve().parent.parent
GENERATED = Path(__file__).resolve().parent / "_generated"


def _default_routes_table() -> str:
    rows = [f"| `{r.key}` | `{r.schedule}` | `{r.path}` |" for r in registry.scheduled()]
    return "\n".join(["| key | schedule | path |", "|---|---|---|", *rows])


def _all_routes_table() -> str:
    rows = [
        f"| `{r.path}` | `cron.schedules.{r.key}` | "
        + (f"`{r.schedule}`" if r.schedule else "none (add-route)")
        + " |"
        for r in registry.ROUTES
    ]
    return "\n".join(["| route | values key | default schedule |", "|---|---|---|", *rows])


BLOCKS: dict[str, Callable[[], str]] = {"routes-default": _default_routes_table, "routes": _all_routes_table}
_BLOCK = re.compile(
    r"(<!-- generated:(?P<name>[a-z-]+) [^>]*-->\n)(?P<body>.*?)(<!-- /generated:(?P=name) -->)", re.DOTALL
)


def fill_blocks(text: str) -> str:
    """``text`` with every ``<!-- generated:NAME ... -->`` block's body replaced by BLOCKS[NAME]()."""
    return _BLOCK.sub(lambda m: m.group(1) + BLOCKS[m.group("name")]() + "\n" + m.group(4), text)


def _blocks_of(path: Path) -> Callable[[], bytes]:
    return lambda: fill_blocks(path.read_text(encoding="utf-8")).encode("utf-8")


def _chart_readme() -> bytes:
    return docs.render_readme(REPO / "chart").encode("utf-8")


def _checks_md() -> bytes:
    return rules.checks_markdown().encode("utf-8")


def _values_validator() -> bytes:
    schema = json.loads((REPO / "schemas" / "values.schema.json").read_bytes())
    return schemagen.generate(schema).encode("utf-8")


def _chart_snapshot() -> bytes:
    return chartsnap.document(REPO / "chart").encode("utf-8")


def _timezones() -> bytes:
    """The IANA names the chart's own time-zone check accepts."""
    return tzlist.template().encode("utf-8")


def outputs() -> dict[Path, Callable[[], bytes]]:
    """Every generated file -> how to make it (the compact OpenAPI schemas only with kubernetes-validate)."""
    out: dict[Path, Callable[[], bytes]] = {
        REPO / "chart" / "values.schema.json": (REPO / "schemas" / "values.schema.json").read_bytes,
        REPO / "chart" / "README.md": _chart_readme,
        REPO / "README.md": _blocks_of(REPO / "README.md"),
        REPO / "docs" / "service.md": _blocks_of(REPO / "docs" / "service.md"),
        REPO / "docs" / "checks.md": _checks_md,
        GENERATED / "values_validator.py": _values_validator,
        GENERATED / "chart_snapshot.json": _chart_snapshot,
        REPO / "chart" / "templates" / "_timezones.tpl": _timezones,
    }
    if kube.available():
        for version in kube.supported_versions():
            doc = kube.compact_document(version)
            if doc is not None:
                out[kube.compact_path(version)] = doc.encode("utf-8").__bytes__
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kaireon_chart.generate", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--check", action="store_true", help="only report files that are out of date (exit 1)"
    )
    args = parser.parse_args(argv)
    stale = []
    for path, make in outputs().items():
        content = make()
        if path.exists() and path.read_bytes() == content:
            continue
        if args.check:
            stale.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        print(f"wrote {path.relative_to(REPO)}")
    for path in stale:
        print(f"{path.relative_to(REPO)}: out of date (run `make generate`)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
