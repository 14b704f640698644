"""How a tenant reads the service's own data in an export (and a DPO in a receipt): the names of
the service's tables and of their fields, its Article 15 information, the consent choices, in
French and English. The portal's own tables take their words from the data map (``label``,
``columns``)."""
from __future__ import annotations

from typing import TypedDict

from consent_service import i18n

from .mapping import BUILTIN_STORE

BUILTIN_STORE_LABEL = {"fr": "Le service de gestion des cookies et des demandes",
                       "en": "The cookie and request service"}

TABLES = {
    "visitor_links": {"fr": "Navigateurs reliés à votre compte", "en": "Browsers linked to your account"},
    "consent_records": {"fr": "Vos choix sur les cookies (preuves)", "en": "Your cookie choices (proofs)"},
    "account_leases": {"fr": "Fin de votre bail", "en": "End of your lease"},
    "account_processing": {"fr": "Limitations et oppositions", "en": "Restrictions and objections"},
    "dsar_requests": {"fr": "Vos demandes sur vos données", "en": "Your requests about your data"},
    "account_preferences": {"fr": "Vos préférences", "en": "Your preferences"},
    "preference_changes": {"fr": "Historique de vos préférences", "en": "History of your preferences"},
    "data_exports": {"fr": "Exports de vos données", "en": "Exports of your data"},
    "files": {"fr": "Fichiers", "en": "Files"},
}

# Fields of the service's own rows (and of the files listing), by name.
FIELDS = {
    "fr": {
        "visitor_id": "Identifiant du navigateur", "linked_at": "Relié le", "consent_id": "Identifiant du choix",
        "site": "Site", "policy_version": "Version de la politique de cookies", "texts_hash": "Empreinte des textes",
        "action": "Choix", "categories": "Catégories", "recorded_at": "Enregistré le",
        "valid_until": "Valable jusqu'au",
        "ip": "Adresse IP (tronquée)", "user_agent": "Navigateur", "page": "Page", "gpc": "Signal « Global Privacy "
        "Control »", "locale": "Langue", "banner_hash": "Empreinte du bandeau", "lease_end": "Fin du bail",
        "purge_due_on": "Effacement de vos données prévu le", "restricted": "Traitement limité",
        "objections": "Oppositions", "reference": "Référence", "type": "Droit exercé", "status": "État",
        "channel": "Reçue par", "received_at": "Reçue le", "due_on": "Réponse due le", "due_at": "Réponse due avant",
        "extended": "Délai prolongé", "email": "Adresse e-mail", "full_name": "Nom", "account_id": "Numéro de compte",
        "message": "Message", "verification_method": "Vérification d'identité", "verified_at": "Vérifiée le",
        "extension_reason": "Motif de la prolongation", "rejection_ground": "Motif du refus", "outcome": "Réponse",
        "closed_at": "Close le", "events": "Historique", "at": "Date", "kind": "Étape", "actor": "Par",
        "from_status": "État avant", "to_status": "État après", "note": "Note", "themes": "Thèmes de notification",
        "paperless": "Avis d'échéance", "direct_debit": "Prélèvement automatique", "updated_at": "Mis à jour le",
        "id": "N°", "actor_name": "Nom de l'auteur", "change": "Changement", "asked": "Demandé",
        "before": "Avant", "after": "Après", "effective_on": "À partir du", "last_electronic_on":
        "Dernier avis électronique le", "name": "Nom", "size": "Taille", "file": "Fichier", "modified": "Modifié le",
        "on": "Activé", "label": "Libellé", "key": "Clé",
    },
    "en": {
        "visitor_id": "Browser id", "linked_at": "Linked on", "consent_id": "Choice id", "site": "Site",
        "policy_version": "Cookie policy version", "texts_hash": "Hash of the texts", "action": "Choice",
        "categories": "Categories", "recorded_at": "Recorded on", "valid_until": "Valid until",
        "ip": "IP address (truncated)", "user_agent": "Browser", "page": "Page",
        "gpc": "“Global Privacy Control” signal",
        "locale": "Language", "banner_hash": "Hash of the banner", "lease_end": "End of lease",
        "purge_due_on": "Your data will be erased on", "restricted": "Processing restricted",
        "objections": "Objections", "reference": "Reference", "type": "Right exercised", "status": "Status",
        "channel": "Received by", "received_at": "Received on", "due_on": "Answer due on", "due_at": "Answer due by",
        "extended": "Deadline extended", "email": "E-mail address", "full_name": "Name", "account_id": "Account number",
        "message": "Message", "verification_method": "Identity check", "verified_at": "Verified on",
        "extension_reason": "Why the deadline was extended", "rejection_ground": "Ground of the refusal",
        "outcome": "Answer", "closed_at": "Closed on", "events": "History", "at": "Date", "kind": "Step",
        "actor": "By", "from_status": "Status before", "to_status": "Status after", "note": "Note",
        "themes": "Notification themes", "paperless": "Rent notices", "direct_debit": "Direct debit",
        "updated_at": "Updated on", "id": "No.", "actor_name": "Name of the author", "change": "Change",
        "asked": "Asked", "before": "Before", "after": "After", "effective_on": "From",
        "last_electronic_on": "Last electronic notice on", "name": "Name", "size": "Size", "file": "File",
        "modified": "Modified on", "on": "On", "label": "Label", "key": "Key",
    },
}

# The legal basis a receipt gives for what the service itself keeps (``datamap.engine``).
LEGAL_BASES = i18n.Catalog()
LEGAL_BASES.add(r"GDPR art\. 12\(3\): the answer to an open data-subject request is still owed; its personal data "
                r"are removed when it closes",
                "RGPD art. 12(3) : la réponse à une demande en cours est encore due ; ses données personnelles sont "
                "retirées à sa clôture")


def store_label(store: str, lang: str) -> str | None:
    """The service's own store in words (None for a store of the data map: it has its own name)."""
    return BUILTIN_STORE_LABEL[lang] if store == BUILTIN_STORE else None


CONSENT_ACTIONS: dict[str, i18n.Words] = {
    "fr": {"accept_all": "tout accepté", "refuse_all": "tout refusé", "custom": "choix personnalisé",
           "continue": "poursuite de la navigation", "withdraw": "consentement retiré"},
    "en": {"accept_all": "accepted all", "refuse_all": "refused all", "custom": "custom choice",
           "continue": "kept browsing", "withdraw": "consent withdrawn"},
}


class BuiltinAbout(TypedDict):
    """The service's own Article 15 information, in one language (``datamap.mapping.About``'s keys)."""

    purpose: str
    lawful_basis: str
    recipients: list[str]
    retention_period: str
    source: str


# What the service keeps about you, for Article 15 (the portal's tables say it in their ``about``).
BUILTIN_ABOUT: dict[str, BuiltinAbout] = {
    "fr": {"purpose": "Prouver vos choix sur les cookies (exigé par la CNIL) et traiter vos demandes sur vos données",
           "lawful_basis": "Obligation légale (RGPD art. 7(1) : preuve du consentement ; art. 12 à 22 : vos droits)",
           "recipients": ["Le délégué à la protection des données du bailleur"],
           "retention_period": "Preuves de vos choix : le temps fixé par le bailleur ; liens entre navigateur et "
                               "compte : tant que le compte existe ; demandes : quelques années après leur clôture",
           "source": "Vos choix dans le bandeau du portail ; le portail, lorsque vous êtes connecté(e) ; vos "
                     "demandes"},
    "en": {"purpose": "Proving your cookie choices (required by the CNIL) and handling your requests about your data",
           "lawful_basis": "Legal obligation (GDPR art. 7(1): proof of consent; art. 12 to 22: your rights)",
           "recipients": ["The landlord's data protection officer"],
           "retention_period": "Proofs of your choices: the time the landlord sets; links between browser and "
                               "account: as long as the account exists; requests: a few years after they close",
           "source": "Your choices in the portal's banner; the portal, when you are signed in; your requests"},
}
