"""render-values loads heavy modules only when a run needs them (the behaviour, not the timing)."""

from __future__ import annotations

import subprocess
import sys

from kaireon_chart import goyaml
from kaireon_chart.goyaml import HelmLoader
from kaireon_chart.valuesfile import parse_yaml


def _modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_the_values_modules_load_pyyaml_only_to_read_yaml():
    loaded = _modules_after(
        "import kaireon_chart.values, kaireon_chart.valuesfile, kaireon_chart.origins, kaireon_chart.goyaml"
    )
    assert "kaireon_chart.goyaml" in loaded and "yaml" not in loaded
    assert "yaml" in _modules_after("from kaireon_chart.valuesfile import parse_yaml; parse_yaml('a: 1')")


def test_the_lazy_helm_loader_is_the_same_loader():
    assert HelmLoader is goyaml.HelmLoader is goyaml.helm_loader()
    assert HelmLoader.yaml_implicit_resolvers == goyaml.implicit_resolvers()
    assert parse_yaml("a: yes\nb: 0x10\nc: 1e3\nd: 2020-01-01\ne: 017\nf: ~\n") == {
        "a": True,
        "b": 16,
        "c": 1000.0,
        "d": "2020-01-01",
        "e": 15,
        "f": None,
    }


def test_a_valid_render_loads_neither_jsonschema_nor_the_openapi_bundle(tmp_path):
    code = (
        "import os, sys\nos.environ['KAIREON_CHART_CACHE'] = '0'\nfrom kaireon_chart.cli import main\n"
        f"assert main(['-o', {str(tmp_path / 'out.yaml')!r}]) == 0"
    )
    loaded = _modules_after(code)
    assert not {
        m
        for m in loaded
        if m.split(".")[0]
        in ("jsonschema", "referencing", "kubernetes_validate", "ruamel", "jinja2", "pydantic")
    }
    assert (tmp_path / "out.yaml").read_text().startswith("---\n")
