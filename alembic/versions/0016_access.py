"""access: signed links (customer sign-in, e-mail confirmation, staff invitations) and
confirmed e-mail addresses

Revision ID: 0016_access
Revises: 0015_sessions
Create Date: 2026-12-01

"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0016_access"
down_revision: str | Sequence[str] | None = "0015_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("email_verified", sa.Boolean(), server_default=sa.true(), nullable=False)
        )

    op.create_table(
        "access_links",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("work_order_id", sa.Uuid(), nullable=True),
        sa.Column("issued_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["work_order_id"], ["work_orders.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(op.f("ix_access_links_customer_id"), "access_links", ["customer_id"], unique=False)
    op.create_index(op.f("ix_access_links_user_id"), "access_links", ["user_id"], unique=False)
    op.create_index(op.f("ix_access_links_work_order_id"), "access_links", ["work_order_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_access_links_work_order_id"), table_name="access_links")
    op.drop_index(op.f("ix_access_links_user_id"), table_name="access_links")
    op.drop_index(op.f("ix_access_links_customer_id"), table_name="access_links")
    op.drop_table("access_links")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("email_verified")
