"""dsar-purge demo data (``kaireon-service demo-data``)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import Settings, get_settings
from service.models.attachments import AiAttachment
from service.models.decisioning import DecisionTrace
from service.models.tenants import (
    DATA_CLASS_AI_ATTACHMENTS,
    DATA_CLASS_DECISION_TRACES,
    DATA_CLASS_INTERACTIONS,
    RetentionConfig,
    Tenant,
)
from service.storage import attachment_store


def demo(
    session: Session,
    tenants: Sequence[Tenant],
    now: datetime,
    rng: random.Random,
    settings: Settings | None = None,
) -> None:
    """Retention configs (held and unheld classes), expired and fresh rows, attachments with blobs.

    Tenant 1: interactions 90 d, decision traces 30 d (strictest), ai_attachments on legal hold.
    Tenant 2: every class 60 d, nothing held. Tenant 3 (if any): no config, scanned and skipped.
    Blobs go to the attachment store of ``settings`` (else ``session.info["settings"]``, else the
    process settings from the environment).
    """
    if settings is None:
        settings = session.info.get("settings") or get_settings()
    store = attachment_store(settings)
    plans: list[dict[str, tuple[int | None, bool]]] = [
        {
            DATA_CLASS_INTERACTIONS: (90, False),
            DATA_CLASS_DECISION_TRACES: (30, False),
            DATA_CLASS_AI_ATTACHMENTS: (30, True),
        },
        {
            DATA_CLASS_INTERACTIONS: (60, False),
            DATA_CLASS_DECISION_TRACES: (60, False),
            DATA_CLASS_AI_ATTACHMENTS: (60, False),
        },
    ]
    for tenant, plan in zip(tenants, plans, strict=False):
        existing = set(
            session.scalars(select(RetentionConfig.data_class).where(RetentionConfig.tenant_id == tenant.id))
        )
        for data_class, (days, hold) in plan.items():
            if data_class not in existing:
                session.add(
                    RetentionConfig(
                        tenant_id=tenant.id,
                        data_class=data_class,
                        retention_days=days,
                        legal_hold=hold,
                        reason="litigation hold (demo)" if hold else None,
                    )
                )
    for tenant in list(tenants)[:3]:
        for age_days in (400, 200, 120, 45, 10, 1):
            created = now - timedelta(days=age_days, minutes=rng.randint(0, 600))
            for _ in range(3):
                session.add(
                    DecisionTrace(
                        tenant_id=tenant.id,
                        customer_id=f"cust-{rng.randint(1, 500)}",
                        request_id=f"req-{rng.getrandbits(48):012x}",
                        candidate_count=rng.randint(3, 20),
                        final_count=rng.randint(1, 3),
                        total_latency_ms=round(rng.uniform(5, 80), 2),
                        created_at=created,
                    )
                )
            sha = f"{rng.getrandbits(256):064x}"
            key = f"{tenant.id}/{sha[:2]}/{sha}.txt"
            body = f"demo attachment for {tenant.id}, {age_days} days old\n".encode()
            store.put(key, body)
            session.add(
                AiAttachment(
                    tenant_id=tenant.id,
                    sha256=sha,
                    storage_key=key,
                    filename=f"note-{age_days}d.txt",
                    content_type="text/plain",
                    size_bytes=len(body),
                    created_at=created,
                )
            )
    session.flush()
