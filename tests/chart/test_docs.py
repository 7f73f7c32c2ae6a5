"""chart/README.md is generated from values.yaml + the schema, and is current."""

from __future__ import annotations

import shutil

import pytest

from kaireon_chart import docs
from kaireon_chart.chart import load_chart

CHART_DIR = load_chart().path


def test_readme_is_current():
    assert (CHART_DIR / "README.md").read_text(encoding="utf-8") == docs.render_readme(CHART_DIR), (
        "chart/README.md is stale: run `make generate`"
    )


def test_check_mode_reports_current_files(capsys):
    assert docs.main([str(CHART_DIR), "--check"]) == 0


def test_every_value_has_a_row_with_type_and_default():
    text = (CHART_DIR / "README.md").read_text(encoding="utf-8")
    for row in (
        "| `cron.successfulJobsHistoryLimit` | integer | `3` |",
        '| `cron.image.tag` | string | `"8.11.1"` |',
        '| `cron.timeZone` | string | `"UTC"` |',
        "| `cron.schedules.<key>.backoffLimit` | integer | `cron.backoffLimit` |",
    ):
        assert row in text
    assert "## Add an operator-wired route" in text and "helm install" in text


def _copy_chart(tmp_path):
    dest = tmp_path / "chart"
    shutil.copytree(CHART_DIR, dest)
    return dest


def test_undocumented_value_is_an_error(tmp_path):
    chart = _copy_chart(tmp_path)
    values = chart / "values.yaml"
    values.write_text(values.read_text().replace("cron:\n", "cron:\n  newKnob: 1\n", 1))
    with pytest.raises(docs.DocsError, match=r"cron\.newKnob"):
        docs.render_readme(chart)
    assert docs.main([str(chart)]) == 2


def test_param_for_a_missing_key_is_an_error(tmp_path):
    chart = _copy_chart(tmp_path)
    values = chart / "values.yaml"
    values.write_text(values.read_text() + "## @param cron.nothing Not a value.\n")
    with pytest.raises(docs.DocsError, match=r"cron\.nothing"):
        docs.render_readme(chart)


def test_stale_copies_are_rewritten(tmp_path):
    chart = _copy_chart(tmp_path)
    (chart / "README.md").write_text("old\n")
    assert docs.main([str(chart), "--check"]) == 1
    assert docs.main([str(chart)]) == 0
    assert docs.main([str(chart), "--check"]) == 0
