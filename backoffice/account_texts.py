"""The words of the account page (« Mes préférences » seen by the DPO), French and English,
and how the preferences rules' refusals read there."""
from __future__ import annotations

from consent_service import i18n
from preferences import texts as preference_texts

TEXTS = {
    "fr": {
        "title": "Préférences d'un compte", "search_label": "Identifiant du compte", "search_btn": "Afficher",
        "search_hint": "Les préférences de notification et d'avis d'échéance d'un locataire, et l'historique "
                       "de chacun de ses choix.",
        "account": "Compte", "themes": "Thèmes de notification", "mandatory": "obligatoire", "on": "activé",
        "off": "désactivé", "email": "Notifications par e-mail", "direct_debit": "Prélèvement automatique",
        "yes": "oui", "no": "non", "paperless": "Avis d'échéance", "effective_on": "Date d'effet",
        "last_electronic_on": "Dernier avis électronique", "next_billing": "Prochaine échéance connue",
        "history": "Historique des choix",
        "no_history": "Aucun choix enregistré : les réglages par défaut s'appliquent.",
        "at": "Date", "who": "Auteur", "channel": "Canal", "what": "Changement", "asked_note": "Note",
        "record": "Enregistrer une demande reçue par courrier, e-mail ou téléphone",
        "record_hint": "Chaque changement est inscrit à l'historique à votre nom. La règle des 10 jours ouvrés "
                       "s'applique à la date d'aujourd'hui.",
        "received_by": "Demande reçue par", "note": "Note (facultative, ex. : courrier du 12 mars)",
        "paperless_action": "Avis d'échéance électroniques", "keep": "Ne pas changer", "start": "Les demander",
        "stop": "Revenir au papier", "billing_date": "Prochaine date d'échéance",
        "billing_hint": "Requise pour les demander ; pour revenir au papier, la prochaine échéance connue sinon.",
        "save": "Enregistrer", "saved": "Changements enregistrés : {count}.", "nothing": "Aucun changement.",
        "read_only": "Lecture seule : seul un délégué à la protection des données enregistre un changement.",
        "history_cut": "Seuls les {limit} derniers changements sont affichés ; l'export d'accès les contient tous.",
        "post": "Courrier", "email_channel": "E-mail", "phone": "Téléphone", "other_account": "Autre compte",
    },
    "en": {
        "title": "An account's preferences", "search_label": "Account id", "search_btn": "Show",
        "search_hint": "A tenant's notification and rent-notice preferences, and the history of each choice.",
        "account": "Account", "themes": "Notification themes", "mandatory": "mandatory", "on": "on", "off": "off",
        "email": "Notifications by e-mail", "direct_debit": "Direct debit", "yes": "yes", "no": "no",
        "paperless": "Rent notices", "effective_on": "Effective on", "last_electronic_on": "Last electronic notice",
        "next_billing": "Next known billing date", "history": "History of choices",
        "no_history": "No choice recorded: the defaults apply.", "at": "Date", "who": "By", "channel": "Channel",
        "what": "Change", "asked_note": "Note",
        "record": "Record a request received by post, e-mail or phone",
        "record_hint": "Each change goes into the history under your name. The 10-working-day rule counts from "
                       "today.",
        "received_by": "Request received by", "note": "Note (optional, e.g. letter of 12 March)",
        "paperless_action": "Electronic rent notices", "keep": "No change", "start": "Ask for them",
        "stop": "Back to paper", "billing_date": "Next billing date",
        "billing_hint": "Required to ask for them; to go back to paper, the next known billing date otherwise.",
        "save": "Save", "saved": "Changes recorded: {count}.", "nothing": "Nothing changed.",
        "read_only": "Read only: only a data protection officer records a change.",
        "history_cut": "Only the {limit} latest changes are shown; the access export holds them all.",
        "post": "Post", "email_channel": "E-mail", "phone": "Phone", "other_account": "Another account",
    },
}

# The preferences rules' refusals (written in English for the API), as the DPO reads them.
MESSAGES = i18n.Catalog(i18n.FIELD_ERRORS)
MESSAGES.add(r"Not a valid account id\.", "Identifiant de compte non valide.")
MESSAGES.add(r"Give the next billing date\.", "Indiquez la prochaine date d'échéance.")
MESSAGES.add(r"Give the next billing date to come \(today is (?P<day>[0-9-]+) in Paris\)\.",
             "Indiquez une échéance à venir (nous sommes le {day}).", "Give a billing date to come (today is {day}).",
             day=i18n.iso_day)
MESSAGES.add(r"Rent notices are monthly: give a date at most (?P<n>\d+) months away\.",
             "Les avis sont mensuels : indiquez une date à {n} mois au plus.")
MESSAGES.add(r"Choose keep, start or stop\.", "Choisissez une des actions proposées.", "Choose one of the actions.")
MESSAGES.add(r"Give a date between 2000 and 2999\.", "Date non valide.", "Not a valid date.")
MESSAGES.add(r"Electronic rent notices are only for tenants who pay .*", preference_texts.DIRECT_DEBIT_REQUIRED["fr"])
MESSAGES.add(r"This account is being deleted or is gone\.", preference_texts.ACCOUNT_PURGED["fr"])
MESSAGES.add(r"The form is incomplete: show the account again\.",
             "Le formulaire est incomplet : affichez à nouveau le compte.")
MESSAGES.add(r"This account's preferences changed since the page was shown: .*", preference_texts.CHANGED_SINCE["fr"])
