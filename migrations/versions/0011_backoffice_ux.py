"""issue 12: DPO users disabled, second factor, mail and site changes

Revision ID: 0011_backoffice_ux
Revises: 0010_seals
Create Date: 2026-11-29 03:00:00.000000

Reserved in the chain so features can land in any order; a revision with nothing to do
upgrades and downgrades as a no-op.
"""
from alembic import op  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0011_backoffice_ux'
down_revision = '0010_seals'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
