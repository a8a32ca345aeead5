"""every work order carries a quote: price and platform fee are required

Orders without a complete quote (no price, or a price without its fee) are priced with
the same function the application uses, then both columns become NOT NULL.

Revision ID: 0012_pricing
Revises: 0010
Create Date: 2026-11-23
"""

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from alembic import op
from marketplace.pricing.policy import MoneyPolicy
from marketplace.pricing.service import quote

revision: str = "0012_pricing"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


@dataclass(frozen=True)
class _Category:
    base_price_minor: int
    duration_s: int


def upgrade() -> None:
    bind = op.get_bind()
    policy = MoneyPolicy()
    unpriced = bind.execute(
        sa.text(
            "SELECT w.id, w.duration_s, w.priority, w.currency, c.tier,"
            " s.code AS category, s.base_price_minor, s.duration_s AS standard_duration_s"
            " FROM work_orders w JOIN customers c ON c.id = w.customer_id"
            " LEFT JOIN service_categories s ON s.code = w.category_code"
            " WHERE w.price_minor IS NULL OR w.fee_minor IS NULL"
        )
    ).all()
    for row in unpriced:
        q = quote(
            category=(
                _Category(row.base_price_minor, row.standard_duration_s) if row.category is not None else None
            ),
            duration_s=row.duration_s,
            priority=row.priority,
            tier=row.tier,
            policy=policy,
            currency=row.currency,
        )
        bind.execute(
            sa.text("UPDATE work_orders SET price_minor = :price, fee_minor = :fee WHERE id = :id"),
            {"price": q.price_minor, "fee": q.fee_minor, "id": row.id},
        )
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.alter_column("price_minor", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("fee_minor", existing_type=sa.Integer(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.alter_column("fee_minor", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("price_minor", existing_type=sa.Integer(), nullable=True)
