"""issue 14: notification themes, paperless notices and their history

Revision ID: 0008_preferences
Revises: 0007_operations
Create Date: 2026-11-29 03:00:00.000000

The account's preferences (one row each) and the append-only history of every change; the
database itself refuses updates of the history (a trigger), deletes stay for purges.
"""
import sqlalchemy as sa
from alembic import op

from preferences.models import APPEND_ONLY_DDL

# revision identifiers, used by Alembic.
revision = '0008_preferences'
down_revision = '0007_operations'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'account_preferences',
        sa.Column('account_id', sa.String(length=128), nullable=False),
        sa.Column('themes', sa.JSON(), nullable=False),
        sa.Column('email', sa.Boolean(), nullable=False),
        sa.Column('direct_debit', sa.Boolean(), nullable=False),
        sa.Column('electronic_from', sa.Date(), nullable=True),
        sa.Column('paper_from', sa.Date(), nullable=True),
        sa.Column('last_electronic_on', sa.Date(), nullable=True),
        sa.Column('billing_anchor', sa.Date(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('account_id', name=op.f('pk_account_preferences')),
    )
    op.create_table(
        'preference_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.String(length=128), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=10), nullable=False),
        sa.Column('actor_name', sa.String(length=200), nullable=True),
        sa.Column('channel', sa.String(length=10), nullable=True),
        sa.Column('change', sa.String(length=20), nullable=False),
        sa.Column('asked', sa.JSON(), nullable=True),
        sa.Column('before', sa.JSON(), nullable=False),
        sa.Column('after', sa.JSON(), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=True),
        sa.CheckConstraint("actor IN ('portal', 'dpo', 'dsar')", name=op.f('ck_preference_changes_actor')),
        sa.CheckConstraint("change IN ('themes', 'email', 'direct_debit', 'paperless_start', 'paperless_end', "
                           "'objection')", name=op.f('ck_preference_changes_change')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_preference_changes')),
    )
    op.create_index('ix_preference_changes_account_id', 'preference_changes', ['account_id', 'id'], unique=False)
    op.create_index(op.f('ix_preference_changes_recorded_at'), 'preference_changes', ['recorded_at'], unique=False)
    for statement in APPEND_ONLY_DDL[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    op.execute('DROP TRIGGER IF EXISTS preference_changes_append_only' + (
        ' ON preference_changes' if op.get_bind().dialect.name == 'postgresql' else ''))
    op.drop_index(op.f('ix_preference_changes_recorded_at'), table_name='preference_changes')
    op.drop_index('ix_preference_changes_account_id', table_name='preference_changes')
    op.drop_table('preference_changes')
    op.drop_table('account_preferences')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS preference_changes_append_only()')
