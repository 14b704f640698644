"""issue 10 (trust): pseudonym key, identity, one case for simultaneous duplicates, receipts

Revision ID: 0006_trust
Revises: 0005_dsar_closed_index
Create Date: 2026-11-29 03:00:00.000000

- ``service_secrets`` keeps the pseudonym key (the key of the keyed hashes standing for account
  ids). On a database that already holds such hashes (purge receipts, exports), they were made
  with the ``SECRET_KEY`` of the time: that key becomes the pseudonym key, so every old hash
  still matches after ``SECRET_KEY`` is rotated (docs/deployment.md, "Rotating SECRET_KEY").
- ``dsar_requests.email_confirmed_at`` (the address proved by the e-mailed link),
  ``dsar_requests.address_check`` (that address against the account's address on file) and
  ``dsar_requests.dedup_key`` (unique while a request awaits verification: one case for two
  simultaneous identical submissions).
- ``purge_steps.counted``: the subject's rows (or files) counted before a step first acts.
"""
import datetime as dt
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006_trust'
down_revision = '0005_dsar_closed_index'
branch_labels = None
depends_on = None


def upgrade():
    secrets_table = op.create_table(
        'service_secrets',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('value', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_service_secrets')),
    )
    with op.batch_alter_table('dsar_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('address_check', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('dedup_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_dsar_requests_dedup_key'), ['dedup_key'])
    with op.batch_alter_table('purge_steps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counted', sa.Integer(), nullable=True))
    _adopt_old_key(secrets_table)


def _adopt_old_key(secrets_table) -> None:
    """Existing keyed hashes were made with SECRET_KEY: keep that key as the pseudonym key
    (so PSEUDONYM_KEY must stay unset on such a database: docs/deployment.md)."""
    connection = op.get_bind()
    hashed = connection.execute(sa.text(
        "SELECT (SELECT COUNT(*) FROM purges WHERE subject_hash IS NOT NULL) "
        "+ (SELECT COUNT(*) FROM data_exports)")).scalar()
    if not hashed:  # no hash made yet: a key of its own from the start
        op.bulk_insert(secrets_table, [{"name": "pseudonym_key", "value": secrets.token_urlsafe(48),
                                        "created_at": dt.datetime.now(dt.UTC)}])
        return
    try:
        from flask import current_app

        old_key = current_app.config["SECRET_KEY"]
    except (RuntimeError, KeyError):
        raise RuntimeError("0006_trust must run through `flask db upgrade`, with the SECRET_KEY that made "
                           "the existing receipts (it becomes the pseudonym key)") from None
    op.bulk_insert(secrets_table, [{"name": "pseudonym_key", "value": old_key,
                                    "created_at": dt.datetime.now(dt.UTC)}])


def downgrade():
    with op.batch_alter_table('purge_steps', schema=None) as batch_op:
        batch_op.drop_column('counted')
    with op.batch_alter_table('dsar_requests', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_dsar_requests_dedup_key'), type_='unique')
        batch_op.drop_column('dedup_key')
        batch_op.drop_column('address_check')
        batch_op.drop_column('email_confirmed_at')
    op.drop_table('service_secrets')
