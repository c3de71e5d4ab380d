"""queue: an index that counts the unassigned pool without reading claims

Revision ID: 0019
Revises: 0015
Create Date: 2026-12-05 09:20:00
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0019"
down_revision: Union[str, None] = "0015"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Every queue page counts the pool for its tab (new, unassigned, checkable; up to 1,001 claims). No index
    # held "checkable", so the count read each of those claims' rows: 3.7 ms of every queue page at 100k claims
    # on SQLite. With all three columns in one index the count never leaves it (0.1 ms).
    op.create_index("ix_claim_pool_count", "claim", ["state", "assignee_id", "checkable"])


def downgrade() -> None:
    op.drop_index("ix_claim_pool_count", table_name="claim")
