"""Default banner texts (the seed's wording, made CNIL-compatible)."""

DEFAULT_TEXTS = {
    "fr": {
        "title": "Vos choix en matière de cookies",
        "body": ("Nous utilisons des cookies de fonctionnement, indispensables au site, et, avec votre accord, "
                 "des cookies de mesure d'audience (Google Analytics). Vous pouvez accepter, refuser ou choisir, "
                 "et changer d'avis à tout moment avec « Gérer mes cookies »."),
        "accept_all": "Tout accepter",
        "refuse_all": "Tout refuser",
        "customize": "Personnaliser",
        "learn_more": "En savoir plus",
        "save": "Enregistrer mes choix",
        "manage": "Gérer mes cookies",
    },
    "en": {
        "title": "Your cookie choices",
        "body": ("We use functional cookies the site needs and, with your consent, audience measurement "
                 "cookies (Google Analytics). You can accept, refuse or choose, and change your mind at any "
                 "time with “Manage my cookies”."),
        "accept_all": "Accept all",
        "refuse_all": "Refuse all",
        "customize": "Customize",
        "learn_more": "Learn more",
        "save": "Save my choices",
        "manage": "Manage my cookies",
    },
}
TEXT_KEYS = tuple(DEFAULT_TEXTS["fr"])
