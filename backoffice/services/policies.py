"""Cookie policies: the sites, and what changed between two versions."""
from __future__ import annotations

import dataclasses

from consent_service.extensions import db
from cookies.models import Site

SETTINGS = ("accept_validity_months", "refuse_validity_months", "implied_consent_on_continue")


def sites() -> list:
    return list(db.session.execute(db.select(Site).order_by(Site.key)).scalars())


def _flatten(value, prefix: str = "") -> dict:
    if isinstance(value, dict):
        flat = {}
        for key, inner in value.items():
            flat.update(_flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: value}


@dataclasses.dataclass
class Change:
    section: str  # categories, cookies, texts, settings
    item: str
    change: str   # added, removed, changed
    field: str | None = None
    before: object = None
    after: object = None


def _diff_keyed(section: str, key: str, old: list, new: list) -> list[Change]:
    before = {item[key]: item for item in old}
    after = {item[key]: item for item in new}
    changes = [Change(section, name, "removed") for name in before if name not in after]
    changes += [Change(section, name, "added") for name in after if name not in before]
    for name in before.keys() & after.keys():
        a, b = _flatten(before[name]), _flatten(after[name])
        for field in sorted(a.keys() | b.keys()):
            if a.get(field) != b.get(field):
                changes.append(Change(section, name, "changed", field, a.get(field), b.get(field)))
    return changes


def diff_policies(old: dict, new: dict) -> list[Change]:
    """What changed from the document ``old`` to ``new``: categories (by key), cookies (by
    name), texts (by locale and text) and settings, each added, removed or changed."""
    changes = _diff_keyed("categories", "key", old.get("categories", []), new.get("categories", []))
    changes += _diff_keyed("cookies", "name", old.get("cookies", []), new.get("cookies", []))
    a, b = _flatten(old.get("texts") or {}), _flatten(new.get("texts") or {})
    for field in sorted(a.keys() | b.keys()):
        if field not in b:
            changes.append(Change("texts", field, "removed", before=a[field]))
        elif field not in a:
            changes.append(Change("texts", field, "added", after=b[field]))
        elif a[field] != b[field]:
            changes.append(Change("texts", field, "changed", before=a[field], after=b[field]))
    for name in SETTINGS:
        if old.get(name) != new.get(name):
            changes.append(Change("settings", name, "changed", before=old.get(name), after=new.get(name)))
    order = {"categories": 0, "cookies": 1, "texts": 2, "settings": 3}
    changes.sort(key=lambda c: (order[c.section], c.item, c.field or ""))
    return changes

