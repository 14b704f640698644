"""issue 14: notification themes, paperless notices and their history

Revision ID: 0008_preferences
Revises: 0007_operations
Create Date: 2026-11-29 03:00:00.000000

Reserved in the chain so features can land in any order; a revision with nothing to do
upgrades and downgrades as a no-op.
"""
from alembic import op  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0008_preferences'
down_revision = '0007_operations'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
