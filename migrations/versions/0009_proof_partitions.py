"""issue 15: consent proofs partitioned by month on PostgreSQL

Revision ID: 0009_proof_partitions
Revises: 0008_preferences
Create Date: 2026-11-29 03:00:00.000000

On PostgreSQL, ``consent_records`` becomes a table partitioned by range of ``recorded_at``
(one partition per UTC month, plus a default one), and its primary key becomes
``(consent_id, recorded_at)`` (a partitioned table's keys include the partition key). An
existing table is converted: the months its rows cover and the next three get a partition,
and the rows are copied over in this transaction (allow about a minute per ten million
proofs; the table is locked meanwhile). SQLite keeps its plain table.
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009_proof_partitions'
down_revision = '0008_preferences'
branch_labels = None
depends_on = None

TABLE = "consent_records"
OLD = "consent_records_unpartitioned"
INDEXES = (("ix_consent_records_visitor_recorded", "visitor_id, recorded_at"),
           ("ix_consent_records_recorded_at", "recorded_at"))
AHEAD = 3


def _next(month):
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _set_aside(bind):
    """Rename the table and free the names of its key and indexes."""
    bind.execute(sa.text(f'ALTER TABLE "{TABLE}" RENAME TO "{OLD}"'))
    bind.execute(sa.text(f'ALTER TABLE "{OLD}" DROP CONSTRAINT "pk_{TABLE}"'))
    for name, _ in INDEXES:
        bind.execute(sa.text(f'DROP INDEX IF EXISTS "{name}"'))


def _indexes(bind):
    for name, columns in INDEXES:
        bind.execute(sa.text(f'CREATE INDEX "{name}" ON "{TABLE}" ({columns})'))


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    _set_aside(bind)
    bind.execute(sa.text(f'CREATE TABLE "{TABLE}" (LIKE "{OLD}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS) '
                         'PARTITION BY RANGE (recorded_at)'))
    bind.execute(sa.text(f'ALTER TABLE "{TABLE}" ADD CONSTRAINT "pk_{TABLE}" PRIMARY KEY (consent_id, recorded_at)'))
    _indexes(bind)
    bind.execute(sa.text(f'CREATE TABLE "{TABLE}_default" PARTITION OF "{TABLE}" DEFAULT'))
    today = dt.datetime.now(dt.UTC).date().replace(day=1)
    months = set(bind.execute(sa.text(
        f"SELECT DISTINCT date_trunc('month', recorded_at AT TIME ZONE 'UTC')::date FROM \"{OLD}\"")).scalars())
    month = today
    for _ in range(AHEAD + 1):
        months.add(month)
        month = _next(month)
    for month in sorted(months):
        bind.execute(sa.text(
            f'CREATE TABLE "{TABLE}_y{month.year:04d}m{month.month:02d}" PARTITION OF "{TABLE}" '
            f"FOR VALUES FROM ('{month.isoformat()} 00:00:00+00') TO ('{_next(month).isoformat()} 00:00:00+00')"))
    bind.execute(sa.text(f'INSERT INTO "{TABLE}" SELECT * FROM "{OLD}"'))
    bind.execute(sa.text(f'DROP TABLE "{OLD}"'))


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    bind.execute(sa.text(f'ALTER TABLE "{TABLE}" RENAME TO "{OLD}"'))
    bind.execute(sa.text(f'ALTER INDEX "pk_{TABLE}" RENAME TO "pk_{OLD}"'))
    for name, _ in INDEXES:
        bind.execute(sa.text(f'ALTER INDEX "{name}" RENAME TO "{name}_unpartitioned"'))
    bind.execute(sa.text(f'CREATE TABLE "{TABLE}" (LIKE "{OLD}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)'))
    bind.execute(sa.text(f'ALTER TABLE "{TABLE}" ADD CONSTRAINT "pk_{TABLE}" PRIMARY KEY (consent_id)'))
    _indexes(bind)
    bind.execute(sa.text(f'INSERT INTO "{TABLE}" SELECT * FROM "{OLD}"'))
    bind.execute(sa.text(f'DROP TABLE "{OLD}"'))  # its partitions go with it
