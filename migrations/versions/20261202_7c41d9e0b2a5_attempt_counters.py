"""attempt_counters: log-in attempts counted atomically before the password is checked (without Redis)

Revision ID: 7c41d9e0b2a5
Revises: de78a52aacf8
Create Date: 2026-12-02 02:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c41d9e0b2a5'
down_revision = 'de78a52aacf8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'attempt_counters',
        sa.Column('key', sa.String(length=100), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('expires_at', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_attempt_counters')),
    )


def downgrade():
    op.drop_table('attempt_counters')
