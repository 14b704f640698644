"""issue 12: DPO users disabled, second factor

Revision ID: 0011_backoffice_ux
Revises: 0010_seals
Create Date: 2026-11-29 03:00:00.000000

``backoffice_users.disabled_at`` (a disabled user cannot sign in) and ``totp_secret`` (the
enrolled second factor, TOTP).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011_backoffice_ux'
down_revision = '0010_seals'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("backoffice_users") as batch:
        batch.add_column(sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("backoffice_users") as batch:
        batch.drop_column("totp_secret")
        batch.drop_column("disabled_at")
