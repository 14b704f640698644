"""No signed token survives any one-character change (hypothesis)."""
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consent_service import create_app, tokens
from cookies.services import CONSENT_SALT, RCI_SALT

ALPHABET = string.ascii_letters + string.digits + "-_."


@pytest.fixture(scope="module")
def app_context():
    app = create_app({"TESTING": True, "SECRET_KEY": "property-key", "SQLALCHEMY_DATABASE_URI": "sqlite://"},
                     environ={"SECRET_KEY": "property-key"})
    with app.app_context():
        yield


PAYLOADS = st.fixed_dictionaries({
    "id": st.text(alphabet="0123456789abcdef", min_size=32, max_size=32),
    "vid": st.text(alphabet=ALPHABET[:-1], min_size=8, max_size=64),
    "site": st.sampled_from(["espace-locataire", "autre"]),
    "ver": st.integers(min_value=1, max_value=10_000),
    "cat": st.dictionaries(st.sampled_from(["functional", "analytics", "ads"]), st.booleans()),
    "until": st.integers(min_value=0, max_value=2**40),
})


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=PAYLOADS, data=st.data())
def test_any_one_character_change_breaks_a_consent_token(app_context, payload, data):
    for salt in (CONSENT_SALT, RCI_SALT):
        serializer = tokens.readable(salt)
        token = serializer.dumps(payload)
        position = data.draw(st.integers(min_value=0, max_value=len(token) - 1))
        here = token[position]
        replacement = data.draw(st.sampled_from(ALPHABET).filter(lambda c, here=here: c != here))
        altered = token[:position] + replacement + token[position + 1:]
        with pytest.raises(tokens.BadData):
            serializer.loads(altered)


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=PAYLOADS, data=st.data())
def test_any_one_character_change_breaks_a_timed_token(app_context, payload, data):
    serializer = tokens.timed("dsar.verify")
    token = serializer.dumps(payload)
    position = data.draw(st.integers(min_value=0, max_value=len(token) - 1))
    replacement = data.draw(st.sampled_from(ALPHABET).filter(lambda c: c != token[position]))
    with pytest.raises(tokens.BadData):
        serializer.loads(token[:position] + replacement + token[position + 1:])


@settings(max_examples=100)
@given(payload=PAYLOADS)
def test_a_token_for_one_purpose_is_refused_for_the_other(app_context, payload):
    consent = tokens.readable(CONSENT_SALT).dumps(payload)
    with pytest.raises(tokens.BadData):
        tokens.readable(RCI_SALT).loads(consent)
