"""The manifests render-values prints read back identically with PyYAML *and* as go-yaml v2 (kubectl,
helm) reads YAML: strings such as `y`, `on`, `1e3` or `0o17` must come out quoted."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kaireon_chart.goyaml import HelmLoader
from kaireon_chart.yamlout import dump_manifests as _dump_manifests

ROOT = Path(__file__).resolve().parents[2]
RV = ROOT / ".venv" / "bin" / "render-values"

_tricky = st.sampled_from(
    [
        "y",
        "Y",
        "n",
        "N",
        "yes",
        "on",
        "Off",
        "true",
        "null",
        "~",
        "",
        "1e3",
        "0o17",
        "09",
        "+.5",
        "1_000",
        "0x1f",
        "1:30",
        "2024-01-01",
        ".inf",
        "-",
        "*/5 * * * *",
        "@daily",
        "a: b",
        "#x",
        "'q'",
        '"d"',
        "x\ny",
        " lead",
        "trail ",
        "123",
        "-0",
        "0b101",
        "=",
        "<<",
    ]
)
_scalar = st.one_of(_tricky, st.text(max_size=8), st.integers(-(2**40), 2**40), st.booleans(), st.none())
_keys = st.one_of(_tricky, st.text(min_size=1, max_size=6))
_tree = st.recursive(
    _scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_keys, inner, max_size=3)),
    max_leaves=10,
)
_doc = st.dictionaries(_keys, _tree, max_size=6)


@settings(max_examples=300, deadline=None)
@given(docs=st.lists(_doc, min_size=1, max_size=3))
def test_yaml_output_reads_back_identically_in_pyyaml_and_go_yaml(docs):
    text = _dump_manifests(docs, "yaml")
    assert list(yaml.safe_load_all(text)) == docs
    assert list(yaml.load_all(text, Loader=HelmLoader)) == docs  # noqa: S506 - a SafeLoader


def test_a_job_key_like_y_stays_a_string_for_kubectl(tmp_path):
    f = tmp_path / "v.yaml"
    # quoted: a plain `y:` key is the boolean true for helm (and for our loader), i.e. the key "true"
    f.write_text("cron:\n  schedules:\n    'y':\n      schedule: '@daily'\n      path: /api/v1/cron/y\n")
    env = dict(os.environ, KAIREON_CHART_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.run([str(RV), "-f", str(f)], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    docs = [d for d in yaml.load_all(proc.stdout, Loader=HelmLoader) if d]  # noqa: S506
    [job] = [d for d in docs if d["metadata"]["name"].endswith("-y")]
    assert job["metadata"]["labels"]["app.kubernetes.io/component"] == "y"
