"""The back-office's long lists come a page at a time: the register, the audit trail and the
purge receipts (``?page=N``), with a pager below them; a bad page number is the 404 page; the
register CSV stays whole; a consent-proof search says when it shows only the most recent."""
from __future__ import annotations

import datetime as dt
import re
import secrets

import pytest

from consent_service import clock
from consent_service.extensions import db

from .conftest import HTML, JSON, NOW

LIST_PATHS = ("/backoffice/register", "/backoffice/audit", "/backoffice/purges")


def _bulk_requests(count: int, **fields) -> list[str]:
    """``count`` requests written straight to the table (the intake is too slow for hundreds),
    one minute apart, the last one newest; their references, oldest first."""
    from dsar.models import DsarRequest

    references = []
    for i in range(count):
        received = NOW - dt.timedelta(days=3) + dt.timedelta(minutes=i)
        reference = f"DSAR-2027-B{secrets.token_hex(4).upper()}"
        db.session.add(DsarRequest(**{
            "reference": reference, "type": "access", "status": "awaiting_verification", "channel": "post",
            "locale": "fr", "received_at": received, "due_on": (received + dt.timedelta(days=30)).date(),
            "due_at": received + dt.timedelta(days=30), "first_due_at": received + dt.timedelta(days=30),
            "extended": False, "verify_nonce": secrets.token_hex(8), "created_at": received, **fields}))
        references.append(reference)
    db.session.commit()
    return references


def _references(body: str) -> list[str]:
    return re.findall(r'href="/backoffice/requests/([^"]+)"', body)


def _pager(body: str) -> str | None:
    found = re.search(r'<nav class="pager".*?</nav>', body, re.S)
    return found.group(0) if found else None


def _links(body: str) -> dict[str, str]:
    """The pager's links by ``rel`` (prev, next), with their ``&amp;`` undone."""
    return {rel: href.replace("&amp;", "&")
            for href, rel in re.findall(r'<a href="([^"]+)" rel="(prev|next)"', _pager(body) or "")}


def _get(client, path):
    response = client.get(path, headers=HTML)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


@pytest.fixture
def new_request(dsar_request):
    """``dsar_request`` with a new address each time (the intake folds a repeat into the first)."""
    counter = iter(range(1, 10_000))
    return lambda **changes: dsar_request(**{"email": f"person{next(counter)}@example.fr", **changes})


@pytest.fixture
def small_pages(bo):
    bo.config["BACKOFFICE_PAGE_SIZE"] = 2
    return bo


# --- the register -----------------------------------------------------------------------------


def test_register_pages_hold_every_request_once_newest_first(small_pages, dpo_client, new_request):
    same_time = NOW - dt.timedelta(days=1)
    made = [new_request(received_at=NOW - dt.timedelta(days=5)), new_request(received_at=same_time),
            new_request(received_at=same_time), new_request(received_at=same_time),
            new_request(received_at=NOW - dt.timedelta(hours=1))]
    pages = [_references(_get(dpo_client, f"/backoffice/register?page={n}")) for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [2, 2, 1]
    seen = [ref for page in pages for ref in page]
    # Newest first; the three received at the same moment by their id (the newest row first).
    assert seen == [made[4], made[3], made[2], made[1], made[0]]
    assert _references(_get(dpo_client, "/backoffice/register")) == pages[0]


def test_the_pager_says_where_we_are_and_links_only_to_pages_that_exist(small_pages, dpo_client, new_request):
    for days in range(5):
        new_request(received_at=NOW - dt.timedelta(days=days + 1))
    first = _get(dpo_client, "/backoffice/register")
    pager = _pager(first)
    assert pager is not None and 'aria-label="Pagination"' in pager
    assert "Page 1 sur 3" in pager and "5 au total" in pager
    assert _links(first) == {"next": "/backoffice/register?page=2"}
    middle = _get(dpo_client, "/backoffice/register?page=2")
    assert "Page 2 sur 3" in _pager(middle)
    assert _links(middle) == {"prev": "/backoffice/register?page=1", "next": "/backoffice/register?page=3"}
    last = _get(dpo_client, "/backoffice/register?page=3")
    assert _links(last) == {"prev": "/backoffice/register?page=2"}
    assert "Suivant" not in _pager(last) and "Précédent" in _pager(last)


def test_the_pager_speaks_english_too(small_pages, dpo_client, new_request):
    for days in range(3):
        new_request(received_at=NOW - dt.timedelta(days=days + 1))
    pager = _pager(_get(dpo_client, "/backoffice/register?page=2&lang=en"))
    assert "Page 2 of 2" in pager and "3 in all" in pager and "Previous" in pager
    assert "Précédent" not in pager and "Next" not in pager


def test_register_filters_are_kept_across_pages(small_pages, dpo_client, new_request):
    wanted = [new_request(type="access", received_at=NOW - dt.timedelta(days=d)) for d in (6, 5, 4)]
    others = [new_request(type="erasure", received_at=NOW - dt.timedelta(days=d)) for d in (3, 2, 1)]
    first = _get(dpo_client, "/backoffice/register?type=access&status=awaiting_verification")
    assert "3 au total" in _pager(first)
    following = _links(first)["next"]
    assert following.startswith("/backoffice/register?") and "page=2" in following
    assert "type=access" in following and "status=awaiting_verification" in following
    second = _get(dpo_client, following)
    assert _references(first) + _references(second) == wanted[::-1]
    assert not set(others) & set(_references(first) + _references(second))
    back = _links(second)["prev"]
    assert "type=access" in back and "status=awaiting_verification" in back and "page=1" in back


def test_no_pager_when_everything_fits_on_one_page(small_pages, dpo_client, new_request):
    assert _pager(_get(dpo_client, "/backoffice/register")) is None  # nothing at all
    assert _pager(_get(dpo_client, "/backoffice/register?page=1")) is None
    new_request(received_at=NOW - dt.timedelta(days=2))
    new_request(received_at=NOW - dt.timedelta(days=1))
    body = _get(dpo_client, "/backoffice/register")
    assert len(_references(body)) == 2 and _pager(body) is None and "Page 1" not in body
    assert _pager(_get(dpo_client, "/backoffice/purges")) is None


def test_the_default_page_size_is_50(bo, dpo_client):
    references = _bulk_requests(51)
    first = _get(dpo_client, "/backoffice/register")
    assert _references(first) == references[::-1][:50] and "Page 1 sur 2" in _pager(first)
    assert _references(_get(dpo_client, "/backoffice/register?page=2")) == references[:1]


# --- the audit trail --------------------------------------------------------------------------


def test_audit_trail_pages_skip_and_repeat_nothing_across_both_sources(small_pages, dpo_client, new_request):
    from backoffice import paging
    from backoffice.services import audit as services

    # At NOW (the clock stands still): the sign-in entry, two DSAR events and four entries, all
    # with the same time; then two more at other moments.
    new_request(account_id="T-1")
    new_request(account_id="T-2")
    for i in range(4):
        services.audit("dpo@bailleur.example.fr", "proof_search", f"same-time {i}")
    clock.set_now(NOW - dt.timedelta(hours=1))
    services.audit("dpo@bailleur.example.fr", "proof_search", "an hour earlier")
    clock.set_now(NOW + dt.timedelta(minutes=1))
    new_request(account_id="T-3")
    clock.set_now(NOW)
    db.session.commit()

    everything = services.audit_trail(limit=1000)
    assert len(everything) == 9
    walked = []
    for number in range(1, 6):
        page = services.audit_trail_page(number, 2)
        assert page.total == 9 and page.pages == 5
        walked += page.items
    key = [(i.at, i.action, i.target, i.reference) for i in walked]
    assert len(set(key)) == 9 and key == [(i.at, i.action, i.target, i.reference) for i in everything]
    assert [i.at for i in walked] == sorted((i.at for i in walked), reverse=True)
    assert walked[-1].target == "an hour earlier" and walked[0].at == NOW + dt.timedelta(minutes=1)
    # The same moment from both sources: the DSAR events first, each source newest row first.
    at_now = [(i.action, i.target) for i in walked if i.at == NOW]
    assert at_now == [("received", "awaiting_verification"), ("received", "awaiting_verification"),
                      ("proof_search", "same-time 3"), ("proof_search", "same-time 2"),
                      ("proof_search", "same-time 1"), ("proof_search", "same-time 0"), ("signed_in", None)]
    with pytest.raises(paging.NoSuchPage):
        services.audit_trail_page(6, 2)


def test_audit_trail_pages_in_the_browser(small_pages, dpo_client, new_request):
    from backoffice.services import audit as services

    for i in range(4):
        services.audit("dpo@bailleur.example.fr", "proof_search", f"entry-{i}")
    db.session.commit()
    bodies = [_get(dpo_client, f"/backoffice/audit?page={n}") for n in (1, 2, 3)]
    targets = [re.findall(r"entry-\d|connexion", body.split("<tbody>")[1].split("</tbody>")[0]) for body in bodies]
    assert targets == [["entry-3", "entry-2"], ["entry-1", "entry-0"], ["connexion"]]
    assert "Page 3 sur 3" in _pager(bodies[2]) and "5 au total" in _pager(bodies[2])
    assert _links(bodies[0]) == {"next": "/backoffice/audit?page=2"}
    assert _links(bodies[2]) == {"prev": "/backoffice/audit?page=2"}


# --- purge receipts ---------------------------------------------------------------------------


def test_purge_receipts_are_paged_newest_first(small_pages, dpo_client):
    from datamap import purge_start

    made = []
    for i in range(3):
        clock.set_now(NOW - dt.timedelta(hours=3 - i))
        made.append(purge_start.start_purge(f"T-40{i}", "account_deleted").purge_id)
    db.session.commit()
    clock.set_now(NOW)
    first, second = _get(dpo_client, "/backoffice/purges"), _get(dpo_client, "/backoffice/purges?page=2")
    ids = [re.findall(r'href="/backoffice/purges/([0-9a-f]+)"', body) for body in (first, second)]
    assert ids == [[made[2], made[1]], [made[0]]]
    assert "Page 1 sur 2" in _pager(first) and "3 au total" in _pager(first)
    assert _links(second) == {"prev": "/backoffice/purges?page=1"}


# --- bad page numbers -------------------------------------------------------------------------

BAD_PAGES = ("0", "-1", "abc", "", "1.5", "+1", " 1", "1 ", "0x1", "１", "01", "9" * 10, str(10 ** 30), "1e3")


@pytest.mark.parametrize("path", LIST_PATHS)
def test_a_bad_page_number_is_the_404_page(small_pages, dpo_client, path):
    for value in BAD_PAGES:
        response = dpo_client.get(path, query_string={"page": value}, headers=HTML)
        assert response.status_code == 404, (path, value)
        assert response.mimetype == "text/html" and "Page introuvable" in response.get_data(as_text=True), (path, value)
    twice = dpo_client.get(f"{path}?page=1&page=2", headers=HTML)
    assert twice.status_code == 404 and twice.mimetype == "text/html"
    assert dpo_client.get(f"{path}?page=1&page=1", headers=HTML).status_code == 404


@pytest.mark.parametrize("path", LIST_PATHS)
def test_a_page_past_the_last_is_404_and_the_last_is_not(small_pages, dpo_client, new_request, path):
    from datamap import purge_start

    for i in range(3):  # 3 requests, 3 purges; 4 audit rows (the sign-in and 3 DSAR events)
        new_request(received_at=NOW - dt.timedelta(days=i + 1))
        purge_start.start_purge(f"T-50{i}", "account_deleted")
    db.session.commit()
    assert dpo_client.get(f"{path}?page=2", headers=HTML).status_code == 200
    for value in (3, 999_999_999):
        response = dpo_client.get(f"{path}?page={value}", headers=HTML)
        assert response.status_code == 404 and response.mimetype == "text/html", value


@pytest.mark.parametrize("path", LIST_PATHS)
def test_a_short_or_empty_list_has_a_page_1_and_no_page_2(small_pages, dpo_client, path):
    # Nothing in the register nor the purges; the audit trail holds the sign-in only.
    assert dpo_client.get(f"{path}?page=1", headers=HTML).status_code == 200
    assert dpo_client.get(f"{path}?page=2", headers=HTML).status_code == 404


@pytest.mark.parametrize("path", LIST_PATHS)
def test_anonymous_visitors_are_sent_to_sign_in_whatever_the_page(bo, path):
    client = bo.test_client()
    for query in ("page=2", "page=0", "page=abc", "page=1&page=2"):
        response = client.get(f"{path}?{query}", headers=HTML)
        assert response.status_code == 302, (path, query)
        assert response.headers["Location"].endswith("/backoffice/login")
    refused = client.get(f"{path}?page=2", headers=JSON)
    assert refused.status_code == 401 and refused.is_json


# --- what is not paged ------------------------------------------------------------------------


def test_the_register_csv_holds_every_matching_row_not_a_page(small_pages, dpo_client, new_request):
    access = [new_request(type="access", received_at=NOW - dt.timedelta(days=d)) for d in (1, 2, 3)]
    erasure = new_request(type="erasure", received_at=NOW - dt.timedelta(days=4))
    every = dpo_client.get("/backoffice/register.csv?page=2", headers=HTML).get_data(as_text=True).splitlines()
    assert len(every) == 5 and [line.split(",")[0] for line in every[1:]] == access + [erasure]
    filtered = dpo_client.get("/backoffice/register.csv?type=access", headers=HTML).get_data(as_text=True)
    assert [line.split(",")[0] for line in filtered.splitlines()[1:]] == access


def test_the_register_csv_is_not_cut_at_500_rows(bo, dpo_client):
    references = _bulk_requests(501)
    lines = dpo_client.get("/backoffice/register.csv", headers=HTML).get_data(as_text=True).splitlines()
    assert len(lines) == 502
    assert lines[1].startswith(references[-1]) and lines[-1].startswith(references[0])


def _consents(bo, count: int) -> str:
    from cookies.demo import load_demo_site

    load_demo_site()
    db.session.commit()
    client = bo.test_client()
    visitor = client.post("/v1/sites/espace-locataire/consents", json={"action": "refuse_all"}).get_json()["visitor_id"]
    for _ in range(count - 1):
        clock.set_now(clock.now() + dt.timedelta(minutes=1))
        client.post("/v1/sites/espace-locataire/consents", json={"action": "accept_all", "visitor_id": visitor})
    return visitor


def test_a_proof_search_says_when_it_shows_only_the_most_recent(bo, dpo_client, monkeypatch):
    from backoffice.services import proofs

    monkeypatch.setattr(proofs, "PROOF_LIMIT", 2)
    visitor = _consents(bo, 3)
    response = dpo_client.post("/backoffice/proofs", data={"kind": "visitor_id", "value": visitor}, headers=HTML)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "(2)" in body
    assert "Seules les 2 preuves les plus récentes sont affichées : affinez la recherche." in body
    assert body.count('href="/backoffice/proofs/') == 2 and "tout refusé" not in body  # the oldest is left out
    english = dpo_client.post("/backoffice/proofs?lang=en", data={"kind": "visitor_id", "value": visitor},
                              headers=HTML).get_data(as_text=True)
    assert "Only the 2 most recent proofs are shown: narrow the search." in english
    assert "identifiant visiteur : 2+ preuve(s)" in _get(dpo_client, "/backoffice/audit?lang=fr")


def test_a_proof_search_that_fits_says_nothing_more(bo, dpo_client, monkeypatch):
    from backoffice.services import proofs

    monkeypatch.setattr(proofs, "PROOF_LIMIT", 2)
    visitor = _consents(bo, 2)
    body = dpo_client.post("/backoffice/proofs", data={"kind": "visitor_id", "value": visitor},
                           headers=HTML).get_data(as_text=True)
    assert "(2)" in body and "tout refusé" in body and "Seules les" not in body and 'class="cut"' not in body


def test_the_language_link_keeps_the_page_and_its_filters(small_pages, dpo_client, new_request):
    for days in (6, 5, 4):
        new_request(type="access", received_at=NOW - dt.timedelta(days=days))

    def language_link(body):
        return sorted(re.search(r'<p class="lang"><a href="\?([^"]+)"', body).group(1).replace("&amp;", "&").split("&"))

    french = _get(dpo_client, "/backoffice/register?type=access&page=2")
    assert language_link(french) == ["lang=en", "page=2", "type=access"]
    english = _get(dpo_client, "/backoffice/register?type=access&page=2&lang=en")
    assert '<html lang="en">' in english
    assert language_link(english) == ["lang=fr", "page=2", "type=access"]
