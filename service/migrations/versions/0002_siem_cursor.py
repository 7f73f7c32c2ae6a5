"""siem-ship: durable cursor, pending id ranges, dead letters

Revision ID: 0002_siem_cursor
Revises: 0001
Create Date: 2026-11-29 14:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_siem_cursor"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "siem_cursors",
        sa.Column("backend", sa.String(length=32), nullable=False),
        sa.Column("high_id", sa.BigInteger(), nullable=False),
        sa.Column("floor_id", sa.BigInteger(), nullable=False),
        sa.Column("floor_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("backend"),
    )
    op.create_table(
        "siem_pending",
        sa.Column("backend", sa.String(length=32), nullable=False),
        sa.Column("lo", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hi", sa.BigInteger(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fence_xid", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("backend", "lo"),
    )
    op.create_table(
        "siem_dead_letters",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("backend", sa.String(length=32), nullable=False),
        sa.Column("audit_id", sa.BigInteger(), nullable=False),
        sa.Column("audit_created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("dead_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("backend", "audit_id", name="uq_siem_dead_letters_backend_audit"),
    )


def downgrade() -> None:
    op.drop_table("siem_dead_letters")
    op.drop_table("siem_pending")
    op.drop_table("siem_cursors")
