"""article archived copy: fetch time, final URL, file name, type and hash, as on sources

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 16:40:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0005"
down_revision: Union[str, None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The same columns migration 0004 gave ``sourcedocument``; all nullable, since
# articles ingested before this revision (and pasted ones) have no archived copy.
_ARTICLE_COLUMNS = (
    ("fetched_at", sa.DateTime(timezone=True)),
    ("fetched_url", sqlmodel.sql.sqltypes.AutoString(length=2000)),
    ("filename", sqlmodel.sql.sqltypes.AutoString(length=255)),
    ("content_type", sqlmodel.sql.sqltypes.AutoString(length=100)),
    ("content_sha256", sqlmodel.sql.sqltypes.AutoString(length=64)),
)


def upgrade() -> None:
    with op.batch_alter_table("article", schema=None) as batch_op:
        for name, type_ in _ARTICLE_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("article", schema=None) as batch_op:
        for name, _type in reversed(_ARTICLE_COLUMNS):
            batch_op.drop_column(name)
