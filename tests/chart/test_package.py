"""`helm package` builds the chart (honouring .helmignore) and the archive renders the same."""

from __future__ import annotations

import tarfile

import yaml

from kaireon_chart.chart import load_chart

CHART = load_chart().path


def test_package_renders_like_the_directory(helm, tmp_path):
    proc = helm.run("package", str(CHART), "-d", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    (archive,) = tmp_path.glob("kaireon-*.tgz")
    with tarfile.open(archive) as tar:
        members = {m.name for m in tar.getmembers()}
    assert {
        "kaireon/Chart.yaml",
        "kaireon/values.yaml",
        "kaireon/values.schema.json",
        "kaireon/README.md",
        "kaireon/templates/cronjobs.yaml",
        "kaireon/templates/_helpers.tpl",
    } <= members
    proc = helm.run("template", "kaireon", str(archive))
    assert proc.returncode == 0, proc.stderr
    assert helm.template() == [d for d in yaml.safe_load_all(proc.stdout) if d]
    # the packaged schema still guards the values
    proc = helm.run("template", "kaireon", str(archive), "--set", "cron.schedules.cleanup.shedule=x")
    assert proc.returncode != 0 and "shedule" in proc.stderr
