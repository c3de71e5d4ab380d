"""desk (placeholder: filled in by the work that needs it, else removed)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 17:30:00
"""
from typing import Sequence, Union

import sqlalchemy as sa  # noqa: F401
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "0014"
down_revision: Union[str, None] = "0013"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
