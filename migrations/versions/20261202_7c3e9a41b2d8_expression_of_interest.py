"""calls for expression of interest: a call's evaluation mode (experts or the officer's assessment) and the
officer's assessments

Revision ID: 7c3e9a41b2d8
Revises: 778fdb010c25
Create Date: 2026-12-02 11:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c3e9a41b2d8'
down_revision = '778fdb010c25'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('evaluation_mode', sa.Enum('experts', 'assessment', name='evaluationmode',
                                                                 native_enum=False, length=12),
                                      server_default='experts', nullable=False))
    op.create_table(
        'assessments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('proposal_id', sa.Integer(), nullable=False),
        sa.Column('assessor_id', sa.Integer(), nullable=False),
        sa.Column('verdict', sa.Enum('suitable', 'not_suitable', name='verdict', native_enum=False, length=12),
                  nullable=False),
        sa.Column('fit', sa.Integer(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('fit >= 1 AND fit <= 5', name=op.f('ck_assessments_fit_within_scale')),
        sa.ForeignKeyConstraint(['assessor_id'], ['users.id'], name=op.f('fk_assessments_assessor_id_users')),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_assessments_proposal_id_proposals'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assessments')),
        sa.UniqueConstraint('proposal_id', name='uq_assessments_proposal_id'),
    )


def downgrade():
    op.drop_table('assessments')
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_column('evaluation_mode')
