"""CronJob names: <fullname>-<kebab key>, at most 52 characters, truncated with a stable hash."""

from __future__ import annotations

import re

import pytest

from kaireon_chart import names, registry

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
LONG_RELEASE = "a-very-long-release-name-for-the-production-cluster1"  # 52 chars (helm allows 53)


def rendered_names(helm, values=None, **kwargs):
    return {
        c["metadata"]["labels"]["app.kubernetes.io/component"]: c["metadata"]["name"]
        for c in helm.cronjobs(values, **kwargs)
    }


def test_long_release_name_truncates_with_hash(helm):
    got = rendered_names(helm, release=LONG_RELEASE)
    assert len(set(got.values())) == len(got) == len(registry.scheduled())
    for key, name in got.items():
        assert len(name) <= 52 and DNS_LABEL.match(name), name
        full = f"{LONG_RELEASE}-kaireon-{names.kebab(key)}"
        assert len(full) > 52
        assert name == names.cronjob_name(f"{LONG_RELEASE}-kaireon"[:63], key)
        assert name.startswith(full[:40]) and re.search(r"-[0-9a-f]{5}$", name)


def test_keys_sharing_a_long_prefix_stay_unique(helm):
    schedules = {
        f"reportExportForTenantGroupNumber{i}": {"schedule": "0 1 * * *", "path": f"/api/v1/cron/r{i}"}
        for i in range(10)
    }
    got = rendered_names(helm, {"cron": {"schedules": schedules}}, release=LONG_RELEASE)
    mine = [n for k, n in got.items() if k.startswith("report")]
    assert len(mine) == 10 and len(set(mine)) == 10
    assert len({n[:46] for n in mine}) == 1  # same truncated prefix: only the hash tells them apart
    assert all(len(n) == 52 for n in mine)


def test_fullname_override_and_name_override(helm):
    got = rendered_names(helm, {"fullnameOverride": "x" * 63}, release="r")
    assert all(len(n) <= 52 for n in got.values())
    assert got["cleanup"] == names.cronjob_name("x" * 63, "cleanup")
    got = rendered_names(helm, {"fullnameOverride": "cron"}, release="r")
    assert got["engagementHealthRecompute"] == "cron-engagement-health-recompute"
    got = rendered_names(helm, {"nameOverride": "kr"}, release="rel")
    assert got["cleanup"] == "rel-kr-cleanup"
    got = rendered_names(helm, release="kaireon-prod")  # release containing the chart name
    assert got["cleanup"] == "kaireon-prod-cleanup"


@pytest.mark.parametrize(
    ("key", "kebab"),
    [
        ("cleanup", "cleanup"),
        ("engagementHealthRecompute", "engagement-health-recompute"),
        ("dsar-purge", "dsar-purge"),
        ("export2Csv", "export2-csv"),
        ("ABCJob", "abcjob"),
        ("aBCd", "a-bcd"),
        ("x9", "x9"),
        ("Nightly-Run", "nightly-run"),
    ],
)
def test_key_to_name_to_label_table(helm, key, kebab):
    """One table, checked against both the template and kaireon_chart.names."""
    assert names.kebab(key) == kebab
    values = {"cron": {"enabled": True, "schedules": {key: {"schedule": "0 1 * * *", "path": "/p"}}}}
    got = rendered_names(helm, values)
    assert got[key] == f"kaireon-{kebab}"


def test_kebab_collision_fails_with_both_keys(helm):
    values = {
        "cron": {
            "schedules": {
                "fooBar": {"schedule": "0 1 * * *", "path": "/a"},
                "foo-bar": {"schedule": "0 2 * * *", "path": "/b"},
            }
        }
    }
    err = helm.template_error(values)
    assert "kaireon-foo-bar" in err and "cron.schedules.fooBar" in err and "cron.schedules.foo-bar" in err
    # a disabled twin does not collide
    values["cron"]["schedules"]["foo-bar"]["enabled"] = False
    assert "fooBar" in rendered_names(helm, values)
