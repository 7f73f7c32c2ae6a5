"""export_objects: every object export-interactions wrote, so retention purges can reach the exports

Revision ID: 0004_retention_export_objects
Revises: 0003_safety_blob_deletions
Create Date: 2026-11-29 15:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_retention_export_objects"
down_revision: str | None = "0003_safety_blob_deletions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "export_objects",
        sa.Column("object_key", sa.String(length=1024), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.Column("oldest_created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("newest_created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("object_key"),
    )
    op.create_index(
        "ix_export_objects_tenant_oldest", "export_objects", ["tenant_id", "oldest_created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_export_objects_tenant_oldest", table_name="export_objects")
    op.drop_table("export_objects")
