"""issue 11 (production): exports in the database, worker passes, erasure journal

Revision ID: 0007_operations
Revises: 0006_trust
Create Date: 2026-11-29 03:00:00.000000

Reserved in the chain so features can land in any order; a revision with nothing to do
upgrades and downgrades as a no-op.
"""
from alembic import op  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0007_operations'
down_revision = '0006_trust'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
