"""Google Consent Mode v2 signals of a policy's categories (docs/banner.md, "Tag Manager and Consent Mode").

Each category of a policy carries ``consent_mode``: the signals it grants. A category published
without it gets the mapping the banner always applied: ``analytics`` → ``analytics_storage``;
``marketing``, ``advertising`` or ``ads`` (the first of them) → the three ``ad_*`` signals. A signal
follows one category at most, so that granting it never depends on two answers."""
from __future__ import annotations

SIGNALS = ("ad_storage", "ad_user_data", "ad_personalization", "analytics_storage", "functionality_storage",
           "personalization_storage", "security_storage")
# The signals every Consent Mode v2 page expects a value for, even when no category grants them.
V2_SIGNALS = ("analytics_storage", "ad_storage", "ad_user_data", "ad_personalization")
ADS = ["ad_storage", "ad_user_data", "ad_personalization"]
DEFAULTS = {"analytics": ["analytics_storage"], "marketing": ADS, "advertising": ADS, "ads": ADS}
# How long tags wait for the banner's update when consent-defaults.js set the defaults (ms).
WAIT_FOR_UPDATE_MS = 500


def with_defaults(categories: list[dict]) -> list[dict]:
    """The categories, each with its ``consent_mode``: as given, else the default mapping
    for its key when none of those signals is taken by another category."""
    taken = {signal for c in categories for signal in c.get("consent_mode") or ()}
    result = []
    for category in categories:
        if category.get("consent_mode") is None:
            default = [s for s in DEFAULTS.get(category["key"], []) if s not in taken]
            taken.update(default)
            category = {**category, "consent_mode": default}
        result.append(category)
    return result


def duplicated_signals(categories: list[dict]) -> list[str]:
    """Signals named by more than one category (a policy must not have any)."""
    seen: set[str] = set()
    twice: set[str] = set()
    for category in categories:
        for signal in category.get("consent_mode") or ():
            (twice if signal in seen else seen).add(signal)
    return sorted(twice)


def signal_owners(document: dict) -> dict[str, str | bool | None]:
    """What decides each signal: the optional category's key, ``True`` when a required category
    holds it (always granted), ``None`` when no category does (always denied)."""
    owners: dict[str, str | bool | None] = {signal: None for signal in V2_SIGNALS}
    for category in with_defaults(document["categories"]):
        for signal in category["consent_mode"]:
            owners[signal] = True if category["required"] else category["key"]
    return owners
