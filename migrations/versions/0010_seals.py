"""issue 17: sealed consent proofs, banner bundles

Revision ID: 0010_seals
Revises: 0009_proof_partitions
Create Date: 2026-11-29 03:00:00.000000

Reserved in the chain so features can land in any order; a revision with nothing to do
upgrades and downgrades as a no-op.
"""
from alembic import op  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0010_seals'
down_revision = '0009_proof_partitions'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
