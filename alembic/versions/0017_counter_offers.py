"""fair-dispatch ledger (append-only) and counter-offers

Revision ID: 0017_counter_offers
Revises: 0016_access
Create Date: 2026-12-01

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0017_counter_offers"
down_revision: str | Sequence[str] | None = "0016_access"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FINAL = "kind IN ('declined', 'expired', 'won', 'lost', 'withdrawn')"
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "dispatch_decisions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("work_order_id", sa.Uuid(), nullable=False),
        sa.Column("technician_id", sa.Uuid(), nullable=False),
        sa.Column("offer_id", sa.Uuid(), nullable=True),
        sa.Column("region", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("cost", sa.Integer(), nullable=True),
        sa.Column("travel_s", sa.Integer(), nullable=True),
        sa.Column("travel_m", sa.Integer(), nullable=True),
        sa.Column("sla_slack_s", sa.Integer(), nullable=True),
        sa.Column("terms", _JSON, nullable=False),
        sa.Column("earnings_minor", sa.Integer(), nullable=True),
        sa.Column("reason_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["offer_id"], ["offers.id"]),
        sa.ForeignKeyConstraint(["technician_id"], ["technicians.id"]),
        sa.ForeignKeyConstraint(["work_order_id"], ["work_orders.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_dispatch_decisions_one_outcome_per_offer",
        "dispatch_decisions",
        ["offer_id"],
        unique=True,
        postgresql_where=sa.text(_FINAL),
        sqlite_where=sa.text(_FINAL),
    )
    op.create_index("ix_dispatch_decisions_order", "dispatch_decisions", ["work_order_id", "at"])
    op.create_index("ix_dispatch_decisions_region_at", "dispatch_decisions", ["region", "at"])
    op.create_index("ix_dispatch_decisions_technician_at", "dispatch_decisions", ["technician_id", "at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION dispatch_decisions_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'dispatch_decisions is append-only';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            """
            CREATE TRIGGER dispatch_decisions_append_only
            BEFORE UPDATE OR DELETE ON dispatch_decisions
            FOR EACH ROW EXECUTE FUNCTION dispatch_decisions_append_only()
            """
        )

    op.create_table(
        "counter_offers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("work_order_id", sa.Uuid(), nullable=False),
        sa.Column("technician_id", sa.Uuid(), nullable=False),
        sa.Column("pay_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("numbers", _JSON, nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["offer_id"], ["offers.id"]),
        sa.ForeignKeyConstraint(["technician_id"], ["technicians.id"]),
        sa.ForeignKeyConstraint(["work_order_id"], ["work_orders.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("offer_id", name="uq_counter_offers_offer"),
    )
    op.create_index("ix_counter_offers_status_created", "counter_offers", ["status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_counter_offers_status_created", table_name="counter_offers")
    op.drop_table("counter_offers")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS dispatch_decisions_append_only ON dispatch_decisions")
        op.execute("DROP FUNCTION IF EXISTS dispatch_decisions_append_only()")
    op.drop_index("ix_dispatch_decisions_technician_at", table_name="dispatch_decisions")
    op.drop_index("ix_dispatch_decisions_region_at", table_name="dispatch_decisions")
    op.drop_index("ix_dispatch_decisions_order", table_name="dispatch_decisions")
    op.drop_index("uq_dispatch_decisions_one_outcome_per_offer", table_name="dispatch_decisions")
    op.drop_table("dispatch_decisions")
