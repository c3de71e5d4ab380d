"""own checks in library: published checks as fact-checks, article duplicates, decisions as training pairs

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 17:30:00

- ``factcheck.own_claim_id``: a fact-check the newsroom published itself (the claim it came from);
  unique, so a claim is in the library at most once. Publishing adds the row, a correction updates
  it, unpublishing removes it (``services.own_checks``).
- ``article.text_sha256`` (hash of the normalised text): with the article's addresses, how an article
  already in the app is recognised on ingest; ``article.duplicate_of_id``: the earlier copy, when a
  user chose to ingest it again.
- ``match.decision_features``: the re-ranker features of a pair when a checker confirmed or rejected
  it, a training pair for ``factcheck train matcher --with-decisions``.
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0008"
down_revision: Union[str, None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("factcheck", schema=None) as batch_op:
        batch_op.add_column(sa.Column("own_claim_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_factcheck_own_claim_id", ["own_claim_id"], unique=True)
        batch_op.create_foreign_key("fk_factcheck_own_claim_id_claim", "claim", ["own_claim_id"], ["id"])
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column("duplicate_of_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_article_text_sha256", ["text_sha256"], unique=False)
        batch_op.create_index("ix_article_url", ["url"], unique=False)
        batch_op.create_foreign_key("fk_article_duplicate_of_id_article", "article", ["duplicate_of_id"], ["id"])
    with op.batch_alter_table("match", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision_features", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("match", schema=None) as batch_op:
        batch_op.drop_column("decision_features")
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_constraint("fk_article_duplicate_of_id_article", type_="foreignkey")
        batch_op.drop_index("ix_article_url")
        batch_op.drop_index("ix_article_text_sha256")
        batch_op.drop_column("duplicate_of_id")
        batch_op.drop_column("text_sha256")
    with op.batch_alter_table("factcheck", schema=None) as batch_op:
        batch_op.drop_constraint("fk_factcheck_own_claim_id_claim", type_="foreignkey")
        batch_op.drop_index("ix_factcheck_own_claim_id")
        batch_op.drop_column("own_claim_id")
