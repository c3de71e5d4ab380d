"""versioned records: optimistic concurrency on every editable record, and the text of every verdict save

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 17:30:00

Each editable record gets a version that every change raises: a write that
names an older version is refused (409) instead of overwriting what someone
else saved in between. ``claim.version`` counts edits of the wording,
claimant, priority and due date; ``evidence.version``, ``match.version``
(decisions) and ``matchsetting.version`` their rows' changes. A verdict
already has a ``version`` (the published version it becomes), so its token is
``verdict.revision``: counted per claim over all its verdict rows, raised by
every save and by publication.

``verdictrevision`` keeps the full text of every save of a verdict (rating,
summary, explanation, author, time), so a draft saved over is never lost.
Existing verdicts get one revision each, numbered by their version.
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0009"
down_revision: Union[str, None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_VERSIONED = ("claim", "evidence", "match", "matchsetting")


def upgrade() -> None:
    for table in _VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("verdict", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
    # Versions increase per claim, so they already order a claim's verdict rows.
    op.execute("UPDATE verdict SET revision = version")

    op.create_table(
        "verdictrevision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("verdict_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("rating", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("rating_value", sa.Integer(), nullable=False),
        sa.Column("summary", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("explanation", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["claim_id"], ["claim.id"]),
        sa.ForeignKeyConstraint(["verdict_id"], ["verdict.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("claim_id", "revision", name="uq_verdictrevision_revision"),
    )
    with op.batch_alter_table("verdictrevision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_verdictrevision_claim_id"), ["claim_id"], unique=False)
    op.execute(
        "INSERT INTO verdictrevision (claim_id, verdict_id, version, revision, rating, rating_value, summary, "
        "explanation, author_id, created_at) "
        "SELECT claim_id, id, version, revision, rating, rating_value, summary, explanation, author_id, updated_at "
        "FROM verdict")


def downgrade() -> None:
    with op.batch_alter_table("verdictrevision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verdictrevision_claim_id"))
    op.drop_table("verdictrevision")
    with op.batch_alter_table("verdict", schema=None) as batch_op:
        batch_op.drop_column("revision")
    for table in reversed(_VERSIONED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("version")
