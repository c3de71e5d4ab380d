"""matching: embedding tombstones (kept by a trigger) and per-library match thresholds

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 15:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0003"
down_revision: Union[str, None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "embeddingtombstone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("embedding_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("model_id", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("variant", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("embeddingtombstone", schema=None) as batch_op:
        batch_op.create_index("ix_embeddingtombstone_lookup", ["kind", "model_id", "variant", "id"], unique=False)

    op.create_table(
        "matchsetting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("library", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("suggest_threshold", sa.Float(), nullable=False),
        sa.Column("same_claim_threshold", sa.Float(), nullable=False),
        sa.Column("auto_link_max_age_days", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("library"),
    )
    _log_embedding_deletions()


def _log_embedding_deletions() -> None:
    """Every deleted embedding row leaves a tombstone (see factcheck.matching.sync)."""
    insert = ("INSERT INTO embeddingtombstone (embedding_id, kind, model_id, variant) "
              "VALUES (OLD.id, OLD.kind, OLD.model_id, OLD.variant)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE FUNCTION embedding_tombstone() RETURNS trigger LANGUAGE plpgsql AS "
                   f"$$ BEGIN {insert}; RETURN OLD; END $$")
        op.execute("CREATE TRIGGER embedding_tombstone AFTER DELETE ON embedding "
                   "FOR EACH ROW EXECUTE FUNCTION embedding_tombstone()")
    else:
        op.execute(f"CREATE TRIGGER embedding_tombstone AFTER DELETE ON embedding BEGIN {insert}; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS embedding_tombstone ON embedding")
        op.execute("DROP FUNCTION IF EXISTS embedding_tombstone()")
    else:
        op.execute("DROP TRIGGER IF EXISTS embedding_tombstone")
    op.drop_table("matchsetting")
    with op.batch_alter_table("embeddingtombstone", schema=None) as batch_op:
        batch_op.drop_index("ix_embeddingtombstone_lookup")
    op.drop_table("embeddingtombstone")
