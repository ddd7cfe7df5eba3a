"""calls: eligible organisation types, required and optional annex types, and the letters' redress wording

Revision ID: 778fdb010c25
Revises: 828b1c729641
Create Date: 2026-12-02 11:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '778fdb010c25'
down_revision = '828b1c729641'
branch_labels = None
depends_on = None


def upgrade():
    # Every existing call keeps what was hard-coded before: any organisation type, Part B required, letters of
    # support optional, the standard redress wording.
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_types', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('required_annexes', sa.JSON(), nullable=False, server_default='["part_b"]'))
        batch_op.add_column(sa.Column('optional_annexes', sa.JSON(), nullable=False,
                                      server_default='["support_letter"]'))
        batch_op.add_column(sa.Column('redress_wording', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('calls', schema=None) as batch_op:
        for name in ('organisation_types', 'required_annexes', 'optional_annexes', 'redress_wording'):
            batch_op.alter_column(name, server_default=None)


def downgrade():
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_column('redress_wording')
        batch_op.drop_column('optional_annexes')
        batch_op.drop_column('required_annexes')
        batch_op.drop_column('organisation_types')
