"""Every back-office page and every mail, rendered in French and in English, shows words from the
translation tables: no code value (« awaiting_verification », « system », « queued »), no English
sentence on a French page, no French label on an English page, dates in words."""
from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import pytest

from backoffice.labels import LABELS
from consent_service import clock, worker
from consent_service.extensions import db
from dsar import intake, notify
from dsar.models import DsarRequest

from .conftest import HTML, NOW
from .test_pages import _site_with_two_versions

SNAKE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
ISO_DAY = re.compile(r"\b20\d\d-\d\d-\d\d\b")
# English words no French sentence of ours holds (a note the DPO typed in French has none either).
ENGLISH = re.compile(r"\b(the|was|were|been|with|this|cannot|must|request|deadline|received|verified|bytes|link|"
                     r"subject|unclassified|pending|queued|sent|failed|system)\b", re.IGNORECASE)


def _visible(page: str) -> str:
    """The text a reader sees: no tags, no attribute values, no <code> (ids, hashes, cookie names)."""
    page = re.sub(r"(?s)<(script|style|code)\b.*?</\1>", " ", page)
    # Words quoted in their own language (the subject of a mail sent in English) are marked so.
    page = re.sub(r'(?s)<(?!html)(\w+)\b[^>]*\blang="[a-z]{2}"[^>]*>.*?</\1>', " ", page)
    page = re.sub(r"(?s)<title>.*?</title>", " ", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _forbidden_codes() -> set[str]:
    """Code values whose French word is another word: seeing the code on a French page is a leak."""
    codes = set()
    for kind, table in LABELS["fr"].items():
        for code, word in table.items():
            if isinstance(code, str) and code.lower() not in word.lower() and len(code) > 3 and kind != "bool":
                codes.add(code)
    return codes


def _french_words() -> set[str]:
    """French labels that differ from their English ones: seeing one on an English page is a leak."""
    words = set()
    for kind, table in LABELS["fr"].items():
        for code, word in table.items():
            english = LABELS["en"][kind].get(code, "")
            if word != english and len(word) > 6 and " " in word:
                words.add(word)
    return words


def _sentences(lang: str) -> set[str]:
    """Pieces of the back-office's own sentences in ``lang`` (between their placeholders) that the
    other language writes differently: seeing one on a page in the other language is a leak."""
    from backoffice.texts import TEXTS

    other = "en" if lang == "fr" else "fr"
    pieces = set()
    for key, sentence in TEXTS[lang].items():
        if sentence == TEXTS[other].get(key):
            continue
        for piece in re.split(r"\{[^}]*\}", sentence):
            piece = piece.strip(" :;,.()\u00a0")
            if len(piece) >= 12 and " " in piece and piece not in TEXTS[other].get(key, ""):
                pieces.add(piece)
    return pieces


def _no_sentence_of(lang: str, visible: str, where: str) -> None:
    leaks = {piece for piece in _sentences(lang) if piece in visible}
    assert not leaks, (where, leaks)


def check_french(text: str, where: str) -> None:
    visible = _visible(text)
    assert not SNAKE.findall(visible), (where, SNAKE.findall(visible))
    assert not ISO_DAY.findall(visible), (where, ISO_DAY.findall(visible))
    leaks = {code for code in _forbidden_codes() if re.search(rf"\b{re.escape(code)}\b", visible)}
    assert not leaks, (where, leaks)
    english = [visible[max(0, m.start() - 60):m.end() + 60] for m in ENGLISH.finditer(visible)]
    assert not english, (where, english)
    _no_sentence_of("en", visible, where)


def check_english(text: str, where: str) -> None:
    visible = _visible(text)
    assert not SNAKE.findall(visible), (where, SNAKE.findall(visible))
    assert not ISO_DAY.findall(visible), (where, ISO_DAY.findall(visible))
    leaks = {word for word in _french_words() if word in visible}
    assert not leaks, (where, leaks)
    _no_sentence_of("fr", visible, where)


@pytest.fixture
def everything(bo, dsar_request, api_key):
    """Requests in every state with every kind of timeline event, a purge, a proof, mail in
    every status, two policy versions with lint findings: what the pages can show."""
    from datamap import purge_start

    _site_with_two_versions()
    consent = bo.test_client().post("/v1/sites/espace-locataire/consents", json={"action": "custom",
                                    "categories": {"analytics": False}}).get_json()
    refs = {name: dsar_request(type=kind, email=f"locataire{days}{len(name)}@example.fr", account_id=account,
                               channel=channel, received_at=NOW - dt.timedelta(days=days), note=None)
            for name, kind, account, channel, days in (
                ("waiting", "access", None, "post", 2), ("late", "erasure", "T-1", "phone", 40),
                ("done", "access", "T-2", "email", 3), ("refused", "objection", None, "post", 3),
                ("gone", "restriction", None, "post", 3), ("loose", None, None, "email", 1))}
    web = intake.submit_form(type="rectification", email="web@example.fr", full_name="Sacha Web", account_id=None,
                             birth_date=None, message="Mon adresse a changé.", locale="en")
    intake.submit_form(type="rectification", email="web@example.fr", full_name="Sacha Web", account_id=None,
                       birth_date=None, message="Mon adresse a changé.", locale="en")
    db.session.commit()
    refs["web"] = web.request.reference
    client = bo.test_client()
    dpo = {"Accept": "text/html"}
    from .conftest import sign_in

    assert sign_in(client).status_code == 302
    acts = [("done", "classify", {"type": "portability"}), ("done", "verify", {"method": "document", "note": "Vu"}),
            ("done", "extend", {"reason": "Volume important"}), ("done", "execute", {}),
            ("done", "complete", {"summary": "Export envoyé."}),
            ("refused", "reject", {"ground": "manifestly_unfounded", "reason": "Déjà traitée", "confirm": "y"}),
            ("gone", "withdraw", {"note": ""}), ("late", "verify", {"method": "in_person", "note": "Au guichet"})]
    for name, action, data in acts:
        response = client.post(f"/backoffice/requests/{refs[name]}/{action}", data=data, headers=dpo)
        assert response.status_code == 302, (name, action, response.get_data(as_text=True)[-2000:])
    clock.set_now(NOW + dt.timedelta(days=4))
    intake.send_reminders()
    worker.run_once() if hasattr(worker, "run_once") else None
    clock.set_now(NOW)
    dsar_request(type="access", account_id="T-2002", email="locataire2002@example.fr")  # kept open by the purge
    purge = purge_start.start_purge("T-2002", "account_deleted")
    db.session.commit()
    worker.run_once()
    db.session.commit()
    return {"refs": refs, "consent": consent["consent_id"], "purge": purge.purge_id}


def _pages(state) -> list[str]:
    paths = ["/backoffice/", "/backoffice/?page=1", "/backoffice/register", "/backoffice/register?overdue=true",
             "/backoffice/intake", "/backoffice/proofs", f"/backoffice/proofs/{state['consent']}",
             "/backoffice/policies", "/backoffice/policies/espace-locataire", "/backoffice/purges",
             f"/backoffice/purges/{state['purge']}", "/backoffice/audit"]
    paths += [f"/backoffice/requests/{reference}" for reference in state["refs"].values()]
    from consent_service.mail import OutboxMessage

    mails = db.session.execute(db.select(OutboxMessage.id)).scalars().all()
    failed = db.session.get(OutboxMessage, mails[0])
    failed.status, failed.last_error, failed.attempts = "failed", "SMTPRecipientsRefused", 5
    db.session.commit()
    paths += ["/backoffice/statistics", "/backoffice/records", "/backoffice/mail", "/backoffice/mail?status=failed",
              "/backoffice/seals", "/backoffice/accounts"]
    paths += [f"/backoffice/mail/{i}" for i in mails]
    from proofs import jobs, sealer
    from proofs import services as seals

    sealer.seal_pending()
    seals.request_verification("dpo@bailleur.example.fr")
    db.session.commit()
    assert jobs.verification_job() == 1
    paths += ["/backoffice/seals"]
    return paths


# GET paths of the back-office that are files, not pages: the plain register CSV is the API's
# (code values, by contract), the banner bundle is JavaScript, the static files are CSS. The two
# Excel CSVs are read by test_the_excel_files_speak_french.
DOWNLOADS = frozenset({"backoffice.register_csv", "backoffice.banner_bundle", "backoffice.static",
                       "backoffice.records_csv", "backoffice.register_excel_csv"})
# Pages a signed-out visitor sees: test_the_sign_in_pages_speak_french_then_english.
SIGNED_OUT = frozenset({"backoffice.login", "backoffice.login_code"})


def _posted(state) -> list[tuple[str, str, dict, int]]:
    """Pages a POST answers with: (what, path, form, status)."""
    return [("proof search", "/backoffice/proofs", {"kind": "consent_id", "value": state["consent"]}, 200),
            ("proof search refused", "/backoffice/proofs", {"kind": "account_id", "value": "../x"}, 422),
            ("intake refused", "/backoffice/intake", {"channel": "pigeon", "received_at": "2030-01-01T10:00",
                                                      "full_name": "", "email": "nope"}, 422),
            ("account refused", "/backoffice/accounts", {"account_id": "../x"}, 422)]


def test_every_back_office_page_speaks_french_then_english(bo, dpo_client, everything):
    paths = _pages(everything)
    for lang, check in (("fr", check_french), ("en", check_english)):
        for path in paths:
            joiner = "&" if "?" in path else "?"
            response = dpo_client.get(f"{path}{joiner}lang={lang}", headers=HTML)
            assert response.status_code == 200, path
            check(response.get_data(as_text=True), f"{lang} {path}")
        for what, path, form, status in _posted(everything):
            response = dpo_client.post(f"{path}?lang={lang}", data=form, headers=HTML)
            assert response.status_code == status, (what, response.get_data(as_text=True)[-1500:])
            check(response.get_data(as_text=True), f"{lang} {what}")
        # An account on screen (kept in the session, never in the URL).
        assert dpo_client.post("/backoffice/accounts", data={"account_id": "T-2"}, headers=HTML).status_code == 302
        check(dpo_client.get(f"/backoffice/accounts?lang={lang}", headers=HTML).get_data(as_text=True),
              f"{lang} account")
    # The list above is every page: a page added to the back-office without joining it fails here.
    adapter = bo.url_map.bind("localhost")
    visited = {adapter.match(path.split("?")[0], method="GET")[0] for path in paths}
    pages = {rule.endpoint for rule in bo.url_map.iter_rules()
             if rule.endpoint.startswith("backoffice.") and "GET" in (rule.methods or ())}
    assert pages - visited - DOWNLOADS - SIGNED_OUT == set()


def test_the_forbidden_page_speaks_french_then_english(bo, auditor_client):
    for lang, check in (("fr", check_french), ("en", check_english)):
        response = auditor_client.get(f"/backoffice/intake?lang={lang}", headers=HTML)
        assert response.status_code == 403
        check(response.get_data(as_text=True), f"{lang} forbidden")


def test_the_sign_in_pages_speak_french_then_english(bo, make_user):
    from .conftest import sign_in

    make_user()
    bo.config["BACKOFFICE_REQUIRE_2FA"] = True
    for lang, check in (("fr", check_french), ("en", check_english)):
        client = bo.test_client()
        check(client.get(f"/backoffice/login?lang={lang}", headers=HTML).get_data(as_text=True), f"{lang} login")
        failed = sign_in(client, password="not the password at all")
        assert failed.status_code == 200
        check(failed.get_data(as_text=True), f"{lang} login failed")
        assert sign_in(client).headers["Location"].endswith("/backoffice/login/code")
        enrol = client.get("/backoffice/login/code", headers=HTML).get_data(as_text=True)
        assert 'class="secret"' in enrol
        check(enrol, f"{lang} login code, enrolling")
        wrong = client.post("/backoffice/login/code", data={"code": "000000"}, headers=HTML)
        check(wrong.get_data(as_text=True), f"{lang} login code, wrong")
        assert "aria-invalid" in wrong.get_data(as_text=True)


def test_the_excel_files_speak_french(bo, dpo_client, everything):
    for path in ("/backoffice/register-excel.csv", "/backoffice/records.csv"):
        body = dpo_client.get(path, headers=HTML).data
        assert body.startswith("\ufeff".encode()), path
        check_french(body.decode("utf-8-sig"), path)
    check_english(dpo_client.get("/backoffice/records.csv?lang=en", headers=HTML).data.decode("utf-8-sig"),
                  "records.csv in English")


def test_a_missing_page_says_so_in_the_page_language(dpo_client):
    for lang, words in (("fr", "Page introuvable"), ("en", "Page not found")):
        response = dpo_client.get(f"/backoffice/requests/DSAR-2027-NOPE?lang={lang}", headers=HTML)
        assert response.status_code == 404 and words in response.get_data(as_text=True)
        (check_french if lang == "fr" else check_english)(response.get_data(as_text=True), f"{lang} 404")


def test_a_refused_action_is_explained_in_the_page_language(bo, dpo_client, everything):
    closed = everything["refs"]["refused"]
    for lang, check in (("fr", check_french), ("en", check_english)):
        response = dpo_client.post(f"/backoffice/requests/{closed}/extend?lang={lang}", data={"reason": "x"},
                                   headers=HTML)
        assert response.status_code == 409
        check(response.get_data(as_text=True), f"{lang} refused extend")
    page = _visible(dpo_client.post(f"/backoffice/requests/{closed}/complete?lang=fr", data={"summary": ""},
                                    headers=HTML).get_data(as_text=True))
    assert "elle ne peut pas être close" in page or "Ce champ est requis." in page


def _mails(request: DsarRequest) -> list[tuple[str, dict]]:
    return [("acknowledgement", {"verify_url": "http://x/verify"}), ("reminder", {"verify_url": "http://x/verify"}),
            ("verified", {}), ("extension", {"reason": "Volume important"}),
            ("completion", {"summary": "Export envoyé.", "export_url": "http://x/export"}),
            ("rejection", {"ground": "legal_obligation", "reason": "Bail actif"}), ("dpo_notice", {}),
            ("digest", {"rows": [{"r": request, "overdue": True, "days_left": -3},
                                 {"r": request, "overdue": False, "days_left": 2}], "today": NOW.date()})]


def test_every_mail_speaks_french_then_english(bo, dsar_request):
    from dsar.models import REJECTION_GROUNDS, TYPES

    request = db.session.execute(db.select(DsarRequest).where(
        DsarRequest.reference == dsar_request(type="access"))).scalar_one()
    # Every kind of mail the service sends: each has a subject and a template pair, and is rendered here.
    templates = {path.stem for path in Path(notify.__file__).parent.joinpath("templates/dsar/mail").iterdir()
                 if not path.name.startswith("_")}
    assert {name for name, _ in _mails(request)} == set(notify.SUBJECTS) == templates
    for lang, check in (("fr", check_french), ("en", check_english)):
        for kind in (*TYPES, None):  # each type, and a request not classified yet
            request.type = kind
            for name, context in _mails(request):
                subject, text, body = notify.render(name, lang, request.reference, r=request, **context)
                for part in (subject, text, body):
                    check(part, f"{lang} mail {name} {kind}")
        for ground in REJECTION_GROUNDS:
            for part in notify.render("rejection", lang, request.reference, r=request, ground=ground, reason="x"):
                check(part, f"{lang} rejection {ground}")
        for part in notify.render("completion", lang, request.reference, r=request, summary="x", export_url=None):
            check(part, f"{lang} completion without an export")
    db.session.rollback()
    _, text, _ = notify.render("dpo_notice", "fr", request.reference, r=request)
    # « à 10 h 00 », with no-break spaces
    assert "Type : accès" in text and "Canal : courrier" in text and "\u00a0h\u00a0" in text


def test_a_purge_receipt_names_the_services_own_data_and_why_it_keeps_some(dpo_client, everything):
    page = _visible(dpo_client.get(f"/backoffice/purges/{everything['purge']}?lang=fr", headers=HTML)
                    .get_data(as_text=True))
    assert "Le service de gestion des cookies et des demandes" in page and "Vos choix sur les cookies" in page
    assert "la réponse à une demande en cours est encore due" in page
    assert "consent-service" not in page and "GDPR art" not in page


def test_every_lint_finding_has_french_and_english_words(bo):
    import copy

    from backoffice.labels import LINT, label
    from cookies import policies
    from cookies.demo import DEMO_POLICY

    document = copy.deepcopy(DEMO_POLICY)
    document.update(implied_consent_on_continue=True, accept_validity_months=13, refuse_validity_months=12,
                    categories=[c for c in document["categories"] if c["required"]])
    findings = policies.lint(document)
    document.update(refuse_validity_months=1)
    findings += policies.lint(document)
    assert {f["rule"] for f in findings} == {"implied_consent", "long_validity", "refusal_reasked_sooner",
                                             "no_optional_category"}
    for finding in findings:
        french = LINT(finding["message"], "fr")
        assert french != finding["message"] and not SNAKE.findall(LINT(finding["message"], "en")), finding
        assert label("fr", "rule", finding["rule"]) != finding["rule"]


def test_the_address_check_notes_and_refusals_are_translated(bo):
    from dsar.intake import NOT_VERIFIED_NOTES, VERIFY_ANOTHER_WAY
    from dsar.wording import NOTES, REFUSALS

    for text in NOT_VERIFIED_NOTES.values():
        for catalog in (NOTES, REFUSALS):
            french = catalog(text + VERIFY_ANOTHER_WAY, "fr")
            assert french != text + VERIFY_ANOTHER_WAY and "Vérifiez son identité autrement" in french, text
    assert REFUSALS("The subject has not confirmed the request yet, and no other verification is recorded.",
                    "fr").startswith("La personne n'a pas encore confirmé")


def test_times_are_paris_times_in_words_on_pages_and_mails(bo, dpo_client, dsar_request):
    # Winter (UTC+1) and summer (UTC+2, the Paris day after the UTC one).
    for received, french, english in (
            # No-break spaces hold a French date and its time together (consent_service/i18n.py).
            (dt.datetime(2027, 2, 26, 13, 2, tzinfo=dt.UTC), "26\u00a0février\u00a02027 à\u00a014\u00a0h\u00a002",
             "26 February 2027 at 14:02"),
            (dt.datetime(2026, 7, 14, 22, 30, tzinfo=dt.UTC), "15\u00a0juillet\u00a02026 à\u00a00\u00a0h\u00a030",
             "15 July 2026 at 00:30")):
        reference = dsar_request(received_at=received, email=f"paris{received.month}@example.fr")
        for lang, words in (("fr", french), ("en", english)):
            page = html.unescape(dpo_client.get(f"/backoffice/requests/{reference}?lang={lang}", headers=HTML)
                                 .get_data(as_text=True))
            assert words in page, (lang, words)
            request = db.session.execute(db.select(DsarRequest).where(DsarRequest.reference == reference)).scalar_one()
            _, text, body = notify.render("dpo_notice", lang, reference, r=request)
            assert words in text and words in html.unescape(body), (lang, words)


def test_the_demo_requests_read_in_french_then_english(bo, dpo_client):
    from dsar.demo import load_demo_requests

    load_demo_requests()
    db.session.commit()
    references = db.session.execute(db.select(DsarRequest.reference)).scalars().all()
    assert len(references) == 4
    for lang, check in (("fr", check_french), ("en", check_english)):
        for reference in references:
            page = dpo_client.get(f"/backoffice/requests/{reference}?lang={lang}", headers=HTML)
            check(page.get_data(as_text=True), f"{lang} demo {reference}")
    assert "Demande de démonstration." in dpo_client.get(f"/backoffice/requests/{references[0]}?lang=fr",
                                                         headers=HTML).get_data(as_text=True)


def _written_notes() -> set[str]:
    """Every timeline note the service writes as a plain sentence (not built with values): the
    ``note`` of add_event, mark_verified's note, an executor's result, the demo's and the
    retention sweep's notes, found in the source so a new one cannot be forgotten."""
    import ast

    root = Path(notify.__file__).resolve().parents[1]
    notes = set()
    for path in [*root.joinpath("dsar").glob("*.py"), *root.joinpath("datamap").glob("*.py")]:
        if path.name == "wording.py":  # the tables of words themselves
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                values = [k.value for k in node.keywords if k.arg == "note"]
                if name == "mark_verified" and len(node.args) >= 4:
                    values.append(node.args[3])
                if name == "_result" and node.args:
                    values.append(node.args[0])
                notes |= {v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)}
            elif isinstance(node, ast.Dict):  # the keyword arguments of a call, as the demo gathers them
                notes |= {v.value for k, v in zip(node.keys, node.values, strict=True)
                          if isinstance(k, ast.Constant) and k.value == "note" and isinstance(v, ast.Constant)}
            elif isinstance(node, ast.Assign) and any(getattr(t, "id", "").endswith("_NOTE") for t in node.targets):
                notes.add(node.value.value) if isinstance(node.value, ast.Constant) else None
    return notes


def test_every_note_the_service_writes_reads_in_french():
    from dsar.wording import NOTES

    notes = _written_notes()
    assert "Demo request." in notes and "Verification reminder sent." in notes and len(notes) >= 8
    untranslated = sorted(note for note in notes if NOTES(note, "fr") == note)
    assert untranslated == []
    for note in notes:
        check_french(NOTES(note, "fr"), note)
        check_english(NOTES(note, "en"), note)


def test_an_objection_note_names_the_categories_and_themes_in_words(bo, dpo_client, dsar_request):
    from dsar.services import SYSTEM, add_event

    _site_with_two_versions()
    reference = dsar_request(type="objection")
    request = db.session.execute(db.select(DsarRequest).where(DsarRequest.reference == reference)).scalar_one()
    add_event(request, "executed", SYSTEM, note="Objection recorded to: analytics, nowhere. "
                                                "Notification themes turned off: appointment_confirmations.")
    db.session.commit()
    for lang, words, check in (
            ("fr", "Opposition enregistrée : Mesure d'audience, nowhere. Thèmes de notification désactivés : "
                   "Confirmations de rendez-vous.", check_french),
            ("en", "Objection recorded to: Audience measurement, nowhere. Notification themes turned off: "
                   "Appointment confirmations.", check_english)):
        page = dpo_client.get(f"/backoffice/requests/{reference}?lang={lang}", headers=HTML).get_data(as_text=True)
        assert words in html.unescape(page), lang
        check(page, f"{lang} objection note")


def test_a_rectification_note_names_columns_and_tables_as_the_data_map_labels_them(bo, dpo_client, dsar_request,
                                                                                   monkeypatch):
    from datamap.mapping import DataMap, Store, Table
    from dsar.services import SYSTEM, add_event

    tenants = Table(name="tenants", subject_column="account_id", on_erasure="delete",
                    label={"fr": "Mon compte", "en": "My account"},
                    column_labels={"email": {"fr": "Adresse e-mail", "en": "E-mail address"}})
    monkeypatch.setitem(bo.extensions, "datamap", DataMap(None, [Store("portal", "sql", tables=[tenants])], {},
                                                          ("analytics",)))
    reference = dsar_request(type="rectification")
    request = db.session.execute(db.select(DsarRequest).where(DsarRequest.reference == reference)).scalar_one()
    add_event(request, "executed", SYSTEM, note="Rectified email, phone_number in 2 row(s) of portal.tenants, "
                                                "portal.old_rows.")
    db.session.commit()
    for lang, words in (("fr", "Rectifié : Adresse e-mail, phone_number (2 ligne(s) ; Mon compte, portal.old_rows)."),
                        ("en", "Rectified: E-mail address, phone_number (2 row(s); My account, portal.old_rows).")):
        page = html.unescape(dpo_client.get(f"/backoffice/requests/{reference}?lang={lang}", headers=HTML)
                             .get_data(as_text=True))
        assert words in page, lang
