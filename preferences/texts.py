"""What a tenant or a DPO reads about preferences, in French and English (exports, errors,
the back-office)."""
from __future__ import annotations

STATUS = {
    "off": {"fr": "Avis d'échéance papier", "en": "Paper rent notices"},
    "pending": {"fr": "Avis électroniques demandés, pas encore en place",
                "en": "Electronic notices requested, not yet started"},
    "on": {"fr": "Avis d'échéance électroniques", "en": "Electronic rent notices"},
    "ending": {"fr": "Retour au papier demandé : un dernier avis électronique",
               "en": "Back to paper requested: one last electronic notice"},
}
CHANGE = {
    "themes": {"fr": "Thèmes de notification", "en": "Notification themes"},
    "email": {"fr": "Notifications par e-mail", "en": "Notifications by e-mail"},
    "direct_debit": {"fr": "Prélèvement automatique", "en": "Direct debit"},
    "paperless_start": {"fr": "Demande d'avis d'échéance électroniques", "en": "Electronic rent notices requested"},
    "paperless_end": {"fr": "Retour aux avis d'échéance papier", "en": "Back to paper rent notices"},
    "objection": {"fr": "Opposition (demande d'exercice de droits)", "en": "Objection (data-subject request)"},
}
ACTOR = {
    "portal": {"fr": "Le portail, à la demande du locataire", "en": "The portal, on the tenant's behalf"},
    "dpo": {"fr": "Le délégué à la protection des données", "en": "The data protection officer"},
    "dsar": {"fr": "Une demande d'exercice de droits", "en": "A data-subject request"},
}
CHANNEL = {
    "web": {"fr": "Espace locataire", "en": "Tenant portal"},
    "post": {"fr": "Courrier", "en": "Post"},
    "email": {"fr": "E-mail", "en": "E-mail"},
    "phone": {"fr": "Téléphone", "en": "Phone"},
}
DIRECT_DEBIT = {"fr": "Paiement par prélèvement automatique", "en": "Payment by direct debit"}

DIRECT_DEBIT_REQUIRED = {
    "fr": "Les avis d'échéance électroniques sont réservés aux locataires qui paient leur loyer par "
          "prélèvement automatique. Choisissez d'abord le prélèvement automatique.",
    "en": "Electronic rent notices are only for tenants who pay their rent by direct debit. "
          "Choose direct debit first.",
}
MANDATORY_THEME = {
    "fr": "Ce thème est obligatoire : il ne peut pas être désactivé.",
    "en": "This theme is mandatory: it cannot be turned off.",
}
ACCOUNT_PURGED = {
    "fr": "Ce compte est en cours de suppression ou a été supprimé.",
    "en": "This account is being deleted or is gone.",
}
CHANGED_SINCE = {
    "fr": "Les préférences de ce compte ont changé depuis l'affichage de la page : vérifiez-les, puis "
          "enregistrez à nouveau la demande.",
    "en": "This account's preferences changed since the page was shown: check them, then record the "
          "request again.",
}
