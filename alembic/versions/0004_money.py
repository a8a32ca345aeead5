"""money: payment attempts and Stripe charge ids, billing profiles, payout onboarding links

Revision ID: 0004
Revises: 0001
Create Date: 2025-11-22

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0004"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("appointment_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("attempt", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(
            sa.Column("stripe_charge_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(sa.Column("failure_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column("cancellation_fee_minor", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_payments_appointment_id", "appointments", ["appointment_id"], ["id"])

    op.create_table(
        "billing_profiles",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("default_payment_method", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_table(
        "payout_account_links",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("technician_id", sa.Uuid(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failure_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["technician_id"], ["technicians.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_payout_account_links_technician_id"), "payout_account_links", ["technician_id"], unique=False
    )
    if op.get_bind().dialect.name == "postgresql":
        # money columns the database itself keeps sane
        op.create_check_constraint(
            "ck_payments_amounts_not_negative",
            "payments",
            "amount_authorized_minor >= 0 AND amount_captured_minor >= 0 AND amount_refunded_minor >= 0",
        )
        op.create_check_constraint(
            "ck_payments_refund_within_capture", "payments", "amount_refunded_minor <= amount_captured_minor"
        )
        op.create_check_constraint("ck_payouts_amount_not_negative", "payouts", "amount_minor >= 0")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("ck_payouts_amount_not_negative", "payouts", type_="check")
        op.drop_constraint("ck_payments_refund_within_capture", "payments", type_="check")
        op.drop_constraint("ck_payments_amounts_not_negative", "payments", type_="check")
    op.drop_index(op.f("ix_payout_account_links_technician_id"), table_name="payout_account_links")
    op.drop_table("payout_account_links")
    op.drop_table("billing_profiles")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_constraint("fk_payments_appointment_id", type_="foreignkey")
        batch_op.drop_column("cancellation_fee_minor")
        batch_op.drop_column("failure_code")
        batch_op.drop_column("stripe_charge_id")
        batch_op.drop_column("attempt")
        batch_op.drop_column("appointment_id")
