"""How the back-office names the service's code values, by kind, in French and English.

The DSAR kinds (type, status, channel, method, ground, locale) come from ``dsar.wording``, the
same words the public pages and the mails use. ``label(lang, kind, value)`` is exact; ``v`` in
the templates looks a code up in every kind (for codes that mean one thing only)."""
from __future__ import annotations

from consent_service import i18n
from datamap.wording import CONSENT_ACTIONS
from dsar.wording import LABELS as DSAR_LABELS
from dsar.wording import PURGE_STATUSES

_OWN: dict[str, dict[str, i18n.Words]] = {
    "fr": {
        "audit": {
            "signed_in": "connexion", "signed_out": "déconnexion", "signed_out_idle": "déconnexion après inactivité",
            "sign_in_failed": "échec de connexion", "sign_in_refused_locked": "connexion refusée (compte verrouillé)",
            "locked": "compte verrouillé", "proof_search": "recherche de preuves", "proof_viewed": "preuve consultée",
            "register_downloaded": "registre téléchargé", "proofs_verification": "vérification des preuves demandée",
            "mail_retried": "courrier renvoyé", "mail_viewed": "courrier consulté", "user_disabled": "compte désactivé",
            "password_reset": "mot de passe réinitialisé", "totp_enabled": "double authentification activée",
            "sign_in_refused_disabled": "connexion refusée (compte désactivé)",
            "statistics_viewed": "statistiques consultées", "records_downloaded": "registre des traitements téléchargé",
            "preferences_viewed": "préférences d'un compte consultées",
            "preferences_changed": "préférences d'un compte modifiées",
        },
        "mail_status": {"queued": "en attente d'envoi", "sending": "en cours d'envoi", "sent": "envoyé",
                        "failed": "échec d'envoi"},
        "consent_action": CONSENT_ACTIONS["fr"],
        "change": {"added": "ajouté", "removed": "supprimé", "changed": "modifié"},
        "section": {"categories": "catégories", "cookies": "cookies", "texts": "textes", "settings": "réglages"},
        "setting": {"accept_validity_months": "durée de validité d'une acceptation (mois)",
                    "refuse_validity_months": "durée de validité d'un refus (mois)",
                    "implied_consent_on_continue": "poursuivre la navigation vaut consentement"},
        "severity": {"error": "erreur", "warning": "avertissement"},
        "purge_status": PURGE_STATUSES["fr"],
        "trigger": {"account_deleted": "compte supprimé", "lease_ended": "fin de bail",
                    "dsar_erasure": "demande d'effacement", "retention": "durée de conservation échue"},
        "store_action": {"delete": "suppression", "anonymize": "anonymisation", "retain": "conservation"},
        "bool": {"True": "oui", "False": "non"},
    },
    "en": {
        "audit": {
            "signed_in": "signed in", "signed_out": "signed out", "signed_out_idle": "signed out after inactivity",
            "sign_in_failed": "sign-in failed", "sign_in_refused_locked": "sign-in refused (account locked)",
            "locked": "account locked", "proof_search": "proof search", "proof_viewed": "proof viewed",
            "register_downloaded": "register downloaded", "proofs_verification": "proof verification requested",
            "mail_retried": "mail sent again", "mail_viewed": "mail viewed", "user_disabled": "account disabled",
            "password_reset": "password reset", "totp_enabled": "two-factor sign-in turned on",
            "sign_in_refused_disabled": "sign-in refused (account disabled)",
            "statistics_viewed": "statistics viewed", "records_downloaded": "record of processing downloaded",
            "preferences_viewed": "account preferences viewed", "preferences_changed": "account preferences changed",
        },
        "mail_status": {"queued": "waiting to be sent", "sending": "being sent", "sent": "sent",
                        "failed": "sending failed"},
        "consent_action": CONSENT_ACTIONS["en"],
        "change": {"added": "added", "removed": "removed", "changed": "changed"},
        "section": {"categories": "categories", "cookies": "cookies", "texts": "texts", "settings": "settings"},
        "setting": {"accept_validity_months": "how long an acceptance lasts (months)",
                    "refuse_validity_months": "how long a refusal lasts (months)",
                    "implied_consent_on_continue": "browsing on counts as consent"},
        "severity": {"error": "error", "warning": "warning"},
        "purge_status": PURGE_STATUSES["en"],
        "trigger": {"account_deleted": "account deleted", "lease_ended": "lease ended",
                    "dsar_erasure": "erasure request", "retention": "retention period over"},
        "store_action": {"delete": "deleted", "anonymize": "anonymised", "retain": "kept"},
        "bool": {"True": "yes", "False": "no"},
    },
}


def label(lang: str, kind: str, value) -> str:
    """The word for ``value`` of ``kind`` (the code itself when unknown: data, not a code)."""
    if value is None:
        return LABELS[lang][kind].get(None, "—")
    return LABELS[lang][kind].get(str(value) if isinstance(value, bool) else value, str(value))


def any_label(lang: str, value) -> str:
    """The word for a code of whatever kind; a value that is no code is shown as it is."""
    if value is None:
        return "—"
    return _ANY[lang].get(str(value) if isinstance(value, bool) else value, str(value))


def actor(lang: str, name: str | None) -> str:
    """Who did it: the service, the subject, an API key, or a person (their e-mail)."""
    if not name:
        return "—"
    if name in LABELS[lang]["actor"]:
        return LABELS[lang]["actor"][name]
    if "@" in name:
        return name
    return (f"clé d'API « {name} »" if lang == "fr" else f"API key “{name}”")


# Parts of a policy document's paths (``description.fr``, ``fr.accept_all``), for the comparison.
_PATH_PARTS = {
    "fr": {"label": "libellé", "description": "description", "required": "toujours actif", "category": "catégorie",
           "type": "type", "purpose": "finalité", "lifetime": "durée de vie", "fr": "en français",
           "en": "en anglais", "title": "titre", "body": "texte", "accept_all": "bouton « Tout accepter »",
           "refuse_all": "bouton « Tout refuser »", "customize": "bouton « Personnaliser »",
           "learn_more": "lien « En savoir plus »", "save": "bouton « Enregistrer »",
           "manage": "bouton « Gérer mes cookies »", "name": "nom", "key": "clé"},
    "en": {"label": "label", "description": "description", "required": "always on", "category": "category",
           "type": "type", "purpose": "purpose", "lifetime": "lifetime", "fr": "in French", "en": "in English",
           "title": "title", "body": "text", "accept_all": "“Accept all” button", "refuse_all": "“Refuse all” button",
           "customize": "“Customize” button", "learn_more": "“Learn more” link", "save": "“Save” button",
           "manage": "“Manage cookies” button", "name": "name", "key": "key"},
}


def path_label(lang: str, path: str | None) -> str:
    """``description.fr`` → « description › en français »; a part that is no known word (a
    cookie's or a category's own name) stays as it is."""
    if not path:
        return ""
    return " › ".join(_PATH_PARTS[lang].get(part, part) for part in path.split("."))


# The policy's compliance findings (``cookies.policies.lint`` writes them in English).
LINT = i18n.Catalog()
LINT.add(r"Continuing to browse is not consent under the CNIL's 2020 guidelines: turn "
         r"implied_consent_on_continue off\.",
         "Poursuivre la navigation ne vaut pas consentement selon les lignes directrices de la CNIL de 2020 : "
         "désactivez « poursuivre la navigation vaut consentement ».",
         "Continuing to browse is not consent under the CNIL's 2020 guidelines: turn “browsing on counts as "
         "consent” off.")
LINT.add(r"(?P<which>An acceptance|A refusal) is kept (?P<n>\d+) months; the CNIL recommends asking again after "
         r"(?P<most>\d+) months at most\.",
         "{which} {n} mois ; la CNIL recommande de redemander au bout de {most} mois au plus.",
         which=lambda value, locale: (
             {"An acceptance": "Une acceptation est conservée", "A refusal": "Un refus est conservé"}[value]
             if locale == "fr" else value))
LINT.add(r"A refusal is asked again after (?P<refuse>\d+) month\(s\) but an acceptance only after (?P<accept>\d+): "
         r"refusing must be as durable as accepting\.",
         "Un refus est redemandé au bout de {refuse} mois, mais une acceptation seulement au bout de {accept} : "
         "refuser doit durer aussi longtemps qu'accepter.")
LINT.add(r"No category needs consent: a banner is then not needed at all\.",
         "Aucune catégorie ne demande de consentement : un bandeau est alors inutile.")

_OWN["fr"]["rule"] = {"implied_consent": "consentement implicite", "long_validity": "durée de validité",
                      "refusal_reasked_sooner": "refus redemandé plus tôt",
                      "no_optional_category": "aucune catégorie facultative"}
_OWN["en"]["rule"] = {"implied_consent": "implied consent", "long_validity": "validity period",
                      "refusal_reasked_sooner": "refusal asked again sooner",
                      "no_optional_category": "no optional category"}

# The audit trail's targets (ids and counts, written in English by the back-office).
TARGETS = i18n.Catalog()
TARGETS.add(r"consent_id (?P<id>\S+)", "preuve {id}", "proof {id}")
TARGETS.add(r"(?P<kind>visitor_id|account_id): (?P<n>\d+)(?P<more>\+?) record\(s\)",
            "{kind} : {n}{more} preuve(s)", "{kind}: {n}{more} proof(s)",
            kind=lambda value, locale: {"visitor_id": ("identifiant visiteur", "visitor id"),
                                        "account_id": ("identifiant de compte", "account id")}[value][
                locale != "fr"])
TARGETS.add(r"(?P<n>\d+) minutes", "{n} minutes")
TARGETS.add(r"mail (?P<id>\d+)", "courrier n° {id}", "mail no. {id}")
TARGETS.add(r"user (?P<id>\d+)", "utilisateur n° {id}", "user no. {id}")
TARGETS.add(r"(?P<n>\d+) preference change\(s\)", "{n} changement(s) de préférences",
            "{n} preference change(s)")
TARGETS.add(r"no preference change", "aucun changement de préférences")
TARGETS.add(r"preference change ids (?P<ids>[\d, ]+)", "changements de préférences n° {ids}",
            "preference changes no. {ids}")


LABELS: dict[str, dict[str, i18n.Words]] = {lang: {**DSAR_LABELS[lang], **_OWN[lang]} for lang in ("fr", "en")}
# One look-up over every kind, for ``v(code)``; the DSAR kinds win where a code means two things.
_ANY = {lang: {code: word for kind in reversed(list(kinds)) for code, word in kinds[kind].items()}
        for lang, kinds in LABELS.items()}
