"""The hot handlers (cookies/hot.py) answer the current policy, consent-state and consent
writes exactly as Flask does, status, headers and body, and hand Flask what they cannot answer."""
import datetime as dt
import functools
import itertools
import uuid

import pytest
import sqlalchemy as sa

from consent_service import apikeys, clock
from consent_service.extensions import db, limiter
from cookies import policies, services
from cookies.hot import HotPaths
from cookies.models import ConsentRecord

from .helpers import ORIGIN, make_site, publish

SITE = "espace-locataire"
POLICY = f"/v1/sites/{SITE}/policy"
STATE = f"/v1/sites/{SITE}/consent-state"
WRITE = f"/v1/sites/{SITE}/consents"
TRACE = {"X-Request-Id": "trace-42"}
NOW = dt.datetime(2027, 1, 31, 9, 0, tzinfo=dt.UTC)


def _holder(app) -> tuple[object, str]:
    """What holds the hot middleware, and under which attribute (wrappers such as ProxyFix or
    the metrics timer may sit in front of it)."""
    holder, attribute = app, "wsgi_app"
    while not isinstance(getattr(holder, attribute), HotPaths):
        holder = getattr(holder, attribute)
        attribute = "app" if hasattr(holder, "app") and not isinstance(holder, type(app)) else "wsgi_app"
    return holder, attribute


def _hot(app) -> HotPaths:
    holder, attribute = _holder(app)
    return getattr(holder, attribute)


@pytest.fixture
def handed(app, handed_of):
    """The requests the hot handlers hand to Flask."""
    return handed_of(app)


class Answers:
    """The same request answered by the hot handlers and by Flask alone."""

    def __init__(self, app):
        self.app, self.client = app, app.test_client()

    def hot(self, method, path, **kwargs):
        self.client._cookies.clear()
        return _normal(self.client.open(path, method=method, **kwargs))

    def flask(self, method, path, **kwargs):
        place, attribute = _holder(self.app)
        hot = getattr(place, attribute)
        setattr(place, attribute, functools.partial(type(self.app).wsgi_app, self.app))
        try:
            return self.hot(method, path, **kwargs)
        finally:
            setattr(place, attribute, hot)


def _normal(response):
    return response.status_code, sorted(response.headers.items()), response.get_data()


@pytest.fixture
def admin(api_key):
    return api_key("sites:admin")


def _site(client, admin):
    make_site(client, admin)
    client.get(POLICY)  # the current policy is now cached in this process
    for hot in [_hot(client.application)]:
        if hasattr(hot.flask, "seen"):
            hot.flask.seen.clear()  # what the set-up handed to Flask


class _FrozenDatetime(dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return dt.datetime.fromtimestamp(1_800_000_000, tz)


@pytest.fixture
def same_ids(monkeypatch):
    """Decisions made twice get the same ids, times and rate-limit counts, so their answers can
    be compared."""
    clock.set_now(NOW)
    monkeypatch.setattr("time.time", lambda: 1_800_000_000.0)  # the limit's window and Retry-After
    monkeypatch.setattr("werkzeug.http.datetime", _FrozenDatetime)  # a cookie's Expires

    def restart():
        db.session.execute(sa.delete(ConsentRecord))  # the same ids again
        db.session.commit()
        limiter.reset()
        counter = itertools.count()
        monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=next(counter)))

    return restart


def _cookie_jar(client):
    body = client.post(WRITE, json={"action": "custom", "categories": {"analytics": True}}).get_json()
    return f"cookie_consent={body['cookies']['cookie_consent']['value']}; r_ci={body['cookies']['r_ci']['value']}"


READS = [
    ("GET", POLICY, {}),
    ("HEAD", POLICY, {}),
    ("GET", POLICY, {"Origin": ORIGIN}),
    ("GET", POLICY, {"Origin": "https://evil.example"}),
    ("GET", POLICY, {"If-None-Match": "*"}),
    ("GET", POLICY, {"If-None-Match": '"other"'}),
    ("GET", STATE, {}),
    ("HEAD", STATE, {}),
    ("GET", STATE, {"Origin": ORIGIN, "Sec-GPC": "1"}),
    ("GET", STATE, {"Origin": "https://evil.example"}),
    ("GET", STATE, {"Cookie": "r_ci=garbage"}),
]


def test_reads_are_answered_as_flask_answers_them(app, client, admin, handed):
    _site(client, admin)
    jar = _cookie_jar(client)
    etag = client.get(POLICY).headers["ETag"]
    cases = READS + [
        ("GET", POLICY, {"If-None-Match": etag}),
        ("HEAD", POLICY, {"If-None-Match": etag, "Origin": ORIGIN}),
        ("GET", POLICY, {"If-None-Match": f'W/"x", {etag}'}),
        ("GET", POLICY, {"If-None-Match": f"W/{etag}"}),
        ("GET", STATE, {"Cookie": jar}),
        ("GET", STATE, {"Cookie": jar, "Origin": ORIGIN, "Sec-GPC": "1"}),
        ("GET", STATE, {"Cookie": jar.replace("cookie_consent=", "cookie_consent=x", 1)}),
    ]
    answers = Answers(app)
    for method, path, headers in cases:
        expected = answers.flask(method, path, headers={**headers, **TRACE})
        before = len(handed)
        assert answers.hot(method, path, headers={**headers, **TRACE}) == expected, (method, path, headers)
        assert len(handed) == before, f"{method} {path} {headers} went through Flask"


def test_a_write_is_answered_as_flask_answers_it(app, client, admin, handed, same_ids):
    _site(client, admin)
    answers = Answers(app)
    for body, headers in [
        ({"action": "accept_all", "page": "https://www.example.fr/a?q=1"}, {"Origin": ORIGIN}),
        ({"action": "refuse_all", "locale": "en"}, {"Sec-GPC": "1", "User-Agent": "UA/1"}),
        ({"action": "custom", "categories": {"analytics": True}, "visitor_id": "v" * 32}, {}),
    ]:
        same_ids()
        expected = answers.flask("POST", WRITE, json=body, headers={**headers, **TRACE})
        same_ids()
        before = len(handed)
        assert answers.hot("POST", WRITE, json=body, headers={**headers, **TRACE}) == expected, body
        assert expected[0] == 201 and len(handed) == before


def test_every_hot_write_is_committed(app, client, admin):
    _site(client, admin)
    ids = [client.post(WRITE, json={"action": "accept_all"}).get_json()["consent_id"] for _ in range(3)]
    db.session.remove()
    assert {services.get_proof(i).consent_id for i in ids} == set(ids)


@pytest.mark.parametrize("body, content_type", [
    (b'{"action": "accept_all"', "application/json"),  # malformed: 400
    (b'{"action": "maybe"}', "application/json"),  # invalid: 422
    (b'{"action": "accept_all", "extra": 1}', "application/json"),  # unknown field: 422
    (b'{"action": "continue"}', "application/json"),  # implied consent refused: 409
    (b'{"action": "custom", "categories": {"ads": true}}', "application/json"),  # unknown category: 422
    (b'{"action": "accept_all", "locale": "de"}', "application/json"),  # 422
    (b'["accept_all"]', "application/json"),
    (b'action=accept_all', "application/x-www-form-urlencoded"),
])
def test_a_refused_write_is_flasks_to_answer(app, client, admin, handed, same_ids, body, content_type):
    _site(client, admin)
    answers = Answers(app)
    same_ids()
    expected = answers.flask("POST", WRITE, data=body, headers={"Content-Type": content_type, **TRACE})
    same_ids()
    before = len(handed)
    assert answers.hot("POST", WRITE, data=body, headers={"Content-Type": content_type, **TRACE}) == expected
    assert expected[0] in {400, 409, 415, 422} and len(handed) == before + 1


def test_a_write_from_a_refused_origin_is_refused_by_flask(app, client, admin, handed):
    _site(client, admin)
    response = client.post(WRITE, json={"action": "accept_all"}, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403 and handed == [WRITE]


def test_the_request_id_is_new_on_every_hot_answer(app, client, admin):
    _site(client, admin)
    etag = client.get(POLICY).headers["ETag"]
    ids = {client.get(POLICY, headers={"If-None-Match": etag}).headers["X-Request-Id"] for _ in range(3)}
    ids |= {client.get(STATE).headers["X-Request-Id"] for _ in range(3)}
    ids |= {client.post(WRITE, json={"action": "accept_all"}).headers["X-Request-Id"] for _ in range(3)}
    assert len(ids) == 9


def test_a_request_id_sent_is_returned_by_the_hot_answers(app, client, admin):
    _site(client, admin)
    for method, path, kwargs in [("GET", POLICY, {}), ("GET", STATE, {}),
                                 ("POST", WRITE, {"json": {"action": "accept_all"}})]:
        assert client.open(path, method=method, headers=TRACE, **kwargs).headers["X-Request-Id"] == "trace-42"


@pytest.mark.parametrize("setting, method, path, kwargs", [
    ("CONSENT_RATE_LIMIT", "POST", WRITE, {"json": {"action": "refuse_all"}}),
    ("CONSENT_READ_RATE_LIMIT", "GET", STATE, {}),
    ("CONSENT_READ_RATE_LIMIT", "GET", POLICY, {}),
])
def test_a_route_limit_applies_to_the_hot_answers_as_to_flasks(app_with, admin_key, same_ids, handed_of,
                                                                setting, method, path, kwargs):
    app = app_with(**{setting: "2 per minute"})
    client = app.test_client()
    _site(client, admin_key(app))
    answers, handed = Answers(app), handed_of(app)
    same_ids()
    expected = [answers.flask(method, path, headers=TRACE, **kwargs) for _ in range(3)]
    same_ids()
    before = len(handed)
    assert [answers.hot(method, path, headers=TRACE, **kwargs) for _ in range(3)] == expected
    assert [status for status, _, _ in expected] == [201 if method == "POST" else 200] * 2 + [429]
    assert dict(expected[0][1])["X-RateLimit-Remaining"] == "1" and "Retry-After" in dict(expected[2][1])
    assert len(handed) == before  # the 429 too: rendered by Flask's handlers, not handed over


def test_hot_and_flask_answers_share_one_counter(app_with, admin_key):
    app = app_with(CONSENT_RATE_LIMIT="2 per minute")
    client = app.test_client()
    _site(client, admin_key(app))
    limiter.reset()
    answers = Answers(app)
    assert answers.hot("POST", WRITE, json={"action": "accept_all"})[0] == 201
    assert answers.flask("POST", WRITE, json={"action": "accept_all"})[0] == 201
    assert answers.hot("POST", WRITE, json={"action": "accept_all"})[0] == 429
    assert answers.flask("POST", WRITE, json={"action": "accept_all"})[0] == 429


def test_behind_proxy_fix_the_client_address_is_the_forwarded_one(app_with, admin_key, same_ids, handed_of):
    app = app_with(TRUSTED_PROXY_HOPS=1, CONSENT_RATE_LIMIT="1 per minute")
    client = app.test_client()
    _site(client, admin_key(app))
    answers, handed = Answers(app), handed_of(app)
    first = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https", **TRACE}
    same_ids()
    expected = [answers.flask("POST", WRITE, json={"action": "accept_all"}, headers=first),
                answers.flask("POST", WRITE, json={"action": "accept_all"},
                              headers={**first, "X-Forwarded-For": "203.0.113.10"})]
    same_ids()
    got = [answers.hot("POST", WRITE, json={"action": "accept_all"}, headers=first),
           answers.hot("POST", WRITE, json={"action": "accept_all"},
                       headers={**first, "X-Forwarded-For": "203.0.113.10"})]
    assert got == expected and [status for status, _, _ in got] == [201, 201] and not handed
    consent_id = client.post(WRITE, json={"action": "accept_all"},
                             headers={"X-Forwarded-For": "198.51.100.7"}).get_json()["consent_id"]
    assert services.get_proof(consent_id).ip == "198.51.100.0"
    for method, path in [("GET", STATE), ("GET", POLICY), ("HEAD", POLICY)]:
        assert answers.hot(method, path, headers=first) == answers.flask(method, path, headers=first)


def test_a_policy_not_cached_yet_is_read_by_flask_then_answered_hot(app, client, admin, handed):
    _site(client, admin)
    policies.forget_cached_policy()
    client.get(STATE)
    client.get(STATE)
    assert handed == [STATE]


def test_a_new_version_is_answered_at_once(app, client, admin):
    _site(client, admin)
    etag = client.get(POLICY).headers["ETag"]
    assert client.get(POLICY, headers={"If-None-Match": etag}).status_code == 304
    publish(client, admin, accept_validity_months=6)
    response = client.get(POLICY, headers={"If-None-Match": etag})
    assert response.status_code == 200 and response.get_json()["version"] == 2


@pytest.mark.parametrize("method, path", [
    ("GET", "/v1/sites/nowhere/consent-state"), ("OPTIONS", STATE), ("PUT", WRITE), ("GET", f"{POLICY}/lint"),
    ("GET", f"/v1/sites/{SITE}/x/policy"), ("GET", "/v1/sites//policy"), ("DELETE", POLICY),
])
def test_other_requests_go_to_flask(app, client, admin, handed, method, path):
    _site(client, admin)
    client.open(path, method=method)
    assert handed == [path]


def test_request_wide_limits_send_everything_to_flask(app_with, admin_key, handed_of):
    app = app_with(RATELIMIT_DEFAULT="100 per minute")
    client = app.test_client()
    _site(client, admin_key(app))
    handed = handed_of(app)
    client.get(STATE)
    assert handed == [STATE]


@pytest.fixture
def admin_key():
    def factory(app):
        key = apikeys.create_key(f"key-{uuid.uuid4().hex[:8]}", ["sites:admin"])
        db.session.commit()
        return {"Authorization": f"Bearer {key}"}

    return factory


@pytest.fixture
def handed_of():
    restore = []

    def factory(app):
        hot = _hot(app)
        flask_wsgi, seen = hot.flask, []

        def counting(environ, start_response):
            seen.append(environ["PATH_INFO"])
            return flask_wsgi(environ, start_response)

        counting.seen = seen
        hot.flask = counting
        restore.append((hot, flask_wsgi))
        return seen

    yield factory
    for hot, flask_wsgi in restore:
        hot.flask = flask_wsgi


@pytest.mark.parametrize("limit", ["off", "600 per minute"])  # off: the write runs without a request context
def test_a_line_logged_while_a_hot_handler_records_a_consent_carries_the_answers_request_id(
        app_with, admin_key, handed_of, monkeypatch, limit):
    import io
    import json
    import logging

    from consent_service import logs
    from cookies import views

    app = app_with(CONSENT_RATE_LIMIT=limit)
    client = app.test_client()
    _site(client, admin_key(app))
    handed = handed_of(app)
    record = views.record

    def recording_with_a_warning(*args, **kwargs):
        logging.getLogger("cookies.views").warning("a warning while recording a consent")
        return record(*args, **kwargs)

    monkeypatch.setattr(views, "record", recording_with_a_warning)
    stream = io.StringIO()
    handler = logs.handler("json", stream)
    logger = logging.getLogger("cookies.views")
    logger.addHandler(handler)
    try:
        sent = client.post(WRITE, json={"action": "accept_all"}, headers={"X-Request-Id": "trace-hot-1"})
        generated = client.post(WRITE, json={"action": "refuse_all"})
    finally:
        logger.removeHandler(handler)
    assert sent.status_code == generated.status_code == 201 and handed == []  # the hot handler answered both
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["request_id"] for line in lines] == [sent.headers["X-Request-Id"], generated.headers["X-Request-Id"]]
    assert sent.headers["X-Request-Id"] == "trace-hot-1" and generated.headers["X-Request-Id"] != "trace-hot-1"
    from consent_service import request_id

    assert request_id.current() is None  # nothing stays current once the answer is given
