"""/api/v1/cron/gitops-drift-check (``0 5 * * *``) — live resources vs their last-applied snapshots.

For every active tenant and each resource type (``arbitration_profile``, ``contact_policy``,
``qualification_rule``, ``offer``) the live resources (``gitops_live_resources``) are compared with
the last-applied snapshots (``gitops_last_applied``) by key:

* ``added_in_prod`` — live, no snapshot; ``changes = {"driftKind", "spec": <live spec>}``;
* ``removed_in_prod`` — snapshot, not live; ``changes = {"driftKind", "spec": <applied spec>}``;
* ``modified_in_prod`` — both, specs differ; ``changes = {"driftKind", "fields": {"<dotted.path>":
  {"from": <applied>, "to": <live>}}}``. The diff is deep: nested objects give dotted paths
  (``weights.relevance``), lists are compared element-wise with the index as a path segment
  (``rules.2.weight``); a key or element present on one side only has ``from``/``to`` null and
  ``"missing": "applied"|"live"``. A type change (object → number) is one leaf.

Each *new or changed* drift writes one ``audit_log`` row (action ``gitops_drift_detected``,
``entity_type`` = the resource type, ``entity_id`` = the key, ``changes`` = above, user
``system:cron``) and stores its fingerprint (SHA-256 of the canonical JSON of ``changes``) in
``gitops_drift_state``. The same drift on the next night only refreshes ``last_seen_at`` (no audit
row); drift that changed (another field, a new value, a different kind) is recorded again; drift
that is gone (live matches the snapshot again) has its state cleared (counted in ``resolved``) so a
recurrence is reported afresh. ``resourcesCompared`` counts distinct (type, key) pairs examined.
Each tenant is one transaction; one tenant's failure is reported in ``errors``, the others continue.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import Settings
from service.jobs._result import JobResult
from service.jobs._tenant_loop import TenantError, for_each_tenant, tenant_ids
from service.models.audit import AuditLog
from service.models.governance import (
    GITOPS_RESOURCE_TYPES,
    GitopsDriftState,
    GitopsLastApplied,
    GitopsLiveResource,
)

ROUTE = "gitops-drift-check"
AUDIT_ACTION = "gitops_drift_detected"
_MISSING = object()


class GitopsDriftResult(JobResult):
    ok: bool = True
    tenants_scanned: int = 0
    resources_compared: int = 0
    drift_events: int = 0
    drifted: int = Field(0, description="resources currently drifted (new, changed or unchanged)")
    resolved: int = 0
    errors: list[TenantError] = Field(default_factory=list)

    @property
    def rows_affected(self) -> int:
        return self.drift_events + self.resolved


def _escape(segment: Any) -> str:
    return str(segment).replace("\\", "\\\\").replace(".", "\\.")


def deep_diff(applied: Any, live: Any, path: str = "") -> dict[str, dict[str, Any]]:
    """Changed leaves between two JSON values as ``{"a.b.0": {"from": old, "to": new}}``.

    Dots inside keys are escaped (``\\.``). Equal values give ``{}``. A root-level change of a non
    container is reported under the path ``""``.
    """
    out: dict[str, dict[str, Any]] = {}

    def join(seg: Any) -> str:
        return f"{path}.{_escape(seg)}" if path else _escape(seg)

    if isinstance(applied, dict) and isinstance(live, dict):
        for key in sorted(set(applied) | set(live), key=str):
            a, b = applied.get(key, _MISSING), live.get(key, _MISSING)
            out.update(_leaf_or_recurse(a, b, join(key)))
        return out
    if isinstance(applied, list) and isinstance(live, list):
        for i in range(max(len(applied), len(live))):
            a = applied[i] if i < len(applied) else _MISSING
            b = live[i] if i < len(live) else _MISSING
            out.update(_leaf_or_recurse(a, b, join(i)))
        return out
    return _leaf_or_recurse(applied, live, path)


def _same(a: Any, b: Any) -> bool:
    # JSON equality: True != 1 and 1 == 1.0 as in JSON; bool is not a number here
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and bool(a == b)
    return bool(a == b)


def _leaf_or_recurse(a: Any, b: Any, path: str) -> dict[str, dict[str, Any]]:
    if a is _MISSING:
        return {path: {"from": None, "to": b, "missing": "applied"}}
    if b is _MISSING:
        return {path: {"from": a, "to": None, "missing": "live"}}
    if (isinstance(a, dict) and isinstance(b, dict)) or (isinstance(a, list) and isinstance(b, list)):
        return deep_diff(a, b, path) if path else deep_diff(a, b)
    return {} if _same(a, b) else {path: {"from": a, "to": b}}


def fingerprint(changes: dict[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps(changes, sort_keys=True, separators=(",", ":"), default=str).encode()
    ).hexdigest()


def _drifts(
    live: dict[tuple[str, str], dict[str, Any]], applied: dict[tuple[str, str], dict[str, Any]]
) -> tuple[int, dict[tuple[str, str], dict[str, Any]]]:
    keys = set(live) | set(applied)
    drifts: dict[tuple[str, str], dict[str, Any]] = {}
    for key in keys:
        if key not in applied:
            drifts[key] = {"driftKind": "added_in_prod", "spec": live[key]}
        elif key not in live:
            drifts[key] = {"driftKind": "removed_in_prod", "spec": applied[key]}
        else:
            fields = deep_diff(applied[key], live[key])
            if fields:
                drifts[key] = {"driftKind": "modified_in_prod", "fields": fields}
    return len(keys), drifts


def _tenant(session: Session, tenant_id: str, now: datetime) -> dict[str, int]:
    types = GITOPS_RESOURCE_TYPES
    live = {
        (r.resource_type, r.resource_key): r.spec or {}
        for r in session.execute(
            select(
                GitopsLiveResource.resource_type, GitopsLiveResource.resource_key, GitopsLiveResource.spec
            ).where(GitopsLiveResource.tenant_id == tenant_id, GitopsLiveResource.resource_type.in_(types))
        )
    }
    applied = {
        (r.resource_type, r.resource_key): r.spec or {}
        for r in session.execute(
            select(
                GitopsLastApplied.resource_type, GitopsLastApplied.resource_key, GitopsLastApplied.spec
            ).where(GitopsLastApplied.tenant_id == tenant_id, GitopsLastApplied.resource_type.in_(types))
        )
    }
    states = {
        (s.resource_type, s.resource_key): s
        for s in session.scalars(select(GitopsDriftState).where(GitopsDriftState.tenant_id == tenant_id))
    }
    compared, drifts = _drifts(live, applied)
    events = resolved = 0
    for key in sorted(drifts):
        changes = drifts[key]
        fp = fingerprint(changes)
        state = states.pop(key, None)
        if state is not None and state.fingerprint == fp:
            state.last_seen_at = now
            continue
        rtype, rkey = key
        session.add(
            AuditLog(
                tenant_id=tenant_id,
                action=AUDIT_ACTION,
                entity_type=rtype,
                entity_id=rkey,
                entity_name=rkey,
                changes=changes,
                user_id="system:cron",
                user_name="cron",
                created_at=now,
            )
        )
        events += 1
        if state is None:
            session.add(
                GitopsDriftState(
                    tenant_id=tenant_id,
                    resource_type=rtype,
                    resource_key=rkey,
                    drift_kind=changes["driftKind"],
                    fingerprint=fp,
                    first_seen_at=now,
                    last_seen_at=now,
                )
            )
        else:
            state.drift_kind, state.fingerprint, state.last_seen_at = changes["driftKind"], fp, now
    for state in states.values():  # drift gone (or type no longer compared): clear
        session.delete(state)
        resolved += 1
    session.flush()
    return {"compared": compared, "events": events, "drifted": len(drifts), "resolved": resolved}


def run(session: Session, settings: Settings, now: datetime) -> GitopsDriftResult:
    ids = tenant_ids(session, active_only=True)
    done, errors = for_each_tenant(session, ids, lambda tid: _tenant(session, tid, now), job=ROUTE)
    return GitopsDriftResult(
        ok=not errors,
        tenants_scanned=len(ids),
        resources_compared=sum(d["compared"] for d in done.values()),
        drift_events=sum(d["events"] for d in done.values()),
        drifted=sum(d["drifted"] for d in done.values()),
        resolved=sum(d["resolved"] for d in done.values()),
        errors=errors,
    )


def demo(session: Session, tenants: Sequence[Any], now: datetime, rng: random.Random) -> None:
    """In sync, modified in prod, added in prod and removed in prod resources for each tenant."""
    applied_at = now - timedelta(days=3)
    for t in tenants:
        tid = getattr(t, "id", t)
        base = {
            ("arbitration_profile", "default"): {
                "weights": {"relevance": 0.6, "margin": 0.4},
                "maxOffers": 3,
            },
            ("contact_policy", "weekly-cap"): {"channel": "email", "limit": 3, "periodDays": 7},
            ("qualification_rule", "adults-only"): {"expr": "age >= 18", "enabled": True},
            ("offer", "gold-card"): {"name": "Gold card", "priority": 10, "channels": ["email", "web"]},
        }
        for (rtype, key), spec in base.items():
            session.add(
                GitopsLastApplied(
                    tenant_id=tid, resource_type=rtype, resource_key=key, spec=spec, applied_at=applied_at
                )
            )
        live = {k: json.loads(json.dumps(v)) for k, v in base.items()}
        live[("arbitration_profile", "default")]["weights"]["relevance"] = round(rng.uniform(0.7, 0.9), 2)
        live[("offer", "gold-card")]["channels"].append("sms")
        del live[("qualification_rule", "adults-only")]
        live[("offer", "hotfix-promo")] = {"name": "Hotfix promo", "priority": 99}
        for (rtype, key), spec in live.items():
            session.add(
                GitopsLiveResource(
                    tenant_id=tid,
                    resource_type=rtype,
                    resource_key=key,
                    spec=spec,
                    updated_at=now - timedelta(hours=rng.randint(1, 48)),
                )
            )
    session.flush()
