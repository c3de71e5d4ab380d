"""reduced vectors: embedding.reduced and vectorprojection, for PostgreSQL's HNSW over principal components

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 20:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from factcheck.types import EmbeddingVector

revision: str = "0006"
down_revision: Union[str, None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_UNREDUCED = "reduced IS NULL AND kind <> 'claim'"


def upgrade() -> None:
    # A plain ADD COLUMN, not a batch copy: on SQLite a copied table would lose its tombstone trigger.
    op.add_column("embedding", sa.Column("reduced", EmbeddingVector(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        # A 384-d vector with its 128-d projection makes a ~2.1 kB row, just past PostgreSQL's default
        # 2 kB toast target: the full vector would be moved out of line, and re-scoring a search's
        # candidates would read it back from the TOAST table (~1 ms more per search at 1M rows).
        # Rows of up to a page stay inline.
        op.execute("ALTER TABLE embedding SET (toast_tuple_target = 8160)")
    # Rows a writer stored before their library had a projection are searched exactly (few, and
    # found through this index) until rebuild-index fills them in.
    op.create_index("ix_embedding_unreduced", "embedding", ["kind", "model_id", "variant"],
                    postgresql_where=sa.text(_UNREDUCED), sqlite_where=sa.text(_UNREDUCED))
    op.create_table(
        "vectorprojection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("model_id", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("variant", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("reduced_dim", sa.Integer(), nullable=False),
        sa.Column("mean", sa.LargeBinary(), nullable=False),
        sa.Column("components", sa.LargeBinary(), nullable=False),
        sa.Column("fitted_on", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "model_id", "variant", name="uq_vectorprojection_library"),
    )


def downgrade() -> None:
    op.drop_table("vectorprojection")
    op.drop_index("ix_embedding_unreduced", table_name="embedding")
    op.drop_column("embedding", "reduced")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE embedding RESET (toast_tuple_target)")
