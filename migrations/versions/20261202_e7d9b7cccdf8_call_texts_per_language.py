"""a call's own texts per language: its title, description and criteria's names and descriptions in French and
German (English stays in the existing columns)

Revision ID: e7d9b7cccdf8
Revises: 7c3e9a41b2d8
Create Date: 2026-12-02 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7d9b7cccdf8'
down_revision = '7c3e9a41b2d8'
branch_labels = None
depends_on = None


def upgrade():
    # Every existing call reads as before: no text given in another language, the English everywhere.
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('texts', sa.JSON(), nullable=False, server_default='{}'))
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.alter_column('texts', server_default=None)


def downgrade():
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_column('texts')
