"""The chart's own Chart.yaml and values.yaml, parsed ahead of time (``_generated/chart_snapshot.json``).

``lookup(text)`` returns the data PyYAML's safe loader gives for a file with exactly that text (the
snapshot holds each file's text and compares it whole: no hash to compute, no collision to fear),
else None, so an edited or other chart is parsed as usual. It spares the
defaults run the PyYAML import, which keeps bench 1 within helm's time (bench 8; docs/ARCHITECTURE.md,
"Speed").
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).resolve().parent / "_generated" / "chart_snapshot.json"
FILES = ("Chart.yaml", "values.yaml")


@lru_cache(maxsize=1)
def _snapshot() -> dict[str, Any]:
    try:
        data = json.loads(SNAPSHOT.read_bytes())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def lookup(text: str) -> Any:
    """The parsed data of ``text`` when it is exactly a snapshotted file's text, else None. The caller
    gets its own copy (the snapshot is shared within the process)."""
    entry = _snapshot().get(str(len(text)))
    if not isinstance(entry, dict) or entry.get("text") != text or "data" not in entry:
        return None
    return copy.deepcopy(entry["data"])


def document(chart_dir: Path) -> str:
    """The snapshot of ``chart_dir`` (for ``make generate``)."""
    import yaml  # lazy: PyYAML ~12 ms (bench 8); only make generate writes the snapshot

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # what kaireon_chart.chart parses with
    out = {}
    for name in FILES:
        text = (Path(chart_dir) / name).read_text(encoding="utf-8")
        data = yaml.load(text, Loader=loader)  # noqa: S506 - SafeLoader / CSafeLoader
        if json_exact(data) and str(len(text)) not in out:  # keyed by length, the text compared whole
            out[str(len(text))] = {"file": name, "text": text, "data": data}
    return json.dumps(out, indent=1, ensure_ascii=False) + "\n"


def json_exact(value: Any) -> bool:
    """JSON gives back exactly ``value`` (types included)."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and json_exact(v) for k, v in value.items())
    if isinstance(value, list):
        return all(json_exact(v) for v in value)
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    return value is None or isinstance(value, (str, bool, int))
