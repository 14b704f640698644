"""issue 10 (trust): pseudonym key, identity, one case for simultaneous duplicates, receipts

Revision ID: 0006_trust
Revises: 0005_dsar_closed_index
Create Date: 2026-11-29 03:00:00.000000

Reserved in the chain so features can land in any order; a revision with nothing to do
upgrades and downgrades as a no-op.
"""
from alembic import op  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0006_trust'
down_revision = '0005_dsar_closed_index'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
