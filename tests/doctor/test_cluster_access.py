"""Exit 2 with the reason (no traceback) when the cluster cannot be reached or refuses; the missing extra."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kaireon_chart.cli import main

from .conftest import Doctor
from .fakeapi import FakeKubeAPI


def test_a_refused_connection_exits_2_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeKubeAPI() as api:
        kubeconfig = api.kubeconfig(tmp_path / "kubeconfig")
    # the server is closed now: nothing listens on its port
    code = main(["doctor", "-n", "prod", "--kubeconfig", str(kubeconfig)])
    err = capsys.readouterr().err
    assert code == 2
    assert "cannot reach the API server" in err and "Traceback" not in err


def test_a_missing_kubeconfig_and_an_unknown_context(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], api: FakeKubeAPI
) -> None:
    assert main(["doctor", "--kubeconfig", str(tmp_path / "nope")]) == 2
    assert "cannot load the cluster configuration" in capsys.readouterr().err
    kubeconfig = api.kubeconfig(tmp_path / "kubeconfig")
    assert main(["doctor", "--kubeconfig", str(kubeconfig), "--context", "elsewhere"]) == 2
    err = capsys.readouterr().err
    assert "elsewhere" in err and "Traceback" not in err


def test_kubeconfig_comes_from_the_environment(
    doctor: Doctor, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(doctor.kubeconfig))
    assert main(["doctor", "-n", "prod"]) == 0
    assert "healthy" in capsys.readouterr().out


def test_rbac_refusal_exits_2_naming_what_is_needed(doctor: Doctor) -> None:
    doctor.api.forbidden.add("events")
    code, out, err = doctor()
    assert code == 2 and out == ""
    assert "list events" in err and "HTTP 403" in err and "get/list" in err


def test_a_wrong_token_exits_2(doctor: Doctor, tmp_path: Path) -> None:
    doctor.kubeconfig = doctor.api.kubeconfig(tmp_path / "other", token="wrong")
    code, _, err = doctor()
    assert code == 2 and "HTTP 401" in err


def test_without_the_kubernetes_client_doctor_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "kubernetes", None)  # `import kubernetes` raises ImportError
    assert main(["doctor"]) == 2
    assert "pip install 'kaireon-chart[doctor]'" in capsys.readouterr().err


def test_fail_on_warning_and_error(doctor: Doctor) -> None:
    doctor.api.get("cronjobs", "prod", "kaireon-cleanup")["spec"]["suspend"] = True
    assert doctor()[0] == 0  # a suspended CronJob, drift: warnings
    assert doctor("--fail-on", "warning")[0] == 1
