"""A healthy release: no finding, exit 0, and how doctor talks to the API server."""

from __future__ import annotations

from datetime import UTC, datetime

from .conftest import Doctor
from .fakeapi import METADATA_ONLY


def test_a_healthy_release_has_no_finding_and_exits_0(doctor: Doctor) -> None:
    code, out, err = doctor()
    assert code == 0, err
    assert "healthy: no findings" in out
    assert "kaireon-cleanup" in out and "30 4 * * *" in out
    code, doc = doctor.json("--fail-on", "warning")
    assert code == 0 and doc["healthy"] and doc["findings"] == []
    cleanup = next(c for c in doc["cronjobs"] if c["name"] == "kaireon-cleanup")
    assert cleanup["key"] == "cleanup" and cleanup["next_run"].endswith("T04:30:00Z")
    assert [r["outcome"] for r in cleanup["runs"]] == ["succeeded"]


def test_the_secret_is_read_as_metadata_only_and_its_data_never_shows(doctor: Doctor) -> None:
    code, out, _ = doctor("--format", "json")
    assert code == 0
    secret_reads = [h for m, p, h in doctor.api.requests if p.endswith("/secrets/api-secrets")]
    assert secret_reads and all(METADATA_ONLY in h.get("Accept", "") for h in secret_reads)
    assert "c2VjcmV0" not in out and "secret-that" not in out


def test_reads_are_get_and_list_in_the_namespace_only(doctor: Doctor) -> None:
    doctor()
    assert {m for m, _, _ in doctor.api.requests} == {"GET"}
    assert all(p.split("/namespaces/")[1].startswith("prod/") for _, p, _ in doctor.api.requests)


def test_the_fake_servers_validation_is_kubernetes_validates_and_refuses_a_wrong_shape() -> None:
    import kubernetes_validate
    import pytest

    from .fakeapi import KUBE_VERSION, validate
    from .release import healthy

    objs = healthy(datetime.now(UTC))
    for obj in objs[:4]:
        kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)
    bad = dict(objs[0], spec={**objs[0]["spec"], "schedul": "* * * * *"})
    with pytest.raises(Exception, match="schedul"):
        validate(bad)
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBE_VERSION, strict=True)
