"""evaluation review upheld: the outcome the officer confirmed (funded from the budget left, on the reserve list, or
the decision stands), the run that applied it and when the request was closed

Revision ID: 828b1c729641
Revises: e4b7d2c91a05
Create Date: 2026-12-02 11:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '828b1c729641'
down_revision = 'e4b7d2c91a05'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('redress_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('outcome_run_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_redress_requests_outcome_run_id_selection_runs'),
                                    'selection_runs', ['outcome_run_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_redress_requests_closed_by_id_users'), 'users',
                                    ['closed_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('redress_requests', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_redress_requests_closed_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_redress_requests_outcome_run_id_selection_runs'),
                                 type_='foreignkey')
        batch_op.drop_column('closed_by_id')
        batch_op.drop_column('closed_at')
        batch_op.drop_column('outcome_run_id')
        batch_op.drop_column('outcome')
