"""issue 17: sealed consent proofs, banner bundles

Revision ID: 0010_seals
Revises: 0009_proof_partitions
Create Date: 2026-11-29 03:00:00.000000

Seals, their leaves (no foreign key to consent_records, partitioned on PostgreSQL), the
sealer's lock row, erasure notes, verification runs, the banner bundles served, and each
proof's banner_hash.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010_seals'
down_revision = '0009_proof_partitions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('seals',
    sa.Column('number', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('previous_hash', sa.String(length=64), nullable=False),
    sa.Column('merkle_root', sa.String(length=64), nullable=False),
    sa.Column('leaf_count', sa.Integer(), nullable=False),
    sa.Column('sealed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('number', name=op.f('pk_seals')),
    sa.UniqueConstraint('hash', name=op.f('uq_seals_hash'))
    )
    op.create_index(op.f('ix_seals_sealed_at'), 'seals', ['sealed_at'], unique=False)
    op.create_table('seal_leaves',
    sa.Column('seal_number', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('position', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('record_id', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seal_number', 'position', name=op.f('pk_seal_leaves')),
    sa.UniqueConstraint('kind', 'record_id', name='uq_seal_leaves_kind_record')
    )
    op.create_table('seal_state',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('scanned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('locked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seal_state'))
    )
    op.create_table('proof_erasures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('record_id', sa.String(length=64), nullable=True),
    sa.Column('recorded_before', sa.DateTime(timezone=True), nullable=True),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proof_erasures'))
    )
    op.create_index('ix_proof_erasures_kind_record', 'proof_erasures', ['kind', 'record_id'], unique=False)
    op.create_table('proof_verifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('since', sa.Date(), nullable=True),
    sa.Column('requested_by', sa.String(length=254), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('seals', sa.Integer(), nullable=False),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.Column('problem', sa.String(length=32), nullable=True),
    sa.Column('subject', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proof_verifications'))
    )
    op.create_index(op.f('ix_proof_verifications_status'), 'proof_verifications', ['status'], unique=False)
    op.create_table('banner_bundles',
    sa.Column('banner_hash', sa.String(length=64), nullable=False),
    sa.Column('bundle_id', sa.String(length=16), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('first_served_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_served_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('banner_hash', name=op.f('pk_banner_bundles')),
    sa.UniqueConstraint('bundle_id', name=op.f('uq_banner_bundles_bundle_id'))
    )
    # On PostgreSQL consent_records may be partitioned: ADD COLUMN reaches every partition.
    op.add_column('consent_records', sa.Column('banner_hash', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.drop_column('banner_hash')
    op.drop_table('banner_bundles')
    op.drop_index(op.f('ix_proof_verifications_status'), table_name='proof_verifications')
    op.drop_table('proof_verifications')
    op.drop_index('ix_proof_erasures_kind_record', table_name='proof_erasures')
    op.drop_table('proof_erasures')
    op.drop_table('seal_state')
    op.drop_table('seal_leaves')
    op.drop_index(op.f('ix_seals_sealed_at'), table_name='seals')
    op.drop_table('seals')
