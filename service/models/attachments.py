"""AI attachments (rows that reference blobs of ``ATTACHMENT_STORAGE_URL``) and dsar-purge's queue of
blobs to delete once no row references them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, BigId, utcnow


class AiAttachment(Base):
    __tablename__ = "ai_attachments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "sha256", name="uq_ai_attachments_tenant_sha"),
        Index("ix_ai_attachments_tenant_created", "tenant_id", "created_at"),
        Index("ix_ai_attachments_storage_key", "storage_key"),  # dsar-purge: is a blob still referenced?
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(512))  # relative to ATTACHMENT_STORAGE_URL
    filename: Mapped[str | None] = mapped_column(String(255), nullable=True)
    content_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BlobDeletion(Base):
    """A blob of ``ATTACHMENT_STORAGE_URL`` whose rows dsar-purge deleted, queued in the same transaction.

    The blob is deleted only after re-checking that no row references its key any more, then this
    row goes (:mod:`service.blob_deletions`); a run that crashed in between is finished by the next.
    """

    __tablename__ = "blob_deletions"

    blob_key: Mapped[str] = mapped_column(String(1024), primary_key=True)  # canonical key (storage.clean_key)
    tenant_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # whose rows queued it
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
