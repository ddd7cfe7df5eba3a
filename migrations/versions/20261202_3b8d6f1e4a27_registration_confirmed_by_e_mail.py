"""registration confirmed by e-mail: when a user's address was confirmed, and the organisation a self-registered
applicant named, settled once it is

Revision ID: 3b8d6f1e4a27
Revises: 5e2f7a9c1d34
Create Date: 2026-12-02 07:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3b8d6f1e4a27'
down_revision = '5e2f7a9c1d34'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('registration_organisation_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('registration_country', sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column('registration_organisation_type', sa.Enum(
            'cluster_organisation', 'sme', 'large_company', 'university_or_research', 'public_authority',
            'business_support_organisation', 'other', name='organisationtype', native_enum=False, length=40),
            nullable=True))
    # Every account made before this revision counts as confirmed, since it was made.
    op.execute('UPDATE users SET email_confirmed_at = created_at')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('registration_organisation_type')
        batch_op.drop_column('registration_country')
        batch_op.drop_column('registration_organisation_name')
        batch_op.drop_column('email_confirmed_at')
