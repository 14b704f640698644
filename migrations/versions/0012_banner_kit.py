"""issue 13: Consent Mode signals per policy category

Revision ID: 0012_banner_kit
Revises: 0011_backoffice_ux
Create Date: 2026-11-29 03:00:00.000000

Reserved in the chain so features can land in any order; a revision with nothing to do
upgrades and downgrades as a no-op.
"""
from alembic import op  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0012_banner_kit'
down_revision = '0011_backoffice_ux'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
