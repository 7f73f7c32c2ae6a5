"""render_cronjobs == the CronJobs `helm template` renders, on the golden values in cases/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from kaireon_chart.render import RenderError, render_cronjobs

CASE_FILES = sorted(Path(__file__).with_name("cases").glob("*.yaml"))


def header(path: Path, name: str, default: str) -> str:
    m = re.search(rf"^# {name}: (\S+)$", path.read_text(), re.M)
    return m.group(1) if m else default


@pytest.mark.parametrize("case", CASE_FILES, ids=lambda p: p.stem)
def test_golden_case(helm, chart, merge, case):
    release = header(case, "release", "kaireon")
    namespace = header(case, "namespace", "default")
    user = yaml.safe_load(case.read_text()) or {}
    expected = helm.cronjobs(case, release=release, namespace=namespace)
    got = render_cronjobs(merge(chart.values, user), release, namespace, chart=chart)
    assert got == expected
    assert [type(x) for x in _scalars(got)] == [type(x) for x in _scalars(expected)]


def test_cases_cover_the_interesting_shapes(chart, merge):
    """The golden files keep exercising what they were written for."""
    rendered = {
        p.stem: render_cronjobs(
            merge(chart.values, yaml.safe_load(p.read_text()) or {}),
            header(p, "release", "kaireon"),
            header(p, "namespace", "default"),
            chart=chart,
        )
        for p in CASE_FILES
    }
    assert rendered["cron-disabled"] == []
    assert len(rendered["defaults"]) == 7
    assert all(len(c["metadata"]["name"]) == 52 for c in rendered["long-names"])
    assert len(rendered["null-deletes"]) == 5
    assert {c["metadata"]["labels"]["app.kubernetes.io/component"] for c in rendered["operator-routes"]} >= {
        "dsarPurge",
        "siemShip",
        "exportInteractions",
    }


def test_name_collision_fails_like_helm(helm, chart, merge):
    user = {
        "cron": {
            "schedules": {
                "fooBar": {"schedule": "0 1 * * *", "path": "/a"},
                "foo-bar": {"schedule": "0 2 * * *", "path": "/b"},
            }
        }
    }
    err = helm.template_error(user)
    with pytest.raises(RenderError) as info:
        render_cronjobs(merge(chart.values, user), chart=chart)
    assert str(info.value) in err


def test_invalid_release_name_fails_like_helm(helm, chart):
    proc = helm.run("template", "Bad_Release", str(chart.path))
    assert proc.returncode != 0
    with pytest.raises(ValueError, match="invalid release name"):
        render_cronjobs(chart.values, "Bad_Release", chart=chart)


def _scalars(node):
    if isinstance(node, dict):
        for key in sorted(node):
            yield from _scalars(node[key])
    elif isinstance(node, list):
        for item in node:
            yield from _scalars(item)
    else:
        yield node


@pytest.mark.parametrize("case", CASE_FILES, ids=lambda p: p.stem)
def test_golden_case_through_load_values(helm, chart, case):
    """The real pipeline: kaireon_chart.values.load_values (Helm-style merge) -> render_cronjobs."""
    from kaireon_chart.values import load_values

    release = header(case, "release", "kaireon")
    namespace = header(case, "namespace", "default")
    values = load_values(files=[str(case)], chart=chart)
    expected = helm.cronjobs(case, release=release, namespace=namespace)
    assert render_cronjobs(values, release, namespace, chart=chart) == expected


def test_parity_holds_even_without_the_schema(helm, chart, merge):
    """Values the schema refuses still render the same (helm --skip-schema-validation):
    missing settings become null / Go's %!s(<nil>) exactly as the template prints them."""
    user = {
        "cron": {
            "concurrencyPolicy": None,
            "suspend": None,
            "resources": None,
            "backoffLimit": None,
            "image": {"tag": None},
            "secret": {"key": None},
            "schedules": {"bare": {"enabled": True}, "cleanup": {"timeZone": None}},
        }
    }
    expected = helm.cronjobs(user, extra=["--skip-schema-validation"])
    assert render_cronjobs(merge(chart.values, user), chart=chart) == expected
    assert len(expected) == 8
