"""calls: the life cycle's stored decisions (published_at, archived_at) and the letters' texts of a call

Revision ID: a13c0f5e7b21
Revises: b5e2c7d41f93
Create Date: 2026-12-02 03:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a13c0f5e7b21'
down_revision = 'b5e2c7d41f93'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('letter_contact', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('grant_preparation_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('published_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(
            'grant_preparation_days_positive', 'grant_preparation_days IS NULL OR grant_preparation_days >= 1')
    # Every call that exists was public before calls had a life cycle: it stays published from its creation.
    op.execute("UPDATE calls SET published_at = created_at")
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.alter_column('letter_contact', server_default=None)


def downgrade():
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_calls_grant_preparation_days_positive'), type_='check')
        batch_op.drop_column('archived_at')
        batch_op.drop_column('published_at')
        batch_op.drop_column('grant_preparation_days')
        batch_op.drop_column('letter_contact')
