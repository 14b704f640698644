"""Back-office: DPO and auditor users (scrypt hashes, lock), the audit trail of sign-ins and look-ups

Revision ID: 0004_backoffice
Revises: 0003_datamap
Create Date: 2026-11-26 09:47:06.163226

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0004_backoffice'
down_revision = '0003_datamap'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('backoffice_audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('target', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_backoffice_audit'))
    )
    with op.batch_alter_table('backoffice_audit', schema=None) as batch_op:
        batch_op.create_index('ix_backoffice_audit_at', ['at'], unique=False)

    op.create_table('backoffice_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_login', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('dpo', 'auditor')", name=op.f('ck_backoffice_users_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_backoffice_users')),
    sa.UniqueConstraint('email', name=op.f('uq_backoffice_users_email'))
    )


def downgrade():
    op.drop_table('backoffice_users')
    with op.batch_alter_table('backoffice_audit', schema=None) as batch_op:
        batch_op.drop_index('ix_backoffice_audit_at')

    op.drop_table('backoffice_audit')
