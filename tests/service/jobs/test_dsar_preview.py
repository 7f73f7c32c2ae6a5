"""dsar-purge ``?dryRun=true``: the counts a run would delete (equal to what the run then deletes),
per-tenant preflight findings, nothing deleted, no lease and no write lock, one preview audit row."""

from __future__ import annotations

import itertools
import threading

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, select

from service.app import create_app
from service.jobs import dsar_purge
from service.models import DATA_CLASS_AI_ATTACHMENTS as ATT
from service.models import DATA_CLASS_DECISION_TRACES as DT
from service.models import DATA_CLASS_INTERACTIONS as IH
from service.models import AiAttachment, AuditLog, DecisionTrace, InteractionHistory, JobLease
from service.storage import open_store
from tests.service.jobs.test_dsar_purge import add_rows, add_tenant, seed_standard

COUNTS = ("decisionTraces", "interactionHistory", "aiAttachments", "blobsDeleted", "blobsKept")
_seq = itertools.count(1)


@pytest.fixture
def store(settings):
    return open_store(settings.attachment_storage_url)


@pytest.fixture
def client(settings, now):
    return TestClient(create_app(settings, clock=lambda: now))


@pytest.fixture
def auth(settings):
    return {"Authorization": f"Bearer {settings.cron_secret.get_secret_value()}"}


def totals(session):
    session.commit()
    return tuple(
        session.scalar(select(func.count()).select_from(m))
        for m in (DecisionTrace, InteractionHistory, AiAttachment)
    )


def test_preview_counts_what_the_run_then_deletes_and_deletes_nothing(
    session, settings, store, now, client, auth
):
    seed_standard(session, store, now)
    before, blobs = totals(session), store.list()
    resp = client.get("/api/v1/cron/dsar-purge?dryRun=true", headers=auth)
    assert resp.status_code == 200, resp.text
    preview = resp.json()
    assert set(preview) == {"ok", "tenantsScanned", "totalBlobsAttempted", "perTenant", "dryRun", "maxShare"}
    assert preview["dryRun"] is True and preview["tenantsScanned"] == 4
    assert totals(session) == before and store.list() == blobs  # nothing deleted
    assert session.scalar(select(func.count()).select_from(JobLease)) == 0  # no lease taken
    audits = session.execute(select(AuditLog.action, AuditLog.changes)).all()
    assert [a for a, _ in audits] == ["dsar_purge_preview"]
    assert audits[0].changes["dryRun"] is True and audits[0].changes["wouldDelete"]["decisionTraces"] == 5

    by = {t["tenantId"]: t for t in preview["perTenant"]}
    assert [c["check"] for c in by["t-c"]["preflight"]] == ["no_retention_config"]
    assert [c["check"] for c in by["t-d"]["preflight"]] == ["non_positive_retention", "no_retention_config"]
    assert by["t-a"]["held"] == ["ai_attachments"]  # 3 of 5 rows of both unheld tables: 60 % > 50 %
    assert [c["check"] for c in by["t-a"]["preflight"]] == ["large_share", "large_share"]

    real = client.post("/api/v1/cron/dsar-purge", headers=auth).json()
    assert real["totalBlobsAttempted"] == preview["totalBlobsAttempted"]
    for t in real["perTenant"]:
        assert {k: by[t["tenantId"]][k] for k in COUNTS} == {k: t[k] for k in COUNTS}


def test_findings_all_held_and_large_share(session, settings, store, now, client, auth):
    add_tenant(session, "t-held", {IH: (30, True), DT: (30, True)})
    add_tenant(session, "t-big", {IH: (30, False), DT: (5000, False), ATT: (5000, False)})
    for tid in ("t-held", "t-big"):
        add_rows(session, store, tid, now)  # ages 400, 100, 45, 20, 1: 3 of 5 older than 30 days
    session.commit()
    body = client.post("/api/v1/cron/dsar-purge?dryRun=1&maxShare=0.5", headers=auth).json()
    by = {t["tenantId"]: t for t in body["perTenant"]}
    assert [c["check"] for c in by["t-held"]["preflight"]] == ["all_on_legal_hold"]
    big = by["t-big"]["preflight"]
    assert [c["check"] for c in big] == ["large_share", "large_share", "large_share"]
    assert "decisionTraces: the 30-day cutoff would delete 3 of 5 rows (60 %)" in big[0]["detail"]
    assert (
        client.get("/api/v1/cron/dsar-purge?dryRun=true&maxShare=0.7", headers=auth).json()["perTenant"][0][
            "preflight"
        ]
        == []
    )


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("dryRun=maybe", "dryRun must be true or false"),
        ("dryRun=true&maxShare=2", "maxShare must be a number in (0, 1]"),
        ("dryRun=true&maxShare=abc", "maxShare must be a number in (0, 1]"),
        ("dryRun=true&maxShare=nan", "maxShare must be a number in (0, 1]"),
    ],
)
def test_bad_parameters_are_400_json(session, client, auth, query, detail):
    resp = client.get(f"/api/v1/cron/dsar-purge?{query}", headers=auth)
    assert resp.status_code == 400
    body = resp.json()
    assert body["ok"] is False and body["error"] == "bad_request" and body["detail"].startswith(detail)
    session.commit()
    assert session.scalar(select(func.count()).select_from(AuditLog)) == 0  # nothing ran


def test_dry_run_on_a_route_without_preview_is_refused_not_ignored(session, client, auth):
    resp = client.post("/api/v1/cron/cleanup?dryRun=true", headers=auth)
    assert resp.status_code == 400 and "not supported by cleanup" in resp.json()["detail"]
    session.commit()
    assert session.scalar(select(func.count()).select_from(AuditLog)) == 0  # cleanup did not run
    assert client.post("/api/v1/cron/dsar-purge?dryRun=true").status_code == 401  # auth first


def test_preview_takes_no_write_lock(session_factory, session, settings, store, now, db_url):
    seed_standard(session, store, now)
    locker = session_factory()
    if db_url.startswith("sqlite"):
        locker.connection().exec_driver_sql("BEGIN IMMEDIATE")  # the database's one write lock
    else:
        locker.execute(select(AiAttachment).with_for_update())  # row locks on every attachment
        locker.execute(select(DecisionTrace).with_for_update())
    out: list[object] = []
    th = threading.Thread(
        target=lambda: out.append(dsar_purge.preview(session_factory, settings, now, {}, clock=lambda: now))
    )
    th.start()
    th.join(60)
    locker.rollback()
    locker.close()
    assert not th.is_alive() and out, "the preview waited for a lock"


_days = st.sampled_from([None, 0, 5, 30, 90])
_cfg = st.dictionaries(st.sampled_from([IH, DT, ATT]), st.tuples(_days, st.booleans()), max_size=3)


@hsettings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plans=st.lists(_cfg, min_size=1, max_size=3), shared=st.booleans())
def test_preview_equals_the_run_whatever_the_configs(session, settings, store, now, plans, shared):
    tids = [f"pv-{next(_seq)}" for _ in plans]
    for tid, configs in zip(tids, plans, strict=True):
        add_tenant(session, tid, configs)
        add_rows(session, store, tid, now)
    if shared and len(tids) > 1:  # the first tenants' oldest attachment shares the second's key
        key = session.scalar(
            select(AiAttachment.storage_key).where(AiAttachment.tenant_id == tids[1]).limit(1)
        )
        first = session.scalars(select(AiAttachment).where(AiAttachment.tenant_id == tids[0])).first()
        first.storage_key = key
    session.commit()
    preview = dsar_purge.preview(_factory(session), settings, now, {}).model_dump(mode="json", by_alias=True)
    real = dsar_purge.run(session, settings, now).model_dump(mode="json", by_alias=True)
    session.commit()
    by = {t["tenantId"]: t for t in preview["perTenant"]}
    for t in real["perTenant"]:
        assert {k: by[t["tenantId"]][k] for k in COUNTS} == {k: t[k] for k in COUNTS}, (plans, shared)
    assert {t["tenantId"] for t in real["perTenant"]} == {t for t, e in by.items() if e["retentionDays"] > 0}


def _factory(session):
    from service.db import make_sessionmaker

    return make_sessionmaker(session.get_bind())


def test_dry_run_false_is_an_ordinary_run(session, settings, store, now, client, auth):
    seed_standard(session, store, now)
    body = client.post("/api/v1/cron/dsar-purge?dryRun=false", headers=auth).json()
    assert "dryRun" not in body and body["perTenant"][1]["decisionTraces"] == 2
    session.commit()
    assert (
        session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "dsar_purge")) == 2
    )


def test_openapi_documents_the_preview_parameters(client):
    spec = client.get("/openapi.json").json()
    params = {p["name"] for p in spec["paths"]["/api/v1/cron/dsar-purge"]["post"]["parameters"]}
    assert {"dryRun", "maxShare"} <= params
    # cleanup has no preview (only the shard parameters of the tenant-loop routes)
    assert {p["name"] for p in spec["paths"]["/api/v1/cron/cleanup"]["post"]["parameters"]} == {
        "shard",
        "shards",
    }
    assert "parameters" not in spec["paths"]["/api/v1/cron/approvals-expire"]["post"]
