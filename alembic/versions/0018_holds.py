"""self-service: windows held for customers who did not book in time

Revision ID: 0018_holds
Revises: 0017_counter_offers
Create Date: 2026-12-01

"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0018_holds"
down_revision: str | Sequence[str] | None = "0017_counter_offers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hold_confirm_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_appointments_hold_confirm_at"), ["hold_confirm_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appointments_hold_confirm_at"))
        batch_op.drop_column("hold_confirm_at")
