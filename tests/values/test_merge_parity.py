"""-f layering, null deletion and YAML scalar typing: parity with helm 3 and helm 4."""

from __future__ import annotations

import importlib.util
import io
import pathlib

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaireon_chart.origins import Origins
from kaireon_chart.values import ValuesError, coalesce, merge_maps, user_values
from kaireon_chart.valuesfile import parse_yaml


@pytest.fixture(scope="module")
def hv():
    spec = importlib.util.spec_from_file_location(
        "values_conftest_m", pathlib.Path(__file__).with_name("conftest.py")
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _ours(defaults, **kw):
    try:
        return coalesce(user_values(**kw), defaults)
    except ValuesError:
        return "ERROR"


def _theirs(hv, helm, chart, **kw):
    try:
        return hv.helm_values(helm, chart, **kw)
    except hv.HelmFailed:
        return "ERROR"


LAYERS = [
    # null deletes chart defaults, at any depth
    ["cron:\n  activeDeadlineSeconds: null\n  resources: {limits: null}\n"],
    ["keep: null\nlist: null\n"],
    ["cron: null\n"],
    # null for a key the chart lacks stays null
    ["extra: null\ncron:\n  newkey: null\n"],
    # later files win; maps merge deeply, lists replace
    [
        "cron:\n  schedules:\n    cleanup: {schedule: '0 0 * * *'}\nlist: [9]\n",
        "cron:\n  schedules:\n    cleanup: {enabled: false}\n    other: {schedule: '@daily'}\n",
    ],
    # null in an early file, a value in a later one
    ["keep: null\n", "keep: 5\n"],
    # a value in an early file, null in a later one
    ["keep: 5\n", "keep: null\n"],
    # scalar replaces a map and a map replaces a scalar
    ["cron: off\n"],
    ["keep: {a: 1}\n"],
    # go-yaml v2 scalars
    [
        "a: y\nb: n\nc: on\nd: Off\ne: 0x1f\nf: 017\ng: 0o17\nh: 1_000\ni: 1e6\nj: .5\nk: 1:30\n"
        "l: 2024-01-01\nm: 09\nn: ~\no: 012a\np: '07'\nq: +5\nr: -0x10\ns: 1.0\n"
    ],
    ["1: int key\ntrue: bool key\n1.5: float key\n"],
    ["a: 0x_\nb: 0b_\nc: 0o_\nd: -0x_1\ne: 0_\nf: 1__2.5_\ng: +.5\nh: 1e+400\ni: -1e999\n"],
    ["base: &b {q: 1, r: 2}\nm: {<<: *b, r: 3}\n"],
    ["a: 1\na: 2\n"],
    ["", "# only a comment\n", "---\n"],
    ["list: [1, null, {x: null}]\n"],
]


@pytest.mark.helm
@pytest.mark.parametrize("layers", LAYERS, ids=[str(i) for i in range(len(LAYERS))])
def test_file_layers_match_helm(layers, helms, vchart, chart_defaults, hv, tmp_path):
    files = []
    for i, text in enumerate(layers):
        path = tmp_path / f"layer{i}.yaml"
        path.write_text(text)
        files.append(path)
    ours = _ours(chart_defaults, files=files)
    for helm in helms:
        assert ours == _theirs(hv, helm, vchart, files=files), helm


@pytest.mark.helm
def test_files_then_set_flags(helms, vchart, chart_defaults, hv, tmp_path):
    f = tmp_path / "f.yaml"
    f.write_text("keep: 2\ncron:\n  enabled: false\n")
    kw = dict(
        files=[f], set_values=["keep=null,cron.enabled=true"], set_string=["cron.activeDeadlineSeconds=60"]
    )
    ours = _ours(chart_defaults, **kw)
    assert "keep" not in ours and ours["cron"]["enabled"] is True
    for helm in helms:
        assert ours == _theirs(hv, helm, vchart, **kw), helm


# -- hypothesis: generated -f layers ---------------------------------------------------------------
_keys = st.sampled_from(
    ["keep", "cron", "list", "nothing", "enabled", "schedules", "activeDeadlineSeconds", "x"]
)
_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 10**6),
    st.sampled_from(["s", "0 0 * * *", "", "yes"]),
    st.lists(st.integers(0, 3), max_size=2),
)
_tree = st.recursive(_leaf, lambda inner: st.dictionaries(_keys, inner, max_size=3), max_leaves=8)
_layer = st.dictionaries(_keys, _tree, max_size=4)


@pytest.mark.helm
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(layers=st.lists(_layer, min_size=1, max_size=3))
def test_generated_layers_match_helm(layers, helms, vchart, chart_defaults, hv, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("layers")
    files = []
    for i, layer in enumerate(layers):
        path = tmp / f"l{i}.yaml"
        path.write_text(yaml.safe_dump(layer))
        files.append(path)
    ours = _ours(chart_defaults, files=files)
    for helm in helms:
        assert ours == _theirs(hv, helm, vchart, files=files), (helm, layers)


# -- errors and unit behaviour --------------------------------------------------------------------
def test_yaml_syntax_error_has_file_line_col(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("cron:\n  schedules:\n    cleanup:\n      schedule: [1\n  other: 2\n")
    with pytest.raises(ValuesError) as err:
        user_values(files=[f])
    assert str(err.value) == f"{f}:5:8: while parsing a flow sequence, did not find expected ',' or ']'"
    assert (err.value.line, err.value.column) == (5, 8)


def test_unquoted_star_is_a_yaml_error(tmp_path):
    f = tmp_path / "star.yaml"
    f.write_text("cron:\n  schedules:\n    x:\n      schedule: */5 * * * *\n")
    with pytest.raises(ValuesError) as err:
        user_values(files=[f])
    assert str(err.value).startswith(f"{f}:4:")


@pytest.mark.helm
def test_multi_document_files_are_refused_because_the_helm_majors_disagree(tmp_path, helms, vchart, hv):
    f = tmp_path / "multi.yaml"
    f.write_text("keep: 7\n---\nextra: 2\n")
    with pytest.raises(ValuesError) as err:
        user_values(files=[f])
    assert str(err.value) == (
        f"{f}:2:1: a second YAML document starts here; helm 3 would ignore it and helm 4 "
        "merge it, so put all values in one document (or in separate -f files)"
    )
    theirs = {helm: _theirs(hv, helm, vchart, files=[f]) for helm in helms}
    if len(theirs) == 2:
        assert "extra" not in theirs["helm3"] and theirs["helm4"]["extra"] == 2


def test_missing_file(tmp_path):
    with pytest.raises(ValuesError) as err:
        user_values(files=[tmp_path / "nope.yaml"])
    assert str(err.value) == f"{tmp_path / 'nope.yaml'}: no such file; pass an existing values file"


def test_top_level_list_is_rejected():
    with pytest.raises(ValuesError) as err:
        parse_yaml("- a\n- b\n", "l.yaml")
    assert str(err.value).startswith("l.yaml:1:1: the document is a list")


def test_stdin_dash():
    assert user_values(files=["-"], stdin=io.StringIO("a: 1\n")) == {"a": 1}


def test_merge_maps_and_coalesce_do_not_mutate():
    a, b = {"m": {"x": 1}}, {"m": {"y": None}}
    merged = merge_maps(a, b)
    assert merged == {"m": {"x": 1, "y": None}} and a == {"m": {"x": 1}}
    defaults = {"m": {"y": 2, "z": 3}}
    assert coalesce(merged, defaults) == {"m": {"x": 1, "z": 3}}
    assert defaults == {"m": {"y": 2, "z": 3}}


def test_origins_find_lines(tmp_path):
    f1, f2 = tmp_path / "a.yaml", tmp_path / "b.yaml"
    f1.write_text("cron:\n  schedules:\n    cleanup:\n      schedule: '1 * * * *'\n")
    f2.write_text("# comment\ncron:\n  enabled: true\n")
    origins = Origins()
    user_values(files=[f1, f2], set_values=["cron.activeDeadlineSeconds=5"], origins=origins)
    assert origins.find("cron.schedules.cleanup.schedule") == (str(f1), 4)
    assert origins.find("cron.enabled") == (str(f2), 3)
    assert origins.find("cron.activeDeadlineSeconds") == ("--set cron.activeDeadlineSeconds=5", None)
    assert origins.find("image.tag") == (None, None)
    assert origins.find("cron.schedules.other") == (None, None)


def test_origins_find_list_items(tmp_path):
    f = tmp_path / "env.yaml"
    f.write_text(
        "api:\n  env:\n    - name: A\n      value: x\n    - name: DATABASE_PASSWORD\n      value: hunter2\n"
    )
    origins = Origins()
    user_values(files=[f], set_values=["api.env[0].name=B"], origins=origins)
    assert origins.find("api.env[1].value") == (str(f), 6)
    assert origins.find("api.env[0].name") == ("--set api.env[0].name=B", None)
    assert origins.find("api.env[5].value") == (None, None)


_plain_scalar = st.one_of(
    st.from_regex(
        r"[-+]?_?(0[xXobOB])?[0-9a-fA-F_]{1,6}(\.[0-9_]{0,3})?([eE][-+]?[0-9]{1,2})?", fullmatch=True
    ),
    st.sampled_from(
        [
            "y",
            "Y",
            "n",
            "NO",
            "on",
            "Off",
            "TRUE",
            "tRUE",
            "~",
            "null",
            "Null",
            "nULL",
            ".5",
            "5.",
            "1:20",
            "2024-02-30",
            "12:30:00",
            "0.",
            "-.5e3",
            "+0",
            "-0x_1",
            "0o",
            "1e+400",
            "0x_",
            "0b_",
            "0o_",
            "-0b1_1",
            "+0o1_7",
            "0_",
            "-_0",
            "+_1_0",
            "0X1F",
            "-0B1_1",
            "._5",
            ".5_0",
            "-_.5",
            "_1",
            ".5e1_0",
            ".5_",
            ".5__0",
            ".5e_1",
            ".5_e1",
            "1__0",
            "1_0e1_0",
            "0_x1",
        ]
    ),
)


@pytest.mark.helm
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(scalars=st.lists(_plain_scalar, min_size=1, max_size=4))
def test_generated_plain_scalars_typed_like_helm(
    scalars, helms, vchart, chart_defaults, hv, tmp_path_factory
):
    f = tmp_path_factory.mktemp("scalars") / "s.yaml"
    f.write_text("".join(f"k{i}: {s}\n" for i, s in enumerate(scalars)))
    ours = _ours(chart_defaults, files=[f])
    for helm in helms:
        theirs = _theirs(hv, helm, vchart, files=[f])
        if theirs != "ERROR" and ours != "ERROR":
            # helm goes through float64: compare numbers as numbers, integers beyond 2**53 approximately
            for key in theirs:
                a, b = ours.get(key), theirs[key]
                if isinstance(a, int) and not isinstance(a, bool) and abs(a) > 2**53:
                    assert float(a) == float(b), (helm, scalars)
                    ours = {**ours, key: b}
        assert ours == theirs, (helm, scalars)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="ab:-_ 01x.e+~[]{},'\"\n#&*!|>%@`", max_size=40))
def test_parse_yaml_never_crashes(text):
    try:
        assert isinstance(parse_yaml(text, "t.yaml"), dict)
    except ValuesError as exc:
        assert str(exc).startswith("t.yaml")
