"""gitops-drift-check: drift kinds, deep diff, record-once, resolution (SQLite + PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import select

from service.app import create_app
from service.jobs import gitops_drift as gd
from service.models.audit import AuditLog
from service.models.governance import GitopsDriftState, GitopsLastApplied, GitopsLiveResource
from service.models.tenants import Tenant

SECRET = "test-cron-secret-0123456789abcdef"


def _seed(session, tenant="acme"):
    session.add(Tenant(id=tenant, name=tenant))
    applied = {
        ("arbitration_profile", "default"): {"weights": {"relevance": 0.6, "margin": 0.4}, "maxOffers": 3},
        ("contact_policy", "weekly-cap"): {"limit": 3, "channels": ["email", "sms"]},
        ("qualification_rule", "adults"): {"expr": "age >= 18"},
        ("offer", "gold"): {"name": "Gold", "priority": 10},
    }
    live = {
        ("arbitration_profile", "default"): {"weights": {"relevance": 0.8, "margin": 0.4}, "maxOffers": 3},
        ("contact_policy", "weekly-cap"): {"limit": 3, "channels": ["email", "sms"]},  # in sync
        ("offer", "gold"): {"name": "Gold", "priority": 10},  # in sync
        ("offer", "hotfix"): {"name": "Hotfix", "priority": 99},  # added in prod
        ("segment", "ignored"): {"x": 1},  # not a compared type
    }
    for (t, k), spec in applied.items():
        session.add(GitopsLastApplied(tenant_id=tenant, resource_type=t, resource_key=k, spec=spec))
    for (t, k), spec in live.items():
        session.add(GitopsLiveResource(tenant_id=tenant, resource_type=t, resource_key=k, spec=spec))
    session.commit()


def _audits(session, tenant="acme"):
    return session.scalars(
        select(AuditLog)
        .where(AuditLog.action == "gitops_drift_detected", AuditLog.tenant_id == tenant)
        .order_by(AuditLog.id)
    ).all()


def _live(session, rtype, key, tenant="acme"):
    return session.scalars(
        select(GitopsLiveResource).where(
            GitopsLiveResource.tenant_id == tenant,
            GitopsLiveResource.resource_type == rtype,
            GitopsLiveResource.resource_key == key,
        )
    ).one()


def test_drift_is_detected_recorded_once_and_resolved(session, settings, now):
    _seed(session)
    body = gd.run(session, settings, now).model_dump(mode="json", by_alias=True)
    session.commit()
    assert body == {
        "ok": True,
        "tenantsScanned": 1,
        "resourcesCompared": 5,
        "driftEvents": 3,
        "drifted": 3,
        "resolved": 0,
        "errors": [],
    }
    audits = {(a.entity_type, a.entity_id): a for a in _audits(session)}
    assert set(audits) == {
        ("arbitration_profile", "default"),
        ("qualification_rule", "adults"),
        ("offer", "hotfix"),
    }
    assert audits[("arbitration_profile", "default")].changes == {
        "driftKind": "modified_in_prod",
        "fields": {"weights.relevance": {"from": 0.6, "to": 0.8}},
    }
    assert audits[("qualification_rule", "adults")].changes == {
        "driftKind": "removed_in_prod",
        "spec": {"expr": "age >= 18"},
    }
    assert audits[("offer", "hotfix")].changes == {
        "driftKind": "added_in_prod",
        "spec": {"name": "Hotfix", "priority": 99},
    }
    assert all(a.user_id == "system:cron" and a.created_at == now for a in audits.values())

    # unchanged drift is not re-recorded the next night
    tomorrow = now + timedelta(days=1)
    body = gd.run(session, settings, tomorrow).model_dump(by_alias=True)
    session.commit()
    assert (body["driftEvents"], body["drifted"], body["resolved"]) == (0, 3, 0)
    assert len(_audits(session)) == 3
    state = session.scalars(select(GitopsDriftState).where(GitopsDriftState.resource_key == "hotfix")).one()
    assert (state.first_seen_at, state.last_seen_at, state.drift_kind) == (now, tomorrow, "added_in_prod")

    # changed drift is recorded again; fixed drift is cleared
    _live(session, "arbitration_profile", "default").spec = {
        "weights": {"relevance": 0.9, "margin": 0.4},
        "maxOffers": 3,
    }
    session.delete(_live(session, "offer", "hotfix"))
    session.commit()
    body = gd.run(session, settings, tomorrow + timedelta(days=1)).model_dump(by_alias=True)
    session.commit()
    assert (body["driftEvents"], body["drifted"], body["resolved"]) == (1, 2, 1)
    latest = _audits(session)[-1]
    assert latest.changes["fields"] == {"weights.relevance": {"from": 0.6, "to": 0.9}}
    assert (
        session.scalars(select(GitopsDriftState).where(GitopsDriftState.resource_key == "hotfix")).all() == []
    )

    # a recurrence after resolution is reported afresh
    session.add(
        GitopsLiveResource(tenant_id="acme", resource_type="offer", resource_key="hotfix", spec={"n": 1})
    )
    session.commit()
    body = gd.run(session, settings, tomorrow + timedelta(days=2)).model_dump(by_alias=True)
    assert body["driftEvents"] == 1


def test_one_tenant_failing_does_not_stop_the_others(session, settings, now, monkeypatch):
    for t in ("t1", "t2", "t3"):
        _seed(session, t)
    real = gd._drifts
    calls = {"n": 0}

    def flaky(live, applied):
        calls["n"] += 1
        if calls["n"] == 2:  # tenants run in id order: t2
            raise RuntimeError("snapshot store corrupt")
        return real(live, applied)

    monkeypatch.setattr(gd, "_drifts", flaky)
    body = gd.run(session, settings, now).model_dump(mode="json", by_alias=True)
    session.commit()
    assert body["ok"] is False and body["tenantsScanned"] == 3 and body["driftEvents"] == 6
    assert body["errors"] == [{"tenantId": "t2", "error": "RuntimeError: snapshot store corrupt"}]
    assert (
        len(_audits(session, "t1")) == 3 and _audits(session, "t2") == [] and len(_audits(session, "t3")) == 3
    )


def test_deep_diff_paths():
    a = {"w": {"r": 1, "m": [1, {"x": 2}]}, "gone": True, "same": "s", "a.b": 1, "t": 1}
    b = {"w": {"r": 1, "m": [1, {"x": 3}, 4]}, "new": None, "same": "s", "a.b": 2, "t": True}
    assert gd.deep_diff(a, b) == {
        "w.m.1.x": {"from": 2, "to": 3},
        "w.m.2": {"from": None, "to": 4, "missing": "applied"},
        "gone": {"from": True, "to": None, "missing": "live"},
        "new": {"from": None, "to": None, "missing": "applied"},
        "a\\.b": {"from": 1, "to": 2},
        "t": {"from": 1, "to": True},  # 1 and true are different JSON values
    }
    assert gd.deep_diff({"x": 1.0}, {"x": 1}) == {}  # the same JSON number


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=3),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.sampled_from("abc"), children, max_size=3)
    ),
    max_leaves=12,
)


def _apply(doc, diff):
    """Rebuild the live document from the applied one and the diff (an oracle for the paths).

    Element additions/removals only ever happen at list tails (the diff recurses into indexes both
    sides have), so: changes first, then removals from the highest index, then additions upwards.
    """
    import copy

    if "" in diff:
        return diff[""]["to"]
    doc = copy.deepcopy(doc)

    def parent(path):
        parts = path.split(".")
        node = doc
        for p in parts[:-1]:
            node = node[int(p)] if isinstance(node, list) else node[p]
        return node, parts[-1]

    def key(item):
        return [int(p) if p.isdigit() else p for p in item[0].split(".")]

    changed = [(p, c) for p, c in diff.items() if "missing" not in c]
    removed = sorted(((p, c) for p, c in diff.items() if c.get("missing") == "live"), key=key, reverse=True)
    added = sorted(((p, c) for p, c in diff.items() if c.get("missing") == "applied"), key=key)
    for path, change in changed + removed + added:
        node, last = parent(path)
        if isinstance(node, list):
            if change.get("missing") == "live":
                del node[int(last)]
            elif change.get("missing") == "applied":
                assert int(last) == len(node)
                node.append(change["to"])
            else:
                node[int(last)] = change["to"]
        elif change.get("missing") == "live":
            del node[last]
        else:
            node[last] = change["to"]
    return doc


@hsettings(max_examples=150, deadline=None)
@given(a=json_values, b=json_values)
def test_deep_diff_is_empty_iff_equal_and_rebuilds_live(a, b):
    diff = gd.deep_diff(a, b)
    assert (diff == {}) == (a == b and gd.fingerprint({"v": a}) == gd.fingerprint({"v": b}))
    assert gd.deep_diff(_apply(a, diff), b) == {}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_gitops_drift_check_over_http(session, settings, now):
    _seed(session)
    client = TestClient(create_app(settings, clock=lambda: now))
    resp = client.post("/api/v1/cron/gitops-drift-check", headers={"Authorization": f"Bearer {SECRET}"})
    assert resp.status_code == 200, resp.text
    assert {k: resp.json()[k] for k in ("ok", "tenantsScanned", "resourcesCompared", "driftEvents")} == {
        "ok": True,
        "tenantsScanned": 1,
        "resourcesCompared": 5,
        "driftEvents": 3,
    }
