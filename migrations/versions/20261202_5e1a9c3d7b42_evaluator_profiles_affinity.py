"""evaluator profiles (nationality, gender, expertise keywords and statement), why each evaluator was chosen, and
the panel rule of one evaluator per nationality (off, soft or hard)

Revision ID: 5e1a9c3d7b42
Revises: 7c41d9e0b2a5
Create Date: 2026-12-02 03:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1a9c3d7b42'
down_revision = '7c41d9e0b2a5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nationality_rule', sa.Enum('off', 'soft', 'hard', name='rulestrength',
                                                                  native_enum=False, length=4),
                                      nullable=False, server_default='off'))
    with op.batch_alter_table('pool_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nationality', sa.String(length=2), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('gender', sa.Enum('woman', 'man', 'another', 'prefer_not_to_say',
                                                        name='gender', native_enum=False, length=20),
                                      nullable=True))
        batch_op.add_column(sa.Column('expertise_keywords', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('expertise_statement', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('affinity', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('shared_terms', sa.JSON(), nullable=False, server_default='[]'))


def downgrade():
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_column('shared_terms')
        batch_op.drop_column('affinity')
    with op.batch_alter_table('pool_members', schema=None) as batch_op:
        batch_op.drop_column('expertise_statement')
        batch_op.drop_column('expertise_keywords')
        batch_op.drop_column('gender')
        batch_op.drop_column('nationality')
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_column('nationality_rule')
