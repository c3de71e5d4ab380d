"""claim rewrites: what the standalone wording changed, and whether a checker accepted it

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 17:30:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import factcheck.types

revision: str = "0011"
down_revision: Union[str, None] = "0010"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("claim") as batch:
        # Every substitution the standalone wording makes (words, replacement, kind,
        # confidence, where the referent is named); existing claims have none recorded.
        batch.add_column(sa.Column("rewrites", factcheck.types.JSONList(), nullable=False, server_default="[]"))
        # proposed (rewrites not yet reviewed), accepted, edited, or as_written (no rewrites).
        batch.add_column(sa.Column("wording_status", sa.String(length=20), nullable=False,
                                   server_default="as_written"))
    # The defaults only fill existing rows; new rows get theirs from the application.
    with op.batch_alter_table("claim") as batch:
        batch.alter_column("rewrites", server_default=None)
        batch.alter_column("wording_status", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("claim") as batch:
        batch.drop_column("wording_status")
        batch.drop_column("rewrites")
