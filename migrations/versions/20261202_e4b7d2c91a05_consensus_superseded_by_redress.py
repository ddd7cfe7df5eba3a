"""evaluation review upheld: a consensus superseded by the re-evaluation stays on record; one in force per proposal;
the request's re-run

Revision ID: e4b7d2c91a05
Revises: c9d4e2a7f318
Create Date: 2026-12-02 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4b7d2c91a05'
down_revision = 'c9d4e2a7f318'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('consensus_reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint('uq_consensus_reports_proposal_id', type_='unique')
        batch_op.create_index('uq_consensus_reports_proposal_id_current', ['proposal_id'], unique=True,
                              sqlite_where=sa.text('superseded_at IS NULL'),
                              postgresql_where=sa.text('superseded_at IS NULL'))
    with op.batch_alter_table('redress_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rerun_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_redress_requests_rerun_id_selection_runs'), 'selection_runs',
                                    ['rerun_id'], ['id'])


def downgrade():
    with op.batch_alter_table('redress_requests', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_redress_requests_rerun_id_selection_runs'), type_='foreignkey')
        batch_op.drop_column('rerun_id')
    # Only one consensus per proposal fits the old schema: the superseded ones go.
    op.execute('DELETE FROM consensus_scores WHERE report_id IN '
               '(SELECT id FROM consensus_reports WHERE superseded_at IS NOT NULL)')
    op.execute('DELETE FROM consensus_reports WHERE superseded_at IS NOT NULL')
    with op.batch_alter_table('consensus_reports', schema=None) as batch_op:
        batch_op.drop_index('uq_consensus_reports_proposal_id_current')
        batch_op.create_unique_constraint('uq_consensus_reports_proposal_id', ['proposal_id'])
        batch_op.drop_column('superseded_at')
