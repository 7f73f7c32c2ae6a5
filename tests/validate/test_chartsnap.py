"""The parsed snapshot of the chart's YAML answers exactly what PyYAML gives, and only for the same text."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import yaml

from kaireon_chart import chartsnap

CHART_DIR = Path(__file__).resolve().parents[2] / "chart"


def _ordered(value):  # equality that also compares key order (it is the manifests' order)
    if isinstance(value, dict):
        return [(k, _ordered(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_ordered(v) for v in value]
    return (type(value).__name__, value)


def test_snapshot_is_current_and_exact():
    assert chartsnap.SNAPSHOT.read_text(encoding="utf-8") == chartsnap.document(CHART_DIR), (
        "run `make generate`"
    )
    for name in chartsnap.FILES:
        text = (CHART_DIR / name).read_text(encoding="utf-8")
        parsed = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
        assert _ordered(chartsnap.lookup(text)) == _ordered(parsed), name


def test_only_the_same_text_is_answered_and_copies_are_private():
    text = (CHART_DIR / "values.yaml").read_text(encoding="utf-8")
    assert chartsnap.lookup(text + "\n# edited\n") is None
    same_length = text.replace("a", "b", 1)  # an edit that keeps the length is still another text
    assert len(same_length) == len(text) and chartsnap.lookup(same_length) is None
    assert chartsnap.lookup("") is None
    first = chartsnap.lookup(text)
    first["cron"] = None
    assert chartsnap.lookup(text)["cron"] is not None


def test_data_json_cannot_hold_is_left_out():
    assert chartsnap.json_exact({"a": [1, 2.5, None, True, "x"]})
    for bad in ({1: "int key"}, {"d": datetime.date(2026, 1, 1)}, [float("nan")], {"s": {1, 2}}, b"bytes"):
        assert not chartsnap.json_exact(bad), bad
    assert json.loads(json.dumps({"f": 1.0}))["f"].__class__ is float  # 1.0 stays a float through JSON
