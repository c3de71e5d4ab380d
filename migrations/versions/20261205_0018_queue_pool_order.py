"""queue: an index in the unassigned pool's default order

Revision ID: 0018
Revises: 0014
Create Date: 2026-12-05 06:40:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: Union[str, None] = "0014"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # desk_queue._order's default ORDER BY, column for column, after the pool's two equality filters: the
    # first page of the pool becomes an index walk instead of a sort of every new claim.
    op.create_index("ix_claim_pool_order", "claim",
                    ["state", "assignee_id", sa.text("priority DESC"), sa.text("(due_date IS NULL)"), "due_date",
                     sa.text("checkworthiness DESC"), "id"])


def downgrade() -> None:
    op.drop_index("ix_claim_pool_order", table_name="claim")
