"""evidence archive: the fetched copy of each URL given as evidence (text, SHA-256, status, failure)

Revision ID: 0015
Revises: 0018
Create Date: 2026-12-05 06:21:17
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes
import factcheck.types


revision: str = '0015'
down_revision: Union[str, None] = '0018'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('evidencearchive',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evidence_id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', factcheck.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('fetched_at', factcheck.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('final_url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('http_status', sa.Integer(), nullable=True),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('content_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('text_warning', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('failure', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.ForeignKeyConstraint(['claim_id'], ['claim.id'], ),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidence.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], ),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('evidencearchive', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidencearchive_claim_id'), ['claim_id'], unique=False)
        batch_op.create_index('ix_evidencearchive_evidence', ['evidence_id', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('evidencearchive', schema=None) as batch_op:
        batch_op.drop_index('ix_evidencearchive_evidence')
        batch_op.drop_index(batch_op.f('ix_evidencearchive_claim_id'))

    op.drop_table('evidencearchive')
