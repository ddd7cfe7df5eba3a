"""users.language: the language a person chose for pages, e-mails and letters (en, fr, de; none: not chosen)

Revision ID: c4a7e19d2b60
Revises: 9d3b6e2f4a17
Create Date: 2026-12-02 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4a7e19d2b60'
down_revision = '9d3b6e2f4a17'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=5), nullable=True))


def downgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('language')
