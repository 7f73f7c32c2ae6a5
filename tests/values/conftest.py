"""Ask the real helm binaries what `.Values` they build (a throwaway chart printing `toJson .Values`)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
HELMS = {"helm3": ROOT / ".tools" / "helm3", "helm4": ROOT / ".tools" / "helm4"}


def available_helms() -> list[str]:
    return [name for name, path in HELMS.items() if path.exists()]


def make_chart(tmp: Path, defaults: dict | str) -> Path:
    chart = tmp / "vchart"
    (chart / "templates").mkdir(parents=True, exist_ok=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: vchart\nversion: 0.1.0\n")
    text = defaults if isinstance(defaults, str) else yaml.safe_dump(defaults)
    (chart / "values.yaml").write_text(text)
    (chart / "templates" / "values.yaml").write_text("{{ toJson .Values }}\n")
    return chart


class HelmFailed(Exception):
    pass


def helm_values(helm: str, chart: Path, files=(), set_values=(), set_string=(), set_json=()) -> dict:
    args = [str(HELMS[helm]), "template", "r", str(chart)]
    for f in files:
        args += ["-f", str(f)]
    for flag, items in (("--set", set_values), ("--set-string", set_string), ("--set-json", set_json)):
        for item in items:
            args += [flag, item]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise HelmFailed(proc.stderr.strip())
    lines = [ln for ln in proc.stdout.splitlines() if ln and not ln.startswith("#") and ln != "---"]
    return json.loads(lines[-1])


import pytest  # noqa: E402

DEFAULTS = {
    "keep": 1,
    "cron": {
        "enabled": True,
        "schedules": {"cleanup": {"schedule": "30 4 * * *", "enabled": True}},
        "activeDeadlineSeconds": 600,
        "resources": {"limits": {"cpu": "100m"}},
    },
    "list": [1, 2, 3],
    "nothing": None,
}


@pytest.fixture(scope="session")
def helms():
    names = available_helms()
    if names != sorted(HELMS):
        missing = ", ".join(str(HELMS[n]) for n in sorted(set(HELMS) - set(names)))
        pytest.fail(f"{missing} missing: run `make tools` (parity is tested against helm 3 and helm 4)")
    return names


@pytest.fixture(scope="session")
def vchart(tmp_path_factory):
    """A throwaway chart printing `toJson .Values`, with DEFAULTS as its values.yaml."""
    return make_chart(tmp_path_factory.mktemp("vchart"), DEFAULTS)


@pytest.fixture(scope="session")
def chart_defaults():
    import copy

    return copy.deepcopy(DEFAULTS)
