"""evaluation review (redress): requests and the committee's decisions, the letters' first opening, the calls' periods

Revision ID: c9d4e2a7f318
Revises: c4a7e19d2b60
Create Date: 2026-12-02 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c9d4e2a7f318'
down_revision = 'c4a7e19d2b60'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('redress_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('redress_unopened_days', sa.Integer(), nullable=True))
        batch_op.create_check_constraint('redress_days_positive', 'redress_days IS NULL OR redress_days >= 1')
        batch_op.create_check_constraint(
            'redress_unopened_days_positive', 'redress_unopened_days IS NULL OR redress_unopened_days >= 1')
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('redress_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.Enum('award', 'reserve', 'rejection', 'ineligible', 'redress_reply', name='letterkind', native_enum=False, length=20), nullable=False),
    sa.Column('ground', sa.Enum('eligibility_check', 'evaluation_procedure', 'incoherence', name='redressground', native_enum=False, length=30), nullable=False),
    sa.Column('grounds_text', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('filed', 'rejected', name='redressstatus', native_enum=False, length=20), nullable=False),
    sa.Column('filed_by_id', sa.Integer(), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('window_closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('assessment', sa.Text(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('reply_letter_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_redress_requests_decided_by_id_users')),
    sa.ForeignKeyConstraint(['reply_letter_id'], ['letters.id'], name=op.f('fk_redress_requests_reply_letter_id_letters')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_redress_requests_call_id_calls')),
    sa.ForeignKeyConstraint(['filed_by_id'], ['users.id'], name=op.f('fk_redress_requests_filed_by_id_users')),
    sa.ForeignKeyConstraint(['letter_id'], ['letters.id'], name=op.f('fk_redress_requests_letter_id_letters')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_redress_requests_proposal_id_proposals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_redress_requests')),
    sa.UniqueConstraint('proposal_id', 'stage', name='uq_redress_requests_proposal_id_stage')
    )
    with op.batch_alter_table('redress_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_redress_requests_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_redress_requests_proposal_id'), ['proposal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_redress_requests_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('redress_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_redress_requests_status'))
        batch_op.drop_index(batch_op.f('ix_redress_requests_proposal_id'))
        batch_op.drop_index(batch_op.f('ix_redress_requests_call_id'))
    op.drop_table('redress_requests')
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_column('opened_at')
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_calls_redress_unopened_days_positive'), type_='check')
        batch_op.drop_constraint(op.f('ck_calls_redress_days_positive'), type_='check')
        batch_op.drop_column('redress_unopened_days')
        batch_op.drop_column('redress_days')
