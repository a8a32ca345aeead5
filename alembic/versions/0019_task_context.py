"""outbox tasks remember the request id and trace context of the request that queued them

Revision ID: 0019_task_context
Revises: 0018_holds
Create Date: 2026-12-01

"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0019_task_context"
down_revision: str | Sequence[str] | None = "0018_holds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("trace_context", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_tasks", schema=None) as batch_op:
        batch_op.drop_column("trace_context")
        batch_op.drop_column("request_id")
