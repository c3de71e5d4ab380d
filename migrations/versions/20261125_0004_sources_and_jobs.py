"""sources and jobs: archived copies, passage pages, background jobs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 14:30:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0004"
down_revision: Union[str, None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_SOURCE_COLUMNS = (
    ("author", sqlmodel.sql.sqltypes.AutoString(length=300)),
    ("published_at", sa.Date()),
    ("fetched_at", sa.DateTime(timezone=True)),
    ("fetched_url", sqlmodel.sql.sqltypes.AutoString(length=2000)),
    ("filename", sqlmodel.sql.sqltypes.AutoString(length=255)),
    ("content_type", sqlmodel.sql.sqltypes.AutoString(length=100)),
    ("content_sha256", sqlmodel.sql.sqltypes.AutoString(length=64)),
)


def upgrade() -> None:
    with op.batch_alter_table("sourcedocument", schema=None) as batch_op:
        for name, type_ in _SOURCE_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
    with op.batch_alter_table("passage", schema=None) as batch_op:
        batch_op.add_column(sa.Column("page", sa.Integer(), nullable=True))

    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("message", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("input_data", sa.LargeBinary(), nullable=True),
        sa.Column("result_kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("result_id", sa.Integer(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_job_created_by_id"), ["created_by_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_job_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_created_at"))
        batch_op.drop_index(batch_op.f("ix_job_created_by_id"))
        batch_op.drop_index(batch_op.f("ix_job_status"))
    op.drop_table("job")
    with op.batch_alter_table("passage", schema=None) as batch_op:
        batch_op.drop_column("page")
    with op.batch_alter_table("sourcedocument", schema=None) as batch_op:
        for name, _type in reversed(_SOURCE_COLUMNS):
            batch_op.drop_column(name)
