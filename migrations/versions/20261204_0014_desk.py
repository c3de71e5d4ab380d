"""desk: notifications, notification preferences, and indexes for the desk's queue

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-04 17:30:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0014"
down_revision: Union[str, None] = "0011"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("message", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("dedupe_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("in_app", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("email_status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("email_error", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["claim_id"], ["claim.id"]),
        sa.ForeignKeyConstraint(["actor_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "dedupe_key", name="uq_notification_dedupe"),
    )
    op.create_index("ix_notification_inbox", "notification", ["user_id", "read_at", "id"])
    op.create_index("ix_notification_email_status", "notification", ["email_status"])
    op.create_table(
        "notificationpreference",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("in_app", sa.Boolean(), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "kind", name="uq_notificationpreference_kind"),
    )
    op.create_index("ix_notificationpreference_user_id", "notificationpreference", ["user_id"])
    op.create_index("ix_claim_assignee_state", "claim", ["assignee_id", "state"])
    op.create_index("ix_claim_state_due", "claim", ["state", "due_date"])
    op.create_index("ix_claim_article_state", "claim", ["article_id", "state"])
    op.create_index("ix_claim_due", "claim", ["due_date", "priority"])


def downgrade() -> None:
    op.drop_index("ix_claim_due", table_name="claim")
    op.drop_index("ix_claim_article_state", table_name="claim")
    op.drop_index("ix_claim_state_due", table_name="claim")
    op.drop_index("ix_claim_assignee_state", table_name="claim")
    op.drop_index("ix_notificationpreference_user_id", table_name="notificationpreference")
    op.drop_table("notificationpreference")
    op.drop_index("ix_notification_email_status", table_name="notification")
    op.drop_index("ix_notification_inbox", table_name="notification")
    op.drop_table("notification")
