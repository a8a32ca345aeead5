"""messages: e-mail, SMS and inbox messages to one person each, with delivery status

Revision ID: 0013_messages
Revises: 0012_pricing
Create Date: 2026-12-01 04:25:54.860207
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0013_messages"
down_revision: str | Sequence[str] | None = "0012_pricing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_RECIPIENT = (
    "(CASE WHEN customer_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN technician_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN user_id IS NULL THEN 0 ELSE 1 END) = 1"
)


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("dedupe_key", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("technician_id", sa.Uuid(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.Column("template", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(length=8000), nullable=False),
        sa.Column("work_order_id", sa.Uuid(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("delivered_via", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
        ),
        sa.ForeignKeyConstraint(
            ["technician_id"],
            ["technicians.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
        sa.CheckConstraint(ONE_RECIPIENT, name="ck_messages_one_recipient"),
        sa.CheckConstraint("status IN ('queued', 'sent', 'failed')", name="ck_messages_status"),
    )
    op.create_index(
        "ix_messages_customer_inbox", "messages", ["customer_id", "channel", "created_at", "id"], unique=False
    )
    op.create_index(
        "ix_messages_technician_inbox",
        "messages",
        ["technician_id", "channel", "created_at", "id"],
        unique=False,
    )
    op.create_index(op.f("ix_messages_user_id"), "messages", ["user_id"], unique=False)
    op.create_index(op.f("ix_messages_work_order_id"), "messages", ["work_order_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_messages_work_order_id"), table_name="messages")
    op.drop_index(op.f("ix_messages_user_id"), table_name="messages")
    op.drop_index("ix_messages_technician_inbox", table_name="messages")
    op.drop_index("ix_messages_customer_inbox", table_name="messages")
    op.drop_table("messages")
