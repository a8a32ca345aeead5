"""merge the booking, mobile and money branches into one head

The three feature branches were written in parallel from 0001; they touch disjoint
tables and columns, so the merge has no operations of its own.

Revision ID: 0010
Revises: 0002, 0003, 0004
Create Date: 2026-11-22
"""

from collections.abc import Sequence

revision: str = "0010"
down_revision: str | Sequence[str] | None = ("0002", "0003", "0004")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
