"""The pre-compiled validators (values schema, CronJob OpenAPI schema) agree with jsonschema exactly,
are current with their sources, and keep the layers as strict as before (unknown fields, wrong types)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaireon_chart import kube, kube_compact, schema, schemagen
from kaireon_chart.chart import load_chart
from kaireon_chart.render import render_cronjobs

REPO = Path(__file__).resolve().parents[2]
CHART = load_chart()
SOURCE_SCHEMA = json.loads((REPO / "schemas" / "values.schema.json").read_text(encoding="utf-8"))

jsonschema = pytest.importorskip("jsonschema")
kubernetes_validate = pytest.importorskip("kubernetes_validate")


def test_keyword_lists_match_jsonschema():
    assert schemagen.DRAFT7_KEYWORDS == set(jsonschema.Draft7Validator.VALIDATORS)
    assert kube_compact.DRAFT202012_KEYWORDS == set(jsonschema.Draft202012Validator.VALIDATORS)


def test_generated_values_validator_is_current():
    from kaireon_chart._generated import values_validator as _values_validator

    text = Path(_values_validator.__file__).read_text(encoding="utf-8")
    assert text == schemagen.generate(SOURCE_SCHEMA), "run `make generate`"


def test_compact_kube_schemas_are_current():
    other_bundle = []
    for version in kube.supported_versions():
        doc = kube.compact_document(version)
        assert doc is not None, version  # the bundled schemas use only what the fast path implements
        path = kube.compact_path(version)
        if not path.exists() or json.loads(path.read_bytes())["sources"] != json.loads(doc)["sources"]:
            other_bundle.append(version)  # made from another kubernetes-validate: not used (see below)
            continue
        assert path.read_text(encoding="utf-8") == doc, f"{version}: run `make generate`"
    if other_bundle == list(kube.supported_versions()):
        pytest.skip(
            "the shipped compact schemas were made from another kubernetes-validate; run `make generate`"
        )


def test_a_compact_schema_is_used_only_for_the_bundle_it_was_made_from():
    version = kube.supported_versions()[-1]
    sources = json.loads(kube.compact_path(version).read_bytes())["sources"]
    assert kube._made_from_installed(sources, version)
    resized = copy.deepcopy(sources)
    resized["files"]["_definitions.json"]["size"] += 1
    assert not kube._made_from_installed(resized, version)
    other_release = copy.deepcopy(sources)
    other_release["release"] = "0.0.1"  # then the SHA-256 decides
    assert kube._made_from_installed(other_release, version)
    other_release["files"]["cronjob-batch-v1.json"]["sha256"] = "0" * 64
    assert not kube._made_from_installed(other_release, version)
    assert not kube._made_from_installed(None, version)


def test_fast_values_validator_only_for_the_schema_it_was_generated_from():
    assert schema.fast_validator(CHART.schema) is not None
    other = copy.deepcopy(CHART.schema)
    other["properties"]["cron"]["properties"]["concurrencyPolicy"] = {"const": 1}
    assert schema.fast_validator(other) is None
    changed_in_place = copy.deepcopy(CHART.schema)
    assert schema.fast_validator(changed_in_place) is not None
    changed_in_place["properties"]["cron"]["properties"]["concurrencyPolicy"] = {"const": 1}
    assert schema.fast_validator(changed_in_place) is None
    # ... and then jsonschema decides: the other schema's rule applies
    values = copy.deepcopy(CHART.values)
    values["cron"]["concurrencyPolicy"] = True  # jsonschema: true is not 1
    [issue] = schema.check(values, other)
    assert issue.path == "cron.concurrencyPolicy"


def test_generator_refuses_keywords_it_does_not_implement():
    for bad in (
        {"uniqueItems": True},
        {"properties": {"a": {"multipleOf": 2}}},
        {"items": [{}]},
        {"$ref": "https://example.com/x.json"},
        {"properties": {"a": {"$id": "https://example.com/a"}}},
    ):
        with pytest.raises(schemagen.UnsupportedSchema):
            schemagen.generate(bad)


# -- differential: the generated validator against Draft7Validator on mutated values -------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.0, 1.0, 2.5, -1.0, 2**31, 2**53]),
    st.sampled_from(
        [
            "",
            "x",
            "Forbid",
            "latest",
            "0 3 * * *",
            "/api/v1/x",
            "a b",
            "Europe/Berlin",
            "ab\n",
            "UPPER",
            "a.b-c",
            "1",
            "true",
            "ClusterIP",
            "Allow",
            "kaireon",
        ]
    ),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["a", "enabled", "schedule", "path", "name"]), inner, max_size=3),
    ),
    max_leaves=6,
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


@st.composite
def mutated_values(draw):
    values = copy.deepcopy(CHART.values)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(values) if p]
        path = draw(st.sampled_from(paths))
        parent = values
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["set", "delete", "add", "same-type", "same-type", "same-type"]))
        current = parent[path[-1]]
        if action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["shedule", "extra", "enabled", "path", "schedule"]))] = draw(VALUES)
        elif action == "same-type" and not isinstance(current, (dict, list)):
            parent[path[-1]] = draw(_same_type(current))
        else:
            parent[path[-1]] = draw(VALUES)
    return values


def _same_type(value):  # mostly valid edits, so both verdicts are exercised
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.one_of(st.integers(-2, 70000), st.sampled_from([2**31 - 1, 2**31, 2**53 - 1, 2**53, 3.0]))
    if isinstance(value, str):
        return st.one_of(
            st.sampled_from(
                [
                    "",
                    "x",
                    "Forbid",
                    "latest",
                    "0 3 * * *",
                    "/api/v1/x",
                    "a b",
                    "UTC",
                    "ab\n",
                    "UPPER",
                    "a.b-c",
                    "Never",
                    "Always",
                    "NodePort",
                    "/x;y",
                    "v1.2",
                ]
            ),
            st.text("abc-./_:09A", max_size=12),
        )
    return st.just(value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_values())
def test_generated_validator_agrees_with_jsonschema(values):
    fast = schema.fast_validator(CHART.schema)
    assert fast(values) == jsonschema.Draft7Validator(CHART.schema).is_valid(values)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_values())
def test_draft7_walker_finds_and_words_what_jsonschema_does(values):
    """draft7.py (no jsonschema at run time) reports the same violations, worded the same."""
    from kaireon_chart import draft7

    def key(err):
        return [str(p) for p in err.absolute_path]

    ours = sorted(draft7.Walker(CHART.schema).iter_errors(values), key=key)
    theirs = sorted(jsonschema.Draft7Validator(CHART.schema).iter_errors(values), key=key)
    assert [(list(e.absolute_path), e.validator) for e in ours] == [
        (list(e.absolute_path), e.validator) for e in theirs
    ]
    assert [i for e in ours for i in schema._translate(e)] == [
        i for e in theirs for i in schema._translate(e)
    ]


def test_draft7_walker_covers_every_keyword_the_generator_supports():
    from kaireon_chart import draft7

    cases = [
        ({"type": "integer"}, 1.0),
        ({"type": "integer"}, True),
        ({"enum": [1, "a"]}, True),
        ({"const": [1, {"a": 1.0}]}, [1.0, {"a": 1}]),
        ({"exclusiveMinimum": 1}, 1),
        ({"exclusiveMaximum": 1}, 0.5),
        ({"anyOf": [{"type": "string"}, {"minimum": 3}]}, 2),
        ({"oneOf": [{"minimum": 1}, {"maximum": 5}]}, 3),
        ({"allOf": [{"minimum": 1}, {"maximum": 0}]}, 0.5),
        ({"not": {"type": "null"}}, None),
        ({"items": {"type": "string"}}, ["a", 1]),
        ({"if": {"type": "string"}, "else": {"minimum": 2}}, 1),
        ({"patternProperties": {"^a": {"type": "string"}}, "additionalProperties": False}, {"ab": 1, "b": 2}),
        ({"properties": {"a": {"maxLength": 1}}, "required": ["a", "b"]}, {"a": "xy"}),
        ({"$ref": "#/definitions/x", "definitions": {"x": {"pattern": "^[0-9]+$"}}}, "12a"),
        (False, 1),
    ]
    for schema_doc, instance in cases:
        assert draft7.supports(schema_doc)
        ours = [
            (list(e.absolute_path), e.validator, len(e.context))
            for e in draft7.Walker(schema_doc).iter_errors(instance)
        ]
        theirs = [
            (list(e.absolute_path), e.validator, len(e.context))
            for e in jsonschema.Draft7Validator(schema_doc).iter_errors(instance)
        ]
        assert sorted(ours, key=str) == sorted(theirs, key=str), schema_doc
    assert not draft7.supports({"uniqueItems": True})


def test_generated_validator_uses_jsonschema_equality_and_types():
    fast = schema.fast_validator(CHART.schema)
    reference = jsonschema.Draft7Validator(CHART.schema)
    cases = []
    for entry in (
        {"enabled": 0, "schedule": "@daily", "path": "/x"},
        {"enabled": 0},  # 0 is not false
        {"enabled": False},
        {"schedule": "@daily", "path": "/x", "backoffLimit": 2.0},
        {"schedule": "@daily", "path": "/x", "backoffLimit": 2.5},
        {"schedule": "@daily", "path": "/x", "backoffLimit": True},
        {"schedule": "@daily", "path": "/x\n"},
    ):
        values = copy.deepcopy(CHART.values)
        values["cron"]["schedules"]["extra"] = entry
        cases.append(values)
    for values in cases:
        assert fast(values) == reference.is_valid(values), values["cron"]["schedules"]["extra"]


# -- the Kubernetes OpenAPI layer -------------------------------------------------------------------------

VERSIONS = [(1, 27), kube.supported_versions()[-1]]
MANIFESTS = render_cronjobs(CHART.values, chart=CHART)


def _reference(version):
    return kube._validator(version)


@pytest.mark.parametrize("version", VERSIONS, ids=lambda v: f"{v[0]}.{v[1]}")
def test_fast_kube_checker_rejects_unknown_fields_and_wrong_types(version):
    fast, shape_safe = kube._fast_checker(version)
    assert fast is not None and shape_safe
    manifest = MANIFESTS[0]
    assert fast(manifest)
    container = ("spec", "jobTemplate", "spec", "template", "spec", "containers", 0)
    bad = []
    for path, value in [
        (("spec", "schedul"), "x"),
        (("spec", "suspend"), "yes"),
        (("metadata", "labels", "a"), 1),
        ((*container, "imagePullPolicy"), 3),
        ((*container, "envv"), []),
        ((*container, "resources", "limits", "memory"), [1]),
        ((*container, "resources", "limits", "cpu"), None),
        (("spec", "jobTemplate", "spec", "backoffLimit"), 1.5),
        (("kind",), "Job"),
        (("apiVersion",), None),
        (("status",), 5),
    ]:
        broken = copy.deepcopy(manifest)
        node = broken
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
        bad.append(broken)
    for broken in bad:
        assert not fast(broken)
        assert not _reference(version).is_valid(broken)
        [issue] = kube.validate_manifests([broken], f"{version[0]}.{version[1]}")
        assert issue.manifest == 0


KUBE_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 2),
    st.sampled_from([1.0, 0.5]),
    st.sampled_from(["", "x", "100m", "1"]),
)
KUBE_VALUES = st.recursive(
    KUBE_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=2),
        st.dictionaries(st.sampled_from(["name", "x", "value", "key"]), inner, max_size=2),
    ),
    max_leaves=4,
)


@st.composite
def mutated_manifest(draw):
    manifest = copy.deepcopy(draw(st.sampled_from(MANIFESTS)))
    paths = [p for p in _paths(manifest) if p]
    path = draw(st.sampled_from(paths))
    parent = manifest
    for part in path[:-1]:
        parent = parent[part]
    action = draw(st.sampled_from(["set", "delete", "add"]))
    if action == "delete" and isinstance(parent, dict):
        del parent[path[-1]]
    elif action == "add" and isinstance(parent, dict):
        parent[draw(st.sampled_from(["name", "extra", "value", "type"]))] = draw(KUBE_VALUES)
    else:
        parent[path[-1]] = draw(KUBE_VALUES)
    return manifest


@pytest.mark.parametrize("version", VERSIONS, ids=lambda v: f"{v[0]}.{v[1]}")
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(manifest=mutated_manifest())
def test_fast_kube_checker_agrees_with_jsonschema(version, manifest):
    fast, _ = kube._fast_checker(version)
    assert fast(manifest) == _reference(version).is_valid(manifest)


def test_compact_schema_is_rebuilt_when_the_installed_bundle_differs(tmp_path, monkeypatch):
    version = VERSIONS[-1]
    monkeypatch.setattr(kube, "COMPACT_DIR", tmp_path)  # nothing shipped for this bundle
    kube._fast_checker.cache_clear()
    try:
        fast, shape_safe = kube._fast_checker(version)
        assert fast is not None and shape_safe
        assert all(fast(m) for m in MANIFESTS)
        broken = copy.deepcopy(MANIFESTS[0])
        broken["spec"]["unknownField"] = 1
        assert not fast(broken)
    finally:
        kube._fast_checker.cache_clear()


def test_without_the_fast_path_the_layer_gives_the_same_problems(monkeypatch, tmp_path):
    monkeypatch.setenv("KAIREON_CHART_CACHE_DIR", str(tmp_path))
    broken = [copy.deepcopy(m) for m in MANIFESTS]
    broken[1]["spec"]["suspend"] = "yes"
    broken[3]["spec"]["jobTemplate"]["spec"]["extra"] = {}
    with_fast = kube.validate_manifests(broken)
    monkeypatch.setattr(kube, "_PASSING", {})
    monkeypatch.setattr(kube, "_fast_checker", lambda version: (None, False))
    assert kube.validate_manifests(broken) == with_fast
    assert [i.manifest for i in with_fast] == [1, 3]


def test_a_valid_run_imports_no_jsonschema(tmp_path):
    code = (
        "import sys; from kaireon_chart.cli import main; rc = main(['-o', sys.argv[1]]); "
        "print(rc, sorted(m for m in sys.modules if m.split('.')[0] in ('jsonschema', 'referencing', "
        "'kubernetes_validate')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "out.yaml")],
        capture_output=True,
        text=True,
        env={"KAIREON_CHART_CACHE": "0", "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        check=True,
    )
    assert out.stdout.split(None, 1) == ["0", "[]\n"], out.stderr
    assert (tmp_path / "out.yaml").read_text().count("kind: CronJob") == len(MANIFESTS)
