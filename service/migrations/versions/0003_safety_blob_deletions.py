"""blob_deletions (dsar-purge's durable queue of blobs to delete) and an index on ai_attachments.storage_key

Revision ID: 0003_safety_blob_deletions
Revises: 0002_siem_cursor
Create Date: 2026-11-29 14:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_safety_blob_deletions"
down_revision: str | None = "0002_siem_cursor"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "blob_deletions",
        sa.Column("blob_key", sa.String(length=1024), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("blob_key"),
    )
    op.create_index("ix_ai_attachments_storage_key", "ai_attachments", ["storage_key"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_ai_attachments_storage_key", table_name="ai_attachments")
    op.drop_table("blob_deletions")
