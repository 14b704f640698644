"""Every back-office rule of docs/backoffice.md, one test each."""
from __future__ import annotations

import datetime as dt
import re

from consent_service import clock
from consent_service.extensions import db

from .conftest import HTML, JSON, NOW, PASSWORD, csrf_token, sign_in

# The code step is public too, but without a password step just passed it only leads back to sign-in
# (tests/backoffice/test_accounts_2fa.py).
ANONYMOUS_OK = {"backoffice.login", "backoffice.login_submit", "backoffice.login_code", "backoffice.login_code_submit",
                "backoffice.static"}


def _backoffice_rules(app):
    return [r for r in app.url_map.iter_rules() if r.rule.startswith("/backoffice")]


def _url(rule, reference="DSAR-2027-AAAAAAAA"):
    values = {name: reference if name == "reference" else "1" if f"<int:{name}>" in rule.rule else "x1"
              for name in rule.arguments}
    path = rule.rule
    for name, value in values.items():
        path = re.sub(rf"<(?:[^:<>]+:)?{name}>", value, path)
    return path


def test_every_backoffice_route_refuses_an_anonymous_visitor(bo):
    client = bo.test_client()
    rules = [r for r in _backoffice_rules(bo) if r.endpoint not in ANONYMOUS_OK]
    assert len(rules) >= 20
    for rule in rules:
        path = _url(rule)
        for method in ("GET", "POST"):
            html = client.open(path, method=method, headers=HTML)
            assert html.status_code == 302, (method, path, html.status_code)
            assert html.headers["Location"].endswith("/backoffice/login"), (method, path)
            assert b"DSAR" not in html.data
            api = client.open(path, method=method, headers=JSON)
            assert api.status_code == 401, (method, path, api.status_code)
            assert api.get_json()["code"] == 401


def test_unknown_backoffice_paths_refuse_an_anonymous_visitor_too(bo):
    client = bo.test_client()
    assert client.get("/backoffice/nothing-here", headers=HTML).status_code == 302
    assert client.get("/backoffice", headers=JSON).status_code == 401


def test_a_client_without_accept_header_is_sent_to_sign_in(bo):
    response = bo.test_client().get("/backoffice/")
    assert response.status_code == 302


def test_the_sign_in_page_and_the_stylesheet_are_public(bo):
    bo.config["WTF_CSRF_ENABLED"] = True
    client = bo.test_client()
    page = client.get("/backoffice/login", headers=HTML)
    assert page.status_code == 200
    assert b'name="email"' in page.data and b'name="password"' in page.data and b'name="csrf_token"' in page.data
    assert client.get("/backoffice/static/backoffice/backoffice.css").status_code == 200


def test_an_auditor_gets_403_on_every_action(bo, auditor_client, dsar_request):
    reference = dsar_request()
    actions = [r for r in _backoffice_rules(bo) if getattr(bo.view_functions[r.endpoint], "backoffice_action", False)]
    assert {r.endpoint for r in actions} >= {
        "backoffice.act_classify", "backoffice.act_verify", "backoffice.act_extend", "backoffice.act_execute",
        "backoffice.act_reject", "backoffice.act_complete", "backoffice.act_withdraw", "backoffice.intake_form",
        "backoffice.intake_submit"}
    for rule in actions:
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = auditor_client.open(_url(rule, reference), method=method, headers=HTML,
                                           data={"type": "access", "method": "document", "note": "n",
                                                 "reason": "r", "summary": "s", "ground": "excessive",
                                                 "confirm": "y", "channel": "post", "full_name": "X"})
            assert response.status_code == 403, (method, rule.rule)
            assert "Votre rôle ne permet que la consultation." in response.get_data(as_text=True)
    from dsar.services import get_request

    made = get_request(reference)
    assert made.status == "awaiting_verification" and len(made.events) == 1


def test_an_auditor_reads_every_page(auditor_client, dsar_request):
    reference = dsar_request()
    for path in ("/backoffice/", f"/backoffice/requests/{reference}", "/backoffice/register", "/backoffice/audit",
                 "/backoffice/proofs", "/backoffice/policies", "/backoffice/purges"):
        assert auditor_client.get(path, headers=HTML).status_code == 200, path
    page = auditor_client.get(f"/backoffice/requests/{reference}", headers=HTML).get_data(as_text=True)
    assert "/verify" not in page and "<form method=\"post\" action=\"/backoffice/requests" not in page


def test_forms_without_a_csrf_token_are_refused(bo, make_user, dsar_request):
    reference = dsar_request()
    make_user()
    bo.config["WTF_CSRF_ENABLED"] = True
    client = bo.test_client()
    assert sign_in(client).status_code == 400  # the sign-in form itself
    login_page = client.get("/backoffice/login", headers=HTML).get_data(as_text=True)
    assert sign_in(client, csrf_token=csrf_token(login_page)).status_code == 302
    refused = client.post(f"/backoffice/requests/{reference}/verify", headers=HTML,
                          data={"method": "document", "note": "ID card seen"})
    assert refused.status_code == 400
    forged = client.post(f"/backoffice/requests/{reference}/verify", headers=HTML,
                         data={"method": "document", "note": "ID card seen", "csrf_token": "forged"})
    assert forged.status_code == 400
    assert client.post("/backoffice/logout", headers=HTML).status_code == 400
    page = client.get(f"/backoffice/requests/{reference}", headers=HTML).get_data(as_text=True)
    accepted = client.post(f"/backoffice/requests/{reference}/verify", headers=HTML,
                           data={"method": "document", "note": "ID card seen", "csrf_token": csrf_token(page)})
    assert accepted.status_code == 302


def test_the_json_api_takes_no_csrf_token(bo, api_key):
    bo.config["WTF_CSRF_ENABLED"] = True
    response = bo.test_client().post("/v1/dsar/requests/intake", headers=api_key("dsar:admin"), json={
        "type": "access", "channel": "post", "received_at": "2027-02-27T09:00:00Z", "full_name": "A B"})
    assert response.status_code == 201, response.get_json()


def _cookie_header(response) -> str:
    found = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("backoffice_session=")]
    assert found, response.headers
    return found[-1]


def test_the_session_cookie_is_httponly_samesite_strict_and_not_secure_over_http(bo, make_user):
    make_user()
    header = _cookie_header(sign_in(bo.test_client()))
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/backoffice" in header
    assert "Secure" not in header


def test_the_session_cookie_is_secure_when_the_public_url_is_https(app_with):
    from backoffice.models import BackofficeUser

    from .conftest import _hash

    app = app_with(PUBLIC_BASE_URL="https://consent.example.fr", SECURE_COOKIES=True,
                   BACKOFFICE_LOGIN_RATE_LIMIT="off", WTF_CSRF_ENABLED=False)
    db.session.add(BackofficeUser(email="dpo@bailleur.example.fr", password_hash=_hash(PASSWORD), role="dpo",
                                  failed_logins=0, created_at=clock.now()))
    db.session.commit()
    client = app.test_client()
    response = client.post("/backoffice/login", base_url="https://consent.example.fr", headers=HTML,
                           data={"email": "dpo@bailleur.example.fr", "password": PASSWORD})
    header = _cookie_header(response)
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Strict" in header


def test_idle_for_thirty_minutes_signs_out(bo, dpo_client):
    assert dpo_client.get("/backoffice/", headers=HTML).status_code == 200
    clock.set_now(NOW + dt.timedelta(minutes=29))
    assert dpo_client.get("/backoffice/", headers=HTML).status_code == 200  # activity resets the idle time
    clock.set_now(NOW + dt.timedelta(minutes=29 + 30, seconds=1))
    expired = dpo_client.get("/backoffice/", headers=HTML)
    assert expired.status_code == 302 and expired.headers["Location"].endswith("/backoffice/login")
    page = dpo_client.get("/backoffice/login", headers=HTML).get_data(as_text=True)
    assert "inactivité" in page
    clock.set_now(NOW + dt.timedelta(minutes=60))
    assert dpo_client.get("/backoffice/", headers=HTML).status_code == 302  # still signed out
    from backoffice.services.audit import audit_trail

    assert "signed_out_idle" in [i.action for i in audit_trail()]


def test_sign_out_ends_the_session(dpo_client):
    assert dpo_client.post("/backoffice/logout", headers=HTML).status_code == 302
    assert dpo_client.get("/backoffice/", headers=HTML).status_code == 302


def test_repeated_failures_lock_the_account_then_it_unlocks(bo, make_user):
    make_user()
    client = bo.test_client()
    for _ in range(5):
        failed = sign_in(client, password="wrong password here")
        assert failed.status_code == 200 and "identifiants incorrects" in failed.get_data(as_text=True)
    locked = sign_in(client)  # the right password, but locked
    assert locked.status_code == 200
    unknown = sign_in(client, "nobody@bailleur.example.fr").get_data(as_text=True)
    assert locked.get_data(as_text=True) == unknown.replace("nobody@", "dpo@")
    clock.set_now(NOW + dt.timedelta(minutes=14))
    assert sign_in(client).status_code == 200
    clock.set_now(NOW + dt.timedelta(minutes=15, seconds=1))
    assert sign_in(client).status_code == 302
    from backoffice.models import BackofficeUser

    user = db.session.execute(db.select(BackofficeUser)).scalar_one()
    db.session.refresh(user)
    assert user.failed_logins == 0 and user.locked_until is None and user.last_login is not None


def test_an_unknown_address_and_a_wrong_password_answer_alike(bo, make_user):
    make_user()
    client = bo.test_client()
    unknown = sign_in(client, "nobody@bailleur.example.fr").get_data(as_text=True)
    wrong = sign_in(client, password="wrong password here").get_data(as_text=True)
    assert unknown.replace("nobody", "dpo") == wrong


def test_the_sign_in_post_is_rate_limited(bo, make_user):
    bo.config["BACKOFFICE_LOGIN_RATE_LIMIT"] = "3 per minute"
    client = bo.test_client()
    codes = [sign_in(client, "nobody@bailleur.example.fr").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get("/backoffice/login", headers=HTML).status_code == 200  # only the POST counts


def test_security_headers_on_backoffice_pages(dpo_client):
    for path in ("/backoffice/login", "/backoffice/"):
        response = dpo_client.get(path, headers=HTML)
        csp = response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["Cache-Control"] == "no-store"
        body = response.get_data(as_text=True)
        assert "<script" not in body and "style=" not in body and "<style" not in body
        assert "http://" not in body.replace("http://localhost", "")  # no external CDN


def test_a_proof_search_keeps_ids_out_of_the_url(dpo_client):
    page = dpo_client.get("/backoffice/proofs", headers=HTML).get_data(as_text=True)
    assert re.search(r'<form method="post" action="/backoffice/proofs"', page)


def test_outside_the_backoffice_no_session_is_read_nor_set(bo, dpo_client):
    """Flask-Login must not add ``Vary: Cookie`` to the public, cacheable answers."""
    from cookies.demo import load_demo_site

    load_demo_site()
    db.session.commit()
    for path in ("/v1/sites/espace-locataire/policy", "/banner.js", "/sites/espace-locataire/cookies", "/healthz"):
        response = dpo_client.get(path)
        assert "Cookie" not in response.headers.get("Vary", ""), path
        assert not response.headers.getlist("Set-Cookie"), path
