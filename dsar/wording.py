"""The words of data-subject requests a tenant or a DPO reads, in French and English: the rights
(with a sentence saying what each one gives), the statuses, channels, verification methods,
rejection grounds and timeline events, and the public rights form."""
from __future__ import annotations

from typing import TypedDict

from consent_service import i18n
from consent_service.i18n import Words

RIGHTS = {
    "fr": {
        "access": ("Accéder à mes données", "Recevoir une copie des données vous concernant et savoir comment "
                   "elles sont utilisées."),
        "rectification": ("Rectifier mes données", "Faire corriger des données inexactes ou incomplètes."),
        "erasure": ("Effacer mes données", "Faire supprimer vos données, sauf celles que la loi nous oblige à "
                    "conserver (par exemple les données comptables de votre bail)."),
        "restriction": ("Limiter l'utilisation de mes données", "Geler l'utilisation de vos données le temps "
                        "d'une vérification ou d'une contestation."),
        "objection": ("M'opposer à une utilisation de mes données", "Faire cesser une utilisation de vos "
                      "données, par exemple la mesure d'audience."),
        "portability": ("Récupérer mes données dans un format réutilisable", "Recevoir les données que vous "
                        "nous avez fournies dans un fichier lisible par une machine (JSON)."),
    },
    "en": {
        "access": ("Access my data", "Receive a copy of the data about you and learn how it is used."),
        "rectification": ("Correct my data", "Have inaccurate or incomplete data corrected."),
        "erasure": ("Erase my data", "Have your data deleted, except what the law obliges us to keep (for "
                    "example the accounting records of your lease)."),
        "restriction": ("Restrict the use of my data", "Freeze the use of your data while it is checked or "
                        "disputed."),
        "objection": ("Object to a use of my data", "Stop a use of your data, for example audience measurement."),
        "portability": ("Get my data in a reusable format", "Receive the data you gave us in a machine-readable "
                        "file (JSON)."),
    },
}

# The code values of requests, as a DPO or a tenant reads them.
LABELS: dict[str, dict[str, Words]] = {
    "fr": {
        "type": {"access": "accès", "rectification": "rectification", "erasure": "effacement",
                 "restriction": "limitation", "objection": "opposition", "portability": "portabilité",
                 None: "non classée"},
        "status": {"awaiting_verification": "en attente de vérification", "verified": "vérifiée",
                   "in_progress": "en cours", "completed": "traitée", "rejected": "refusée", "withdrawn": "retirée"},
        "channel": {"web": "formulaire web", "email": "e-mail", "post": "courrier", "phone": "téléphone"},
        "method": {"email_link": "lien par e-mail", "account_birth_date": "compte et date de naissance",
                   "document": "pièce justificative", "in_person": "en personne", "other": "autre"},
        "ground": {"manifestly_unfounded": "demande manifestement infondée", "excessive": "demande excessive",
                   "identity_not_verified": "identité non vérifiée", "no_data": "aucune donnée vous concernant",
                   "legal_obligation": "obligation légale de conserver", "other": "autre motif"},
        "locale": {"fr": "français", "en": "anglais"},
        "event": {
            "received": "reçue", "duplicate_received": "reçue de nouveau", "classified": "classée",
            "verified": "identité vérifiée", "email_confirmed": "adresse confirmée", "extended": "délai prolongé",
            "executed": "exécutée", "rejected": "refusée", "completed": "close", "withdrawn": "retirée",
            "reminder_sent": "relance envoyée", "answer_withheld": "réponse non envoyée",
            "minimised": "données retirées",
        },
        "actor": {"system": "le service", "subject": "la personne concernée"},
    },
    "en": {
        "type": {"access": "access", "rectification": "rectification", "erasure": "erasure",
                 "restriction": "restriction", "objection": "objection", "portability": "portability",
                 None: "unclassified"},
        "status": {"awaiting_verification": "awaiting verification", "verified": "verified",
                   "in_progress": "in progress", "completed": "completed", "rejected": "rejected",
                   "withdrawn": "withdrawn"},
        "channel": {"web": "web form", "email": "e-mail", "post": "post", "phone": "phone"},
        "method": {"email_link": "e-mailed link", "account_birth_date": "account and birth date",
                   "document": "identity document", "in_person": "in person", "other": "other"},
        "ground": {"manifestly_unfounded": "manifestly unfounded request", "excessive": "excessive request",
                   "identity_not_verified": "identity not verified", "no_data": "no data about you",
                   "legal_obligation": "legal obligation to keep", "other": "other ground"},
        "locale": {"fr": "French", "en": "English"},
        "event": {
            "received": "received", "duplicate_received": "received again", "classified": "classified",
            "verified": "identity verified", "email_confirmed": "address confirmed", "extended": "deadline extended",
            "executed": "executed", "rejected": "rejected", "completed": "completed", "withdrawn": "withdrawn",
            "reminder_sent": "reminder sent", "answer_withheld": "answer not sent", "minimised": "data removed",
        },
        "actor": {"system": "the service", "subject": "the data subject"},
    },
}


def label(kind: str, value: str | None, locale: str = "fr") -> str:
    """The reader's word for a code value (``label("status", "verified", "fr")`` → « vérifiée »)."""
    table = LABELS["en" if locale == "en" else "fr"][kind]
    return table.get(value, "—" if value is None else str(value))


class FormWords(TypedDict):
    """The public rights form's words in one language (both languages give every key)."""

    title: str
    error_title: str
    intro: str
    required_note: str
    type: str
    email: str
    email_hint: str
    full_name: str
    account_id: str
    account_id_hint: str
    birth_date: str
    birth_date_hint: str
    message: str
    message_hint: str
    honeypot: str
    submit: str
    other: str
    summary_h: str
    other_ways_h: str
    other_ways: str
    cookies_link: str
    errors: dict[str, str]  # one sentence per field, for its error
    expired: str
    refused: str
    too_many_title: str
    too_many: str
    missing_title: str
    missing: str
    done_title: str
    reference: str
    reference_hint: str
    due: str
    next_h: str
    next: list[str]  # what happens next, one paragraph each
    cnil: str
    back: str


FORM: dict[str, FormWords] = {
    "fr": {
        "title": "Exercer vos droits sur vos données personnelles",
        "error_title": "Erreur : exercer vos droits sur vos données personnelles",
        "intro": "Ce formulaire transmet votre demande à notre délégué à la protection des données (DPO). "
                 "Nous vous répondons au plus tard un mois après sa réception ; ce délai peut être prolongé de "
                 "deux mois pour une demande complexe, et nous vous en dirions alors la raison.",
        "required_note": "Les champs marqués « facultatif » peuvent rester vides ; tous les autres sont requis.",
        "type": "Quel droit souhaitez-vous exercer ?",
        "email": "Votre adresse e-mail",
        "email_hint": "Nous vous y enverrons un lien pour confirmer que cette adresse est la vôtre, puis notre "
                      "réponse.",
        "full_name": "Vos nom et prénom",
        "account_id": "Votre numéro de compte locataire (facultatif)",
        "account_id_hint": "Il figure sur vos avis d'échéance. Il nous aide à retrouver vos données.",
        "birth_date": "Votre date de naissance (facultatif)",
        "birth_date_hint": "Au format JJ/MM/AAAA, par exemple 14/07/1985. Avec votre numéro de compte, elle "
                           "nous aide à vérifier votre identité, comme à l'inscription à l'Espace Locataire.",
        "message": "Précisez votre demande (facultatif)",
        "message_hint": "Par exemple, les données à corriger et leur bonne valeur. 5 000 caractères au plus.",
        "honeypot": "Ne remplissez pas ce champ",
        "submit": "Envoyer ma demande",
        "other": "English version",
        "summary_h": "Le formulaire contient des erreurs",
        "other_ways_h": "Autres moyens de nous écrire",
        "other_ways": "Vous pouvez aussi écrire à notre délégué à la protection des données :",
        "cookies_link": "Politique de cookies",
        "errors": {
            "type": "Choisissez le droit que vous souhaitez exercer.",
            "email": "Indiquez une adresse e-mail valide, par exemple nom@exemple.fr.",
            "full_name": "Indiquez vos nom et prénom (200 caractères au plus).",
            "account_id": "Le numéro de compte ne contient que des lettres, des chiffres, et les signes . _ @ : - "
                          "(128 caractères au plus).",
            "birth_date": "Indiquez une date de naissance réelle au format JJ/MM/AAAA.",
            "message": "Le message doit faire 5 000 caractères au plus, sans caractères de contrôle.",
        },
        "expired": "Le formulaire a expiré ou n'a pas été envoyé depuis cette page. Vérifiez vos réponses et "
                   "envoyez-le de nouveau.",
        "refused": "Le formulaire n'a pas pu être envoyé. Si vous n'êtes pas un robot, écrivez-nous à l'adresse "
                   "ci-dessous.",
        "too_many_title": "Trop de demandes",
        "too_many": "Trop de demandes ont été envoyées depuis votre connexion ou pour cette adresse e-mail. "
                    "Réessayez dans une heure, ou écrivez à notre délégué à la protection des données :",
        "missing_title": "Page introuvable",
        "missing": "Ce site n'existe pas ici : vérifiez l'adresse de la page, ou écrivez à notre délégué à la "
                   "protection des données :",
        "done_title": "Votre demande est enregistrée",
        "reference": "Sa référence",
        "reference_hint": "Notez-la : elle figure dans chacun de nos messages.",
        "due": "Nous vous répondrons au plus tard le {day}.",
        "next_h": "Et maintenant ?",
        "next": [
            "Vous allez recevoir un e-mail à l'adresse {email}. S'il contient un lien de confirmation, "
            "ouvrez-le dans les 7 jours : nous ne traitons une demande qu'une fois l'adresse confirmée.",
            "Si vous ne le trouvez pas, regardez dans vos courriers indésirables ; sans confirmation, nous vous "
            "relancerons une fois au bout de 3 jours.",
            "Nous pouvons vous demander un justificatif si nous ne pouvons pas vérifier votre identité autrement.",
            "Notre réponse vous parvient par e-mail. Pour une demande d'accès ou de portabilité, elle contient un "
            "lien pour télécharger vos données, valable 7 jours.",
        ],
        "cnil": "Si notre réponse ne vous satisfait pas, vous pouvez adresser une réclamation à la CNIL "
                "(www.cnil.fr).",
        "back": "Envoyer une autre demande",
    },
    "en": {
        "title": "Exercise your rights over your personal data",
        "error_title": "Error: exercise your rights over your personal data",
        "intro": "This form sends your request to our data protection officer (DPO). We answer at the latest "
                 "one month after we receive it; that time may be extended by two months for a complex request, "
                 "and we would then tell you why.",
        "required_note": "Fields marked “optional” may stay empty; all the others are required.",
        "type": "Which right do you want to exercise?",
        "email": "Your e-mail address",
        "email_hint": "We will send a link there to confirm that the address is yours, then our answer.",
        "full_name": "Your full name",
        "account_id": "Your tenant account number (optional)",
        "account_id_hint": "It is printed on your rent notices. It helps us find your data.",
        "birth_date": "Your date of birth (optional)",
        "birth_date_hint": "As DD/MM/YYYY, for example 14/07/1985. With your account number it helps us check "
                           "your identity, as when you registered for the tenant portal.",
        "message": "Tell us more about your request (optional)",
        "message_hint": "For example, which data to correct and its right value. At most 5,000 characters.",
        "honeypot": "Leave this field empty",
        "submit": "Send my request",
        "other": "Version française",
        "summary_h": "There is a problem with the form",
        "other_ways_h": "Other ways to write to us",
        "other_ways": "You can also write to our data protection officer:",
        "cookies_link": "Cookie policy",
        "errors": {
            "type": "Choose the right you want to exercise.",
            "email": "Enter a valid e-mail address, for example name@example.com.",
            "full_name": "Enter your full name (at most 200 characters).",
            "account_id": "An account number holds only letters, digits and the signs . _ @ : - (at most 128 "
                          "characters).",
            "birth_date": "Enter a real date of birth as DD/MM/YYYY.",
            "message": "The message must be at most 5,000 characters, without control characters.",
        },
        "expired": "The form expired or was not sent from this page. Check your answers and send it again.",
        "refused": "The form could not be sent. If you are not a robot, write to us at the address below.",
        "too_many_title": "Too many requests",
        "too_many": "Too many requests were sent from your connection or for this e-mail address. Try again in "
                    "an hour, or write to our data protection officer:",
        "missing_title": "Page not found",
        "missing": "There is no such site here: check the page address, or write to our data protection "
                   "officer:",
        "done_title": "Your request is recorded",
        "reference": "Its reference",
        "reference_hint": "Keep it: every message we send you quotes it.",
        "due": "We will answer at the latest on {day}.",
        "next_h": "What happens next?",
        "next": [
            "You will receive an e-mail at {email}. If it holds a confirmation link, open it within 7 days: we "
            "only handle a request once the address is confirmed.",
            "If you cannot find it, look in your spam folder; without a confirmation we send one reminder after "
            "3 days.",
            "We may ask you for a proof of identity if we cannot check your identity another way.",
            "Our answer comes by e-mail. For an access or portability request it holds a link to download your "
            "data, valid for 7 days.",
        ],
        "cnil": "If our answer does not satisfy you, you may lodge a complaint with the CNIL, the French data "
                "protection authority (www.cnil.fr).",
        "back": "Send another request",
    },
}


def _labeller(kind: str):
    return lambda value, locale: label(kind, value, locale)


def _type_or_none(value: str, locale: str) -> str:
    return label("type", None if value == "unclassified" else value, locale)


_STATUS_VERBS = {
    "fr": {"reclassified": "reclassée", "verified": "vérifiée", "extended": "prolongée", "executed": "exécutée",
           "rejected": "refusée", "completed": "close", "withdrawn": "retirée"},
    "en": {"reclassified": "reclassified", "verified": "verified", "extended": "extended", "executed": "executed",
           "rejected": "rejected", "completed": "completed", "withdrawn": "withdrawn"},
}


def _verb(value: str, locale: str) -> str:
    return _STATUS_VERBS["en" if locale == "en" else "fr"].get(value, value)


PURGE_STATUSES: dict[str, Words] = {
    "fr": {"pending": "en attente", "running": "en cours", "done": "terminée", "failed": "échec"},
    "en": {"pending": "pending", "running": "running", "done": "done", "failed": "failed"},
}

# The timeline's notes the service writes itself (a note the DPO typed is shown as typed).
NOTES = i18n.Catalog()
NOTES.add(r"Received via (?P<channel>\w+)\.", "Reçue par {channel}.", "Received by {channel}.",
          channel=_labeller("channel"))
NOTES.add(r"Same request received again via (?P<channel>\w+)\.", "La même demande a de nouveau été reçue par "
          "{channel}.", "The same request was received again by {channel}.", channel=_labeller("channel"))
NOTES.add(r"Verified by (?P<method>\w+)\.", "Identité vérifiée : {method}.", "Identity verified: {method}.",
          method=_labeller("method"))
NOTES.add(r"Verification reminder sent\.", "Relance de confirmation envoyée.")
NOTES.add(r"The subject confirmed the address by the e-mailed link\.",
          "La personne a confirmé son adresse par le lien reçu par e-mail.")
NOTES.add(r"Account id and birth date matched\.", "Le numéro de compte et la date de naissance correspondent.")
NOTES.add(r"Not e-mailed: nobody confirmed this address\. Answer the subject by another channel\.",
          "Non envoyé par e-mail : personne n'a confirmé cette adresse. Répondez à la personne par un autre moyen.")
NOTES.add(r"Type set to (?P<type>\w+) \(was (?P<was>\w+)\)\.", "Type : {type} (auparavant : {was}).",
          "Type set to {type} (was {was}).", type=_type_or_none, was=_type_or_none)
NOTES.add(r"Deadline moved to (?P<day>\d{4}-\d\d-\d\d): (?P<reason>.*)", "Échéance reportée au {day} : {reason}",
          "Deadline moved to {day}: {reason}", day=i18n.iso_day)
NOTES.add(r"(?P<type>access|rectification|erasure|restriction|objection|portability) executed\.",
          "Demande exécutée ({type}).", "Request executed ({type}).", type=_labeller("type"))
NOTES.add(r"(?P<ground>manifestly_unfounded|excessive|identity_not_verified|no_data|legal_obligation|other): "
          r"(?P<reason>.*)", "{ground} : {reason}", "{ground}: {reason}", ground=_labeller("ground"))
NOTES.add(r"Withdrawn by the subject\.", "Retirée par la personne concernée.")
NOTES.add(r"Demo request\.", "Demande de démonstration.")
NOTES.add(r"Demo: copy of an identity document checked\.",
          "Démonstration : copie d'une pièce d'identité vérifiée.")
NOTES.add(r"Account id, birth date and the account's address on file matched\.",
          "Le numéro de compte, la date de naissance et l'adresse du compte concordent.")
NOTES.add(r"The subject confirmed, by the e-mailed link, the account's address on file\.",
          "La personne a confirmé, par le lien reçu par e-mail, l'adresse connue du compte.")
NOTES.add(r"Personal data removed: the subject's account was purged\.",
          "Données personnelles retirées : le compte de la personne a été purgé.")
NOTES.add(r"Export (?P<id>\S+) built \((?P<size>\d+) bytes\); its link is valid (?P<days>\d+) days\.",
          "Export {id} créé ({size}) ; son lien est valable {days} jours.",
          "Export {id} built ({size}); its link is valid {days} days.", size=i18n.size)
NOTES.add(r"Purge (?P<id>\S+) (?P<status>pending|running|done|failed)\.", "Purge {id} : {status}.",
          "Purge {id}: {status}.", status=lambda value, locale: PURGE_STATUSES[i18n.locale_of(locale)][value])
NOTES.add(r"Rectified (?P<fields>.+) in (?P<rows>\d+) row\(s\) of (?P<tables>.+)\.",
          "Rectification de {fields} dans {rows} ligne(s) de {tables}.")
NOTES.add(r"Processing restricted: .*", "Traitement limité : le portail est informé qu'il doit geler l'usage des "
          "données du compte.", "Processing restricted: the portal is told to freeze the use of the account's data.")
NOTES.add(r"Objection recorded to: (?P<categories>[^.]+)\.(?: Notification themes turned off: (?P<themes>.+)\.)?",
          "Opposition enregistrée : {categories}.{themes}", "Objection recorded to: {categories}.{themes}",
          themes=lambda value, locale: (f" Thèmes de notification désactivés : {value}." if locale == "fr"
                                        else f" Notification themes turned off: {value}."))
_UNCONFIRMED = {
    "mismatch": (r"The subject confirmed an address that is not the account's address on file\.",
                 "La personne a confirmé une adresse qui n'est pas celle du compte."),
    "no_account": (r"The subject confirmed the address, but no account with this id has an address on file\.",
                   "La personne a confirmé son adresse, mais aucun compte de ce numéro n'a d'adresse connue."),
    "not_mapped": (r"The subject confirmed the address; the data map has no identity block to compare it with\.",
                   "La personne a confirmé son adresse ; la cartographie des données ne dit pas où lire celle du "
                   "compte pour la comparer."),
    "unavailable": (r"The subject confirmed the address; the account's address on file could not be read\.",
                    "La personne a confirmé son adresse ; celle du compte n'a pas pu être lue."),
}
_ANOTHER_WAY = (r" Verify the subject's identity another way \(document, in person\) before executing\.",
                " Vérifiez son identité autrement (pièce justificative, en personne) avant d'exécuter la demande.")
for _pattern, _french in _UNCONFIRMED.values():
    NOTES.add(_pattern + _ANOTHER_WAY[0], _french + _ANOTHER_WAY[1])
    NOTES.add(_pattern, _french)

# Why the workflow refused an action (its Conflict and Invalid messages), for the DPO.
REFUSALS = i18n.Catalog(i18n.FIELD_ERRORS)
REFUSALS.add(r"This request is (?P<status>\w+): it cannot be (?P<verb>\w+)\.",
             "Cette demande est {status} : elle ne peut pas être {verb}.",
             "This request is {status}: it cannot be {verb}.", status=_labeller("status"), verb=_verb)
REFUSALS.add(r"The deadline has already been extended once\.", "Le délai a déjà été prolongé une fois.")
REFUSALS.add(r"The first deadline has passed: it can no longer be extended\.",
             "La première échéance est passée : le délai ne peut plus être prolongé.")
REFUSALS.add(r"Set the request's type first\.", "Classez d'abord la demande (choisissez son type).")
REFUSALS.add(r"No automatic execution is available for (?P<type>\w+) requests: act by hand, then complete the "
             r"request\.", "Aucune exécution automatique pour une demande de type « {type} » : agissez à la main, "
             "puis clôturez la demande.", type=_labeller("type"))
REFUSALS.add(r"A rectification lists the changes to make\.", "Une rectification indique les changements à faire.")
REFUSALS.add(r"Only a rectification takes changes\.", "Seule une rectification indique des changements.")
REFUSALS.add(r"The request changed at the same time; reload it and try again\.",
             "La demande a été modifiée au même moment : rechargez la page et réessayez.")
REFUSALS.add(r"The request names no account: there is no hosted data to act on\.",
             "La demande ne donne pas de numéro de compte : aucune donnée hébergée sur laquelle agir.")
REFUSALS.add(r"The request's account id is not valid\.|Not a valid account id\.",
             "Le numéro de compte de la demande n'est pas valide.")
REFUSALS.add(r"Some fields cannot be rectified\.", "Certains champs ne peuvent pas être rectifiés.")
REFUSALS.add(r"No mapped row of this account holds those fields\.",
             "Aucune ligne cartographiée de ce compte ne contient ces champs.")
REFUSALS.add(r"Objections are a list of category keys\.|Give category keys\.",
             "Une opposition donne une liste de catégories.")
REFUSALS.add(r"The receipt time cannot be in the future\.", "L'heure de réception ne peut pas être dans le futur.")
REFUSALS.add(r"The receipt time is more than a year ago\.", "L'heure de réception date de plus d'un an.")
REFUSALS.add(r"A request received by e-mail gives the sender's address\.",
             "Une demande reçue par e-mail indique l'adresse de l'expéditeur.")
REFUSALS.add(r"Not a plausible birth date\.", "Date de naissance invraisemblable.")
REFUSALS.add(r"No such request\.", "Demande introuvable.")
REFUSALS.add(r"The subject has not confirmed the request yet, and no other verification is recorded\.",
             "La personne n'a pas encore confirmé sa demande, et aucune autre vérification n'est enregistrée.")
for _pattern, _french in _UNCONFIRMED.values():
    REFUSALS.add(_pattern + _ANOTHER_WAY[0], _french + _ANOTHER_WAY[1])
