"""issue 13: Consent Mode signals per policy category

Every stored policy version gets, on each category without one, the ``consent_mode`` list the
banner applied to it until now (analytics → analytics_storage; the first of marketing,
advertising, ads → the three ad_* signals), and its digest recomputed: the versions keep meaning
exactly what they meant, now written down. Downgrade leaves the lists (older code ignores them).

Revision ID: 0012_banner_kit
Revises: 0011_backoffice_ux
Create Date: 2026-11-29 03:00:00.000000
"""
import hashlib
import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012_banner_kit'
down_revision = '0011_backoffice_ux'
branch_labels = None
depends_on = None

# Frozen here (not imported from the application, which may change after this revision).
ADS = ["ad_storage", "ad_user_data", "ad_personalization"]
DEFAULTS = {"analytics": ["analytics_storage"], "marketing": ADS, "advertising": ADS, "ads": ADS}

policies = sa.table("policies", sa.column("id", sa.Integer), sa.column("document", sa.JSON),
                    sa.column("digest", sa.String))


def _with_defaults(categories):
    taken = {signal for c in categories for signal in c.get("consent_mode") or ()}
    result = []
    for category in categories:
        if category.get("consent_mode") is None:
            default = [s for s in DEFAULTS.get(category["key"], []) if s not in taken]
            taken.update(default)
            category = {**category, "consent_mode": default}
        result.append(category)
    return result


def upgrade():
    bind = op.get_bind()
    for row in bind.execute(sa.select(policies.c.id, policies.c.document)).all():
        document = row.document if isinstance(row.document, dict) else json.loads(row.document)
        categories = _with_defaults(document["categories"])
        if categories == document["categories"]:
            continue
        document = {**document, "categories": categories}
        canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        bind.execute(policies.update().where(policies.c.id == row.id)
                     .values(document=document, digest=hashlib.sha256(canonical.encode()).hexdigest()))


def downgrade():
    pass
