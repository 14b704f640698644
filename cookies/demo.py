"""The demo site: the seed's cookie table, categories and validities."""
from __future__ import annotations

from consent_service.extensions import db

from . import policies, services
from .models import Site
from .texts import DEFAULT_TEXTS

DEMO_SITE = "espace-locataire"
USAGE_INTERNE = "Usage interne / Fonctionnement"

DEMO_POLICY = {
    "categories": [
        {"key": "functional", "required": True,
         "label": {"fr": "Cookies de fonctionnement", "en": "Functional cookies"},
         "description": {
             "fr": "Indispensables au fonctionnement du service (session, sécurité, mémorisation de vos choix). "
                   "Ils ne demandent pas de consentement.",
             "en": "Needed for the service to work (session, security, remembering your choices). "
                   "They need no consent."}},
        {"key": "analytics", "required": False,
         "label": {"fr": "Mesure d'audience", "en": "Audience measurement"},
         "description": {
             "fr": "Google Analytics : nombre de visiteurs, pages les plus visitées, afin d'améliorer le service.",
             "en": "Google Analytics: number of visitors and most visited pages, to improve the service."}},
    ],
    "cookies": [
        {"name": "cookie_consent", "category": "functional", "type": USAGE_INTERNE,
         "purpose": "Consentement de l’utilisateur", "lifetime": "13 mois (1 mois après un refus)",
         "description": {
             "fr": "Ce cookie est utilisé par le site pour identifier les internautes ayant accepté ou refusé "
                   "l'installation de cookies analytiques (Google Analytics).",
             "en": "Records whether the visitor accepted or refused analytics cookies (Google Analytics)."}},
        {"name": "r_ci", "category": "functional", "type": USAGE_INTERNE,
         "purpose": "Consentement de l’utilisateur", "lifetime": "13 mois (1 mois après un refus)",
         "description": {
             "fr": "Ce cookie permet d'afficher la bannière d'information sur les cookies une fois tous les 13 mois.",
             "en": "Decides when the cookie banner is shown again."}},
        {"name": "Cookie_support", "category": "functional", "type": "", "purpose": "Navigation",
         "lifetime": "Session",
         "description": {
             "fr": "Ce cookie permet d'informer l'application que le navigateur supporte ou non les cookies.",
             "en": "Tells the application whether the browser accepts cookies."}},
        {"name": "JSESSIONIDGAN", "category": "functional", "type": USAGE_INTERNE, "purpose": "Authentification",
         "lifetime": "Session",
         "description": {
             "fr": "Ce cookie contient l'identifiant technique de la session en cours. Ce cookie expire à la "
                   "fermeture du navigateur.",
             "en": "Holds the technical id of the current session; it expires when the browser closes."}},
        {"name": "_ga", "category": "analytics", "type": "Analyse", "purpose": "Mesures d’audience et d’utilisation",
         "lifetime": "13 mois",
         "description": {
             "fr": "Ce cookie est utilisé pour l'analyse Google Analytics. Il permet de réaliser des statistiques "
                   "sur les sessions des utilisateurs.",
             "en": "Used by Google Analytics to produce statistics on visitors' sessions."}},
        {"name": "_ga_*", "category": "analytics", "type": "Analyse", "purpose": "Mesures d’audience et d’utilisation",
         "lifetime": "13 mois",
         "description": {"fr": "Conserve l'état de la session Google Analytics.",
                         "en": "Keeps the Google Analytics session state."}},
    ],
    "accept_validity_months": 13,
    "refuse_validity_months": 1,
    "implied_consent_on_continue": False,
    "texts": DEFAULT_TEXTS,
}

DEMO_ORIGINS = ["http://127.0.0.1:8000", "http://localhost:8000", "http://127.0.0.1:8001", "http://localhost:8001"]


def load_demo_site() -> str:
    """Create the demo site and its first policy unless they exist."""
    site = db.session.execute(db.select(Site).where(Site.key == DEMO_SITE)).scalar_one_or_none()
    if site is None:
        site = policies.create_site(DEMO_SITE, "Espace locataire (démo)", DEMO_ORIGINS, None)
    try:
        policy = policies.latest_policy(site)
    except services.NotFound:
        policy = policies.publish_policy(site, DEMO_POLICY)
    return f"site {site.key}, policy version {policy.version}"
