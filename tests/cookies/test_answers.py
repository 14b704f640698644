"""answers.cookie_header writes exactly what werkzeug's dump_cookie writes, on generated input."""
import datetime as dt
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.http import dump_cookie, http_date

from consent_service import clock
from cookies import answers

TOKEN = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.", max_size=300)
ANY_VALUE = st.text(max_size=60)  # quoting, non-ASCII, separators: dump_cookie's own business
DOMAIN = st.one_of(st.none(), st.just(""), st.from_regex(r"\.?[a-z0-9-]{1,20}(\.[a-z]{2,6}){0,2}(:[0-9]{1,5})?",
                                                        fullmatch=True), st.text(max_size=20))
NAME = st.sampled_from(["cookie_consent", "r_ci", "n"])


def _both(name, value, max_age, expires, domain, secure, max_size):
    outcomes = []
    for make in (lambda: answers.cookie_header(name, value, max_age, expires, domain, secure, max_size),
                 lambda: dump_cookie(name, value, max_age=max_age, expires=expires, path="/", domain=domain,
                                     secure=secure, httponly=False, samesite="Lax", max_size=max_size)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                outcomes.append((make(), [str(w.message) for w in caught]))
            except Exception as err:  # noqa: BLE001 - compared below: both must fail alike
                outcomes.append((type(err), []))
    return outcomes


@settings(max_examples=400, deadline=None)
@given(name=NAME, value=st.one_of(TOKEN, ANY_VALUE), max_age=st.integers(0, 10**9),
       when=st.integers(0, 4 * 10**9), domain=DOMAIN, secure=st.booleans(),
       max_size=st.sampled_from([0, 200, 4093]))
def test_cookie_header_is_dump_cookie(name, value, max_age, when, domain, secure, max_size):
    ours, werkzeugs = _both(name, value, max_age, http_date(when), domain, secure, max_size)
    assert ours == werkzeugs


@pytest.mark.parametrize("domain", ["\x01", "\x02", "a\x02b\x01c"])
def test_a_domain_holding_the_template_markers_still_gets_dump_cookies_header(domain):
    ours, werkzeugs = _both("r_ci", "abc", 60, http_date(0), domain, False, 4093)
    assert ours == werkzeugs


@pytest.mark.parametrize("secure", [False, True])
def test_the_decision_cookies_are_dump_cookies_own(app, secure):
    """The headers a decision sends: each as dump_cookie writes it from max_age."""
    from types import SimpleNamespace

    app.config["SECURE_COOKIES"] = secure
    decision = SimpleNamespace(cookie_consent="eyJhIjoxfQ.c2lnbmF0dXJl", r_ci="eyJkdWUiOjF9.c2ln", max_age=34214400)
    policy = SimpleNamespace(cookie_domain="example.org")
    for (_, header), (name, value) in zip(answers.consent_cookie_headers(app, decision, policy),
                                          [("cookie_consent", decision.cookie_consent), ("r_ci", decision.r_ci)],
                                          strict=True):
        expected = dump_cookie(name, value, max_age=decision.max_age, path="/", domain="example.org", secure=secure,
                               httponly=False, samesite="Lax", max_size=app.config["MAX_COOKIE_SIZE"])
        # Expires is derived from the clock by both: equal unless a second ticked in between
        assert header.split("; Expires=")[0] == expected.split("; Expires=")[0]
        assert header.split("; Max-Age=")[1] == expected.split("; Max-Age=")[1]


JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(data=st.dictionaries(st.text(max_size=10), JSON_VALUE, max_size=6), ensure_ascii=st.booleans(),
       sort_keys=st.booleans())
def test_json_body_writes_what_flasks_provider_writes(data, ensure_ascii, sort_keys):
    from flask import Flask

    app = Flask("json_body")
    app.json.ensure_ascii, app.json.sort_keys = ensure_ascii, sort_keys
    assert answers.json_body(app, data) == (app.json.dumps(data, separators=(",", ":")) + "\n").encode()


@settings(max_examples=300, deadline=None)
@given(moment=st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59)))
def test_rfc3339_of_a_timestamp_is_rfc3339_of_its_datetime(moment):
    at = moment.replace(microsecond=0, tzinfo=dt.UTC)
    assert clock.rfc3339_at(int(at.timestamp())) == clock.rfc3339(dt.datetime.fromtimestamp(int(at.timestamp()),
                                                                                            dt.UTC))
