from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kaireon_chart.cli import main
from kaireon_chart.doctor import command

from .fakeapi import FakeKubeAPI
from .release import NS, RELEASE, healthy

NOW = datetime(2026, 11, 25, 12, 0, 7, tzinfo=UTC)


class Doctor:
    """`render-values doctor` in this process (the real kubernetes client) against the fake API server."""

    def __init__(self, api: FakeKubeAPI, kubeconfig: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.api, self.kubeconfig, self.capsys = api, kubeconfig, capsys
        # a fixed instant: which fires fall in a window depends on the time of day the suite runs at
        self.now = NOW

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(
            ["doctor", "-n", NS, "--release-name", RELEASE, "--kubeconfig", str(self.kubeconfig), *args]
        )
        out, err = self.capsys.readouterr()
        return code, out, err

    def json(self, *args: str) -> tuple[int, dict[str, Any]]:
        code, out, err = self("--format", "json", *args)
        assert code in (0, 1), err
        return code, json.loads(out)

    def findings(self, *args: str) -> list[dict[str, Any]]:
        return self.json(*args)[1]["findings"]


@pytest.fixture
def api() -> Iterator[FakeKubeAPI]:
    with FakeKubeAPI() as server:
        yield server


@pytest.fixture
def doctor(
    api: FakeKubeAPI, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Doctor:
    d = Doctor(api, api.kubeconfig(tmp_path / "kubeconfig"), capsys)
    monkeypatch.setattr(command, "clock", lambda: d.now)
    api.plant(*healthy(d.now))
    return d
