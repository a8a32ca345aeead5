"""region pool versions: a per-region label of technician pool facts, set by triggers

Revision ID: 0020_pool_versions
Revises: 0019_task_context
Create Date: 2026-12-01

On PostgreSQL, row triggers on technicians (dispatch-relevant columns only: not the last
known position, which changes all day), technician_skills, certifications, shifts and
time_off set `region_pool_versions.version` of the affected region(s) to the id of the
writing transaction, inside that transaction. Every writer is covered, whatever code or
process it is, including bulk UPDATE/DELETE statements and seeds. Transaction ids never
repeat in a cluster, so a label is never reused (not after TRUNCATE either).

SQLite gets the table only: it has no triggers here, and the pool cache is not used there.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0020_pool_versions"
down_revision: str | Sequence[str] | None = "0019_task_context"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FACT_TABLES = ("technician_skills", "certifications", "shifts", "time_off")
TECHNICIAN_COLUMNS = (
    "status",
    "region",
    "home_lat",
    "home_lng",
    "service_radius_m",
    "rating_sum",
    "rating_count",
)


def upgrade() -> None:
    op.create_table(
        "region_pool_versions",
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region"),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION bump_region_pool_version(target text) RETURNS void LANGUAGE sql AS $$
            INSERT INTO region_pool_versions (region, version)
            VALUES (target, pg_current_xact_id()::text::bigint)
            ON CONFLICT (region) DO UPDATE SET version = EXCLUDED.version
            WHERE region_pool_versions.version <> EXCLUDED.version
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION technicians_bump_pool_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN PERFORM bump_region_pool_version(OLD.region); END IF;
            IF TG_OP <> 'DELETE' THEN PERFORM bump_region_pool_version(NEW.region); END IF;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION technician_facts_bump_pool_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                PERFORM bump_region_pool_version(region) FROM technicians WHERE id = OLD.technician_id;
            END IF;
            IF TG_OP <> 'DELETE' THEN
                PERFORM bump_region_pool_version(region) FROM technicians WHERE id = NEW.technician_id;
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER technicians_pool_version_insert_delete AFTER INSERT OR DELETE ON technicians"
        " FOR EACH ROW EXECUTE FUNCTION technicians_bump_pool_version()"
    )
    old = ", ".join(f"OLD.{c}" for c in TECHNICIAN_COLUMNS)
    new = ", ".join(f"NEW.{c}" for c in TECHNICIAN_COLUMNS)
    op.execute(
        "CREATE TRIGGER technicians_pool_version_update AFTER UPDATE ON technicians FOR EACH ROW"
        f" WHEN (({old}) IS DISTINCT FROM ({new})) EXECUTE FUNCTION technicians_bump_pool_version()"
    )
    for table in FACT_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_pool_version AFTER INSERT OR UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION technician_facts_bump_pool_version()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in FACT_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_pool_version ON {table}")
        op.execute("DROP TRIGGER IF EXISTS technicians_pool_version_update ON technicians")
        op.execute("DROP TRIGGER IF EXISTS technicians_pool_version_insert_delete ON technicians")
        op.execute("DROP FUNCTION IF EXISTS technician_facts_bump_pool_version()")
        op.execute("DROP FUNCTION IF EXISTS technicians_bump_pool_version()")
        op.execute("DROP FUNCTION IF EXISTS bump_region_pool_version(text)")
    op.drop_table("region_pool_versions")
