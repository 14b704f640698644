"""DSAR retention: index the requests' closing time, read oldest first by the retention sweep

Revision ID: 0005_dsar_closed_index
Revises: 0004_backoffice
Create Date: 2026-11-26 12:40:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0005_dsar_closed_index'
down_revision = '0004_backoffice'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('dsar_requests', schema=None) as batch_op:
        batch_op.create_index('ix_dsar_requests_closed_at', ['closed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('dsar_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_dsar_requests_closed_at')
