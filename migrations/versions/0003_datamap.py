"""Data map: purges and their steps, lease ends, restriction and objections, access exports

Revision ID: 0003_datamap
Revises: 0002_dsar
Create Date: 2026-11-26 09:12:53.147118

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0003_datamap'
down_revision = '0002_dsar'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('account_leases',
    sa.Column('account_id', sa.String(length=128), nullable=False),
    sa.Column('lease_end', sa.Date(), nullable=False),
    sa.Column('purge_due_on', sa.Date(), nullable=False),
    sa.Column('purge_id', sa.String(length=32), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_account_leases'))
    )
    with op.batch_alter_table('account_leases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_leases_purge_due_on'), ['purge_due_on'], unique=False)

    op.create_table('account_processing',
    sa.Column('account_id', sa.String(length=128), nullable=False),
    sa.Column('restricted', sa.Boolean(), nullable=False),
    sa.Column('objections', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_account_processing'))
    )
    op.create_table('data_exports',
    sa.Column('export_id', sa.String(length=32), nullable=False),
    sa.Column('subject_hash', sa.String(length=64), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('export_id', name=op.f('pk_data_exports'))
    )
    with op.batch_alter_table('data_exports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_exports_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_exports_subject_hash'), ['subject_hash'], unique=False)

    op.create_table('purges',
    sa.Column('purge_id', sa.String(length=32), nullable=False),
    sa.Column('trigger', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('subject_hash', sa.String(length=64), nullable=True),
    sa.Column('account_id', sa.String(length=128), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'running', 'done', 'failed')", name=op.f('ck_purges_status')),
    sa.CheckConstraint("trigger IN ('account_deleted', 'lease_ended', 'dsar_erasure', 'retention')", name=op.f('ck_purges_trigger')),
    sa.PrimaryKeyConstraint('purge_id', name=op.f('pk_purges')),
    sa.UniqueConstraint('subject_hash', name=op.f('uq_purges_subject_hash'))
    )
    with op.batch_alter_table('purges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purges_status'), ['status'], unique=False)

    op.create_table('purge_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purge_id', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('store', sa.String(length=100), nullable=False),
    sa.Column('table_name', sa.String(length=100), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('legal_basis', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=200), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("action IN ('delete', 'anonymize', 'retain')", name=op.f('ck_purge_steps_action')),
    sa.CheckConstraint("kind IN ('sql', 'files', 'builtin')", name=op.f('ck_purge_steps_kind')),
    sa.CheckConstraint("status IN ('pending', 'running', 'done', 'failed')", name=op.f('ck_purge_steps_status')),
    sa.ForeignKeyConstraint(['purge_id'], ['purges.purge_id'], name=op.f('fk_purge_steps_purge_id_purges'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purge_steps'))
    )
    with op.batch_alter_table('purge_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purge_steps_purge_id'), ['purge_id'], unique=False)
        batch_op.create_index('ix_purge_steps_status_next', ['status', 'next_attempt_at'], unique=False)



def downgrade():
    with op.batch_alter_table('purge_steps', schema=None) as batch_op:
        batch_op.drop_index('ix_purge_steps_status_next')
        batch_op.drop_index(batch_op.f('ix_purge_steps_purge_id'))

    op.drop_table('purge_steps')
    with op.batch_alter_table('purges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purges_status'))

    op.drop_table('purges')
    with op.batch_alter_table('data_exports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_exports_subject_hash'))
        batch_op.drop_index(batch_op.f('ix_data_exports_expires_at'))

    op.drop_table('data_exports')
    op.drop_table('account_processing')
    with op.batch_alter_table('account_leases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_leases_purge_due_on'))

    op.drop_table('account_leases')
