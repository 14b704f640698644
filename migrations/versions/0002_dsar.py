"""Data-subject requests, their timeline, the digest runs and the mail outbox

Revision ID: 0002_dsar
Revises: 0001_initial
Create Date: 2026-11-26 09:08:16.199829

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0002_dsar'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dsar_digest_runs',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requests', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_dsar_digest_runs'))
    )
    op.create_table('dsar_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('full_name', sa.String(length=200), nullable=True),
    sa.Column('account_id', sa.String(length=128), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('locale', sa.String(length=2), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('first_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('extended', sa.Boolean(), nullable=False),
    sa.Column('extension_reason', sa.Text(), nullable=True),
    sa.Column('verify_nonce', sa.String(length=32), nullable=False),
    sa.Column('verification_method', sa.String(length=24), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminder_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rejection_ground', sa.String(length=24), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('export_url', sa.Text(), nullable=True),
    sa.Column('purge_id', sa.String(length=64), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("channel IN ('web', 'email', 'post', 'phone')", name=op.f('ck_dsar_requests_channel')),
    sa.CheckConstraint("locale IN ('fr', 'en')", name=op.f('ck_dsar_requests_locale')),
    sa.CheckConstraint("rejection_ground IS NULL OR rejection_ground IN ('manifestly_unfounded', 'excessive', 'identity_not_verified', 'no_data', 'legal_obligation', 'other')", name=op.f('ck_dsar_requests_rejection_ground')),
    sa.CheckConstraint("status IN ('awaiting_verification', 'verified', 'in_progress', 'completed', 'rejected', 'withdrawn')", name=op.f('ck_dsar_requests_status')),
    sa.CheckConstraint("type IS NULL OR type IN ('access', 'rectification', 'erasure', 'restriction', 'objection', 'portability')", name=op.f('ck_dsar_requests_type')),
    sa.CheckConstraint("verification_method IS NULL OR verification_method IN ('email_link', 'account_birth_date', 'document', 'in_person', 'other')", name=op.f('ck_dsar_requests_verification_method')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dsar_requests')),
    sa.UniqueConstraint('reference', name=op.f('uq_dsar_requests_reference'))
    )
    with op.batch_alter_table('dsar_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dsar_requests_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_dsar_requests_email_received', ['email', 'received_at'], unique=False)
        batch_op.create_index('ix_dsar_requests_status_due', ['status', 'due_at'], unique=False)

    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('to_address', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=True),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed')", name=op.f('ck_outbox_messages_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_messages_ref'), ['ref'], unique=False)
        batch_op.create_index('ix_outbox_messages_status_next', ['status', 'next_attempt_at'], unique=False)

    op.create_table('dsar_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('from_status', sa.String(length=24), nullable=True),
    sa.Column('to_status', sa.String(length=24), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['dsar_requests.id'], name=op.f('fk_dsar_events_request_id_dsar_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dsar_events'))
    )
    with op.batch_alter_table('dsar_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dsar_events_request_id'), ['request_id'], unique=False)


def downgrade():
    with op.batch_alter_table('dsar_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dsar_events_request_id'))

    op.drop_table('dsar_events')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_status_next')
        batch_op.drop_index(batch_op.f('ix_outbox_messages_ref'))

    op.drop_table('outbox_messages')
    with op.batch_alter_table('dsar_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_dsar_requests_status_due')
        batch_op.drop_index('ix_dsar_requests_email_received')
        batch_op.drop_index(batch_op.f('ix_dsar_requests_account_id'))

    op.drop_table('dsar_requests')
    op.drop_table('dsar_digest_runs')
