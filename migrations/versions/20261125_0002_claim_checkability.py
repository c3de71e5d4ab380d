"""claim checkability

Adds ``claim.checkable``: False for predictions and opinions, which the queue's
pool hides by default. Existing claims were extracted before claim types
decided checkability, so they are backfilled from their type.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 14:30:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checkable", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.execute("UPDATE claim SET checkable = false WHERE claim_type IN ('prediction', 'opinion')")
    # The default lives in the model; the server default was only for existing rows.
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.alter_column("checkable", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.drop_column("checkable")
