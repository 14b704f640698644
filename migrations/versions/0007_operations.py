"""issue 11 (production): exports in the database, worker passes and job schedules

Revision ID: 0007_operations
Revises: 0006_trust
Create Date: 2026-11-29 03:00:00.000000

Exports move from one host's instance folder into the database (in chunks), so any process
serves them and any sweep or purge removes them; the worker records its passes and when each
scheduled job last ran.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007_operations'
down_revision = '0006_trust'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'data_export_chunks',
        sa.Column('export_id', sa.String(length=32), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['export_id'], ['data_exports.export_id'],
                                name=op.f('fk_data_export_chunks_export_id_data_exports'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('export_id', 'seq', name=op.f('pk_data_export_chunks')),
    )
    op.create_table(
        'worker_jobs',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('last_started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_count', sa.Integer(), nullable=True),
        sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_worker_jobs')),
    )
    op.create_table(
        'worker_processes',
        sa.Column('worker_id', sa.String(length=96), nullable=False),
        sa.Column('hostname', sa.String(length=255), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_pass_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('passes', sa.Integer(), nullable=False),
        sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('worker_id', name=op.f('pk_worker_processes')),
    )
    with op.batch_alter_table('worker_processes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_worker_processes_last_pass_at'), ['last_pass_at'], unique=False)


def downgrade():
    with op.batch_alter_table('worker_processes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_worker_processes_last_pass_at'))
    op.drop_table('worker_processes')
    op.drop_table('worker_jobs')
    op.drop_table('data_export_chunks')
