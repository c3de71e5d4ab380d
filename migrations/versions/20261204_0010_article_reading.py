"""article reading: canonical URL and a warning about incomplete text on articles and sources

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 17:30:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0010"
down_revision: Union[str, None] = "0009"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = ("article", "sourcedocument")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            # The address the page gives as its own (link rel=canonical, og:url), kept beside the one asked for.
            batch.add_column(sa.Column("canonical_url", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True))
            # Why the extracted text may be incomplete (e.g. "only 151 characters of text found"); shown to users.
            batch.add_column(sa.Column("text_warning", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("text_warning")
            batch.drop_column("canonical_url")
