"""users.language: the language a person chose for pages, e-mails and letters (en, fr, de; none: not chosen)

Revision ID: c4a7e19d2b60
Revises: 5e2f7a9c1d34
Create Date: 2026-12-02 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4a7e19d2b60'
down_revision = '5e2f7a9c1d34'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=5), nullable=True))


def downgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('language')
