"""NOTES.txt lists the enabled jobs and their schedules.

helm 3 cannot show NOTES without a cluster (install --dry-run=client contacts it), so the test
renders the unchanged NOTES.txt text through `helm template` from a copy of the chart, wrapped in
a named template; helm 4 is also checked with a real `install --dry-run=client`.
"""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from kaireon_chart.chart import load_chart

CHART = load_chart().path


@pytest.fixture(scope="module")
def preview_chart(tmp_path_factory):
    dest = tmp_path_factory.mktemp("notes") / "kaireon"
    shutil.copytree(CHART, dest)
    text = (CHART / "templates" / "NOTES.txt").read_text()
    (dest / "templates" / "_notes_preview.tpl").write_text(
        '{{- define "kaireon.test.notes" -}}\n' + text + "{{- end -}}\n"
    )
    (dest / "templates" / "notes-preview.yaml").write_text(
        'kind: NotesPreview\nnotes: {{ include "kaireon.test.notes" . | toJson }}\n'
    )
    return dest


def notes(helm, chart, *sets: str) -> str:
    args = ["template", "kaireon", str(chart), "-n", "prod", "--show-only", "templates/notes-preview.yaml"]
    for item in sets:
        args += ["--set", item]
    proc = helm.run(*args)
    assert proc.returncode == 0, proc.stderr
    return yaml.safe_load(proc.stdout)["notes"]


def test_notes_list_enabled_jobs_and_schedules(helm, preview_chart):
    text = notes(
        helm,
        preview_chart,
        "cron.schedules.flowSchedulerTick.enabled=false",
        "cron.schedules.cleanup.timeZone=Europe/Berlin",
    )
    assert 'kaireon-cleanup: "30 4 * * *" (Europe/Berlin) -> /api/v1/cron/cleanup' in text
    assert 'kaireon-outbox-reaper: "*/2 * * * *" (UTC) -> /api/v1/cron/outbox-reaper' in text
    assert "flow-scheduler-tick" not in text
    assert text.count("/api/v1/cron/") == 6


def test_notes_say_when_the_cron_tier_is_off(helm, preview_chart):
    text = notes(helm, preview_chart, "cron.enabled=false")
    assert "Cron tier: disabled" in text and "/api/v1/cron/" not in text


def test_helm4_install_dry_run_shows_the_same_notes(helm4, preview_chart, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(helm4.workdir / "no-kubeconfig"))
    proc = helm4.run("install", "kaireon", str(CHART), "--dry-run=client", "-n", "prod", "-o", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["info"]["notes"].strip() == notes(helm4, preview_chart).strip()
