"""queue: indexes in the unassigned pool's default order and in due-date order

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
    # desk_queue._order's default ORDER BY, column for column, for the pool (new, unassigned): its first page
    # becomes an index walk instead of a sort of every new claim. PostgreSQL gets a partial index (it would not
    # treat "assignee_id IS NULL" as fixing the order of a (state, assignee_id, ...) index); SQLite, whose
    # planner prefers ix_claim_queue to a partial index here, the two filters as leading columns.
    order = [sa.text("priority DESC"), sa.text("(due_date IS NULL)"), "due_date", sa.text("checkworthiness DESC"), "id"]
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_claim_pool_order", "claim", order,
                        postgresql_where=sa.text("state = 'new' AND assignee_id IS NULL"))
    else:
        op.create_index("ix_claim_pool_order", "claim", ["state", "assignee_id", *order])
    # "By due date" sorts by due date, then priority *descending*, then id: 0014's (due_date, priority) made
    # the database sort each day's claims; this one is read in order and stops after a page.
    op.create_index("ix_claim_due_order", "claim", ["due_date", sa.text("priority DESC"), "id"])
    op.drop_index("ix_claim_due", table_name="claim")


def downgrade() -> None:
    op.create_index("ix_claim_due", "claim", ["due_date", "priority"])
    op.drop_index("ix_claim_due_order", table_name="claim")
    op.drop_index("ix_claim_pool_order", table_name="claim")
