"""the panel rules on countries (the coordinator's or the whole consortium's, soft or hard) and on the share of
each gender (off, soft or hard, with its target share); the proposals' keywords, matched against evaluators

Revision ID: 9d3b6e2f4a17
Revises: 3b8d6f1e4a27
Create Date: 2026-12-02 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9d3b6e2f4a17'
down_revision = '3b8d6f1e4a27'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('country_conflict_scope', sa.Enum('coordinator', 'consortium',
                                                                        name='countryscope', native_enum=False,
                                                                        length=12),
                                      nullable=False, server_default='coordinator'))
        batch_op.add_column(sa.Column('country_conflict_strength', sa.Enum('off', 'soft', 'hard', name='rulestrength',
                                                                           native_enum=False, length=4),
                                      nullable=False, server_default='hard'))
        batch_op.add_column(sa.Column('gender_rule', sa.Enum('off', 'soft', 'hard', name='rulestrength',
                                                             native_enum=False, length=4),
                                      nullable=False, server_default='off'))
        batch_op.add_column(sa.Column('gender_target', sa.Integer(), nullable=False, server_default='40'))
        batch_op.create_check_constraint(op.f('ck_calls_gender_target_share'),
                                         'gender_target >= 0 AND gender_target <= 50')
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('keywords', sa.JSON(), nullable=False, server_default='[]'))


def downgrade():
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_column('keywords')
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_calls_gender_target_share'), type_='check')
        batch_op.drop_column('gender_target')
        batch_op.drop_column('gender_rule')
        batch_op.drop_column('country_conflict_strength')
        batch_op.drop_column('country_conflict_scope')
