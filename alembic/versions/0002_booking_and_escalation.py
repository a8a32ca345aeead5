"""booking and escalation: technician time reservations, response SLA

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXCLUDE_NAME = "ex_appointments_technician_busy"


def upgrade() -> None:
    with op.batch_alter_table("appointments") as batch:
        batch.add_column(sa.Column("busy_from", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("busy_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("cancellation_fee_minor", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("replaced_by_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key("fk_appointments_replaced_by", "appointments", ["replaced_by_id"], ["id"])
        batch.create_check_constraint(
            "ck_appointments_busy", "busy_until IS NULL OR busy_from IS NULL OR busy_until > busy_from"
        )
    with op.batch_alter_table("work_orders") as batch:
        batch.add_column(sa.Column("response_due_at", sa.DateTime(timezone=True), nullable=True))

    if op.get_bind().dialect.name == "postgresql":
        # One technician cannot hold two live bookings whose reserved time overlaps: the
        # last-place race is decided by the database, not by a read-then-write in Python.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            f"""
            ALTER TABLE appointments ADD CONSTRAINT {EXCLUDE_NAME}
            EXCLUDE USING gist (
                technician_id WITH =,
                tstzrange(busy_from, busy_until, '[)') WITH &&
            ) WHERE (status = 'booked' AND technician_id IS NOT NULL
                     AND busy_from IS NOT NULL AND busy_until IS NOT NULL)
            """
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE appointments DROP CONSTRAINT IF EXISTS {EXCLUDE_NAME}")
    with op.batch_alter_table("work_orders") as batch:
        batch.drop_column("response_due_at")
    with op.batch_alter_table("appointments") as batch:
        batch.drop_constraint("ck_appointments_busy", type_="check")
        batch.drop_constraint("fk_appointments_replaced_by", type_="foreignkey")
        batch.drop_column("replaced_by_id")
        batch.drop_column("cancellation_fee_minor")
        batch.drop_column("busy_until")
        batch.drop_column("busy_from")
