"""Proof seals: the latest seal, the last verification, and the DPO's « Vérifier les preuves »
(queued here, run by the worker: docs/proofs.md)."""
from __future__ import annotations

from flask import Response, abort, current_app, redirect, render_template, url_for
from flask_login import current_user

from consent_service import i18n
from consent_service.errors import NotFound
from consent_service.extensions import db
from proofs import services as seal_services
from proofs.verify import PROBLEMS

from ..services.audit import audit
from .base import bp, dpo_required, lang

RECENT = 10

TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Sceaux des preuves",
        "intro": ("Toutes les {interval} secondes au plus, les nouvelles preuves de consentement sont scellées "
                  "par lot : l'empreinte de chaque sceau dépend de toutes les preuves qu'il couvre et du sceau "
                  "précédent. Une preuve modifiée, ajoutée ou supprimée après coup se voit à la vérification."),
        "latest": "Dernier sceau", "none": "Aucun sceau pour l'instant : les preuves seront scellées au prochain "
                                          "passage du traitement de fond.",
        "number": "Numéro", "sealed_at": "Scellé le", "hash": "Empreinte (SHA-256)", "count": "Preuves couvertes",
        "journal": "Journal des sceaux hors base", "journal_on": "activé", "journal_off": "non configuré : rien hors "
                   "de la base ne garde l'empreinte des sceaux",
        "check": "Dernière vérification", "never": "Les preuves n'ont jamais été vérifiées.",
        "passed": "Réussie", "failed": "Échec", "checked": "{seals} et {records} vérifiés",
        "finished": "terminée le {when}", "problem": "Premier écart",
        "queued": "Vérification demandée le {when} : le traitement de fond va la lancer.",
        "running": "Vérification en cours depuis le {when}.", "refresh": "Actualiser la page",
        "verify": "Vérifier les preuves", "verify_hint": "Recalcule chaque sceau et chaque preuve scellée.",
        "recent": "Sceaux récents",
    },
    "en": {
        "title": "Proof seals",
        "intro": ("At most every {interval} seconds, new consent proofs are sealed in a batch: each seal's hash "
                  "depends on every proof it covers and on the seal before it. A proof edited, added or deleted "
                  "afterwards shows at verification."),
        "latest": "Latest seal", "none": "No seal yet: proofs are sealed at the worker's next pass.",
        "number": "Number", "sealed_at": "Sealed", "hash": "Hash (SHA-256)", "count": "Proofs covered",
        "journal": "Seal journal outside the database", "journal_on": "on",
        "journal_off": "not set: nothing outside the database keeps the seals' hashes",
        "check": "Last verification", "never": "The proofs have never been verified.",
        "passed": "Passed", "failed": "Failed", "checked": "{seals} and {records} verified",
        "finished": "finished {when}", "problem": "First mismatch",
        "queued": "Verification asked {when}: the worker will run it.",
        "running": "Verification running since {when}.", "refresh": "Refresh the page",
        "verify": "Verify the proofs", "verify_hint": "Recomputes every seal and every sealed proof.",
        "recent": "Recent seals",
    },
}

# The counts in the last verification's line: (one, many), for ``i18n.plural``.
PLURALS: dict[str, dict[str, tuple[str, str]]] = {
    "fr": {"seals": ("{n} sceau", "{n} sceaux"), "records": ("{n} preuve", "{n} preuves")},
    "en": {"seals": ("{n} seal", "{n} seals"), "records": ("{n} proof", "{n} proofs")},
}


@bp.get("/seals")
def seals():
    language = lang()
    finished, waiting = seal_services.latest_verifications()
    problem = None
    if finished is not None and finished.problem in PROBLEMS:
        problem = PROBLEMS[finished.problem][1 if language == "fr" else 0].format(subject=finished.subject)
    recent = seal_services.recent_seals(RECENT)
    checked = None
    if finished is not None:
        counts = PLURALS[language]
        checked = TEXTS[language]["checked"].format(
            seals=i18n.plural(finished.seals, *counts["seals"], locale=language),
            records=i18n.plural(finished.records, *counts["records"], locale=language))
    return render_template("backoffice/seals.html", s=TEXTS[language], latest=recent[0] if recent else None,
                           recent=recent, finished=finished, waiting=waiting, problem=problem, checked=checked,
                           interval=current_app.config["SEAL_INTERVAL_SECONDS"],
                           journal=bool(current_app.config["SEAL_JOURNAL"]))


@bp.get("/bundles/<string:banner_hash>")
def banner_bundle(banner_hash):
    """The banner.js a proof names, exactly as it was served, to download."""
    try:
        found = seal_services.bundle(banner_hash)
    except NotFound:
        abort(404)
    response = Response(found.body, mimetype="text/javascript")
    response.headers["Content-Disposition"] = f'attachment; filename="banner-{found.banner_hash[:12]}.js"'
    return response


@bp.post("/seals/verify")
@dpo_required
def seals_verify():
    seal_services.request_verification(current_user.email)
    audit(current_user.email, "proofs_verification")
    db.session.commit()
    return redirect(url_for("backoffice.seals"), code=303)
