"""The on-disk result cache (the OpenAPI layer's passing shapes): unwritable dirs ignored, shapes remembered.

The schema layer caches nothing: draft7.py words its problems without importing jsonschema."""

from __future__ import annotations

from kaireon_chart import validate
from kaireon_chart.chart import load_chart
from kaireon_chart.values import coalesce
from kaireon_chart.valuesfile import parse_yaml

CHART = load_chart()
BAD = coalesce(
    parse_yaml("cron:\n  concurrencyPolicy: Sometimes\n  schedules:\n    cleanup: {shedule: x}\n"),
    CHART.values,
)
GOOD = CHART.values


def test_unwritable_cache_dir_is_ignored(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("KAIREON_CHART_CACHE_DIR", str(blocker / "sub"))
    monkeypatch.setenv("KAIREON_CHART_CACHE", "1")
    assert validate(BAD, chart=CHART)


def test_openapi_shapes_known_to_pass_are_remembered_and_others_still_fail(tmp_path, monkeypatch):
    from kaireon_chart import kube
    from kaireon_chart.render import render_cronjobs

    monkeypatch.setenv("KAIREON_CHART_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(kube, "_PASSING", {})
    manifests = render_cronjobs(GOOD, chart=CHART)
    assert kube.validate_manifests(manifests) == []
    assert len(kube._PASSING[kube.parse_version(None)]) == 1  # all seven CronJobs share one shape
    broken = [dict(m) for m in manifests]
    broken[2] = {**broken[2], "spec": {**broken[2]["spec"], "suspend": "yes"}}
    [issue] = kube.validate_manifests(broken)
    assert (issue.manifest, issue.path) == (2, ("spec", "suspend"))
    assert issue.message == "'yes' is not of type boolean; the Kubernetes API expects boolean here"
    monkeypatch.setattr(kube, "_PASSING", {})  # a new process: the disk knows the passing shape
    assert kube.validate_manifests(manifests) == []


def test_shape_memo_only_when_the_schema_constrains_types_alone():
    from kaireon_chart import kube

    assert kube._only_types(
        {"properties": {"kind": {"enum": ["CronJob"]}, "spec": {"$ref": "#/$defs/S"}}},
        {"S": {"properties": {"enum": {"type": "string"}}, "additionalProperties": False}},
    )
    assert not kube._only_types(
        {"properties": {"spec": {"$ref": "#/$defs/S"}}},
        {"S": {"properties": {"policy": {"type": "string", "enum": ["A"]}}}},
    )
    assert not kube._only_types({"properties": {"x": {"items": {"pattern": "^a"}}}}, {})
    for version in kube.supported_versions():  # the bundled schemas: types and fields only
        kube._validator(version)
        assert kube._SHAPE_SAFE[version], version
