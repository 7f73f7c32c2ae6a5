"""export-interactions' state: the keyset checkpoint per tenant and every object it wrote."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, utcnow


class ExportCheckpoint(Base):
    """Keyset position of the interaction-history export per tenant: (last_created_at, last_id)."""

    __tablename__ = "export_checkpoints"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    last_created_at: Mapped[datetime] = mapped_column()
    last_id: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16), default="ok")  # ok | failed
    # the object an in-flight batch is written to, recorded before the write (crash-safe re-run)
    pending_object: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    pending_last_created_at: Mapped[datetime | None] = mapped_column(nullable=True)
    pending_last_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    total_exported: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ExportObject(Base):
    """One object export-interactions wrote (recorded with its batch's ``pending_*``, before the write).

    dsar-purge and cleanup read it to purge exports past a tenant's cutoff without listing the store:
    an object whose ``newest_created_at`` is older is deleted, one straddling the cutoff is rewritten
    without the expired rows and its row is updated (:mod:`service.jobs._export_purge`).
    """

    __tablename__ = "export_objects"
    __table_args__ = (Index("ix_export_objects_tenant_oldest", "tenant_id", "oldest_created_at"),)

    object_key: Mapped[str] = mapped_column(String(1024), primary_key=True)  # key in EXPORT_STORAGE_URL
    tenant_id: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(BigInteger, default=0)
    oldest_created_at: Mapped[datetime] = mapped_column()
    newest_created_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
