"""Audit-log rows as SIEM events (one plain dict per row, the platform's audit-log field names)."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

SOURCE = "kaireon"
SERVICE = "kaireon-api"
DEFAULT_SOURCETYPE = "kaireon:audit"


@dataclass(frozen=True)
class AuditEvent:
    id: int
    created_at: datetime
    body: dict[str, Any]  # what the SIEM stores as the event

    @property
    def epoch(self) -> float:
        return round(self.created_at.astimezone(UTC).timestamp(), 3)

    @property
    def iso(self) -> str:
        return self.created_at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def from_row(row: Any) -> AuditEvent:
    """An ``AuditLog`` row (ORM object or Row with the same attribute names) -> event."""
    created = row.created_at
    event = AuditEvent(id=int(row.id), created_at=created, body={})
    event.body.update(
        {
            "id": int(row.id),
            "tenantId": row.tenant_id,
            "action": row.action,
            "entityType": row.entity_type,
            "entityId": row.entity_id,
            "entityName": row.entity_name,
            "changes": row.changes or {},
            "userId": row.user_id,
            "userName": row.user_name,
            "requestId": row.request_id,
            "timestamp": event.iso,
        }
    )
    return event


@lru_cache(maxsize=1)
def hostname() -> str:
    return socket.gethostname() or "kaireon"
