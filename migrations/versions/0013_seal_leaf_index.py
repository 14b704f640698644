"""issue 17: the seal leaves' unique index by record time

``seal_leaves``' unique ``(kind, record_id)`` becomes ``(kind, recorded_at, record_id)``:
still one leaf per record (a consent record is its id and its time, the key of
``consent_records``), and leaves now go into the index in time order, at its right edge,
instead of at random places (the sealer's ``COPY`` of 1,000,000 leaves cost 2x for that index
alone). The sealer's search for unsealed records, verification and inclusion paths look a leaf
up by kind, time and id.

Revision ID: 0013_seal_leaf_index
Revises: 0012_banner_kit
Create Date: 2026-11-29 06:40:00.000000
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013_seal_leaf_index'
down_revision = '0012_banner_kit'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('seal_leaves', schema=None) as batch_op:
        batch_op.drop_constraint('uq_seal_leaves_kind_record', type_='unique')
        batch_op.create_unique_constraint('uq_seal_leaves_kind_time_record', ['kind', 'recorded_at', 'record_id'])


def downgrade():
    with op.batch_alter_table('seal_leaves', schema=None) as batch_op:
        batch_op.drop_constraint('uq_seal_leaves_kind_time_record', type_='unique')
        batch_op.create_unique_constraint('uq_seal_leaves_kind_record', ['kind', 'record_id'])
