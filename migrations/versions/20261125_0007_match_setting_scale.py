"""match setting scale: the score scale each library's thresholds were saved on, as a column

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 20:10:00

Until now the scale was recorded only in the audit log event of each change
(``match_settings_changed``, detail ``scale``) and looked up there on every
read. This revision stores it on the row: fact-check thresholds have always
been re-ranker probabilities (``hybrid-v1``); a passage row takes the scale of
its latest change event, and ``cosine`` (the older scale) when that event
names none.
"""
import json
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0007"
down_revision: Union[str, None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_CURRENT = "hybrid-v1"
_OLDER = {"passage": "cosine"}


def _scale_from_log(connection, library: str) -> str:
    if library not in _OLDER:
        return _CURRENT
    details = connection.execute(sa.text(
        "SELECT detail FROM event WHERE action = 'match_settings_changed' ORDER BY id DESC")).scalars()
    for detail in details:
        try:
            data = json.loads(detail or "{}")
        except ValueError:
            continue
        if data.get("library") == library:
            return data.get("scale") or _OLDER[library]
    return _OLDER[library]


def upgrade() -> None:
    with op.batch_alter_table("matchsetting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scale", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
    connection = op.get_bind()
    for row_id, library in connection.execute(sa.text("SELECT id, library FROM matchsetting")).all():
        connection.execute(sa.text("UPDATE matchsetting SET scale = :scale WHERE id = :id"),
                           {"scale": _scale_from_log(connection, library), "id": row_id})
    with op.batch_alter_table("matchsetting", schema=None) as batch_op:
        batch_op.alter_column("scale", existing_type=sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False)


def downgrade() -> None:
    # The audit log still holds each change's scale, which is where the previous revision reads it.
    with op.batch_alter_table("matchsetting", schema=None) as batch_op:
        batch_op.drop_column("scale")
