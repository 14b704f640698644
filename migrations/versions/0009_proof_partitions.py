"""issue 15: consent proofs partitioned by month on PostgreSQL

Revision ID: 0009_proof_partitions
Revises: 0008_preferences
Create Date: 2026-11-29 03:00:00.000000

Reserved in the chain so features can land in any order; a revision with nothing to do
upgrades and downgrades as a no-op.
"""
from alembic import op  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0009_proof_partitions'
down_revision = '0008_preferences'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
