"""The hot paths' cheaper token checks accept and refuse exactly what the slower ones did."""
import os
import random
import string

import pytest
from itsdangerous import BadSignature, URLSafeSerializer
from itsdangerous.encoding import base64_decode, base64_encode
from itsdangerous.signer import HMACAlgorithm

from consent_service.tokens import ReadableSerializer, _canonical, _KeyCachingSigner, _OneShotHMAC


def _round_trips(segment: str) -> bool:
    try:
        return base64_encode(base64_decode(segment)).decode("ascii") == segment
    except Exception:  # noqa: BLE001 - undecodable is not canonical
        return False


def test_the_canonical_check_agrees_with_decoding_and_encoding_again():
    rng = random.Random(15)
    alphabet = string.ascii_letters + string.digits + "-_=+/!. "
    segments = ["", "A", "AA", "AB", "AQ", "AAA", "AAB", "AAE", "AAAA", "_-", "a=="]
    segments += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 12))) for _ in range(5000)]
    segments += [base64_encode(os.urandom(rng.randrange(0, 40))).decode() for _ in range(1000)]
    for segment in segments:
        assert _canonical(segment) == (segment == "" or _round_trips(segment)), segment


@pytest.mark.parametrize("key, message", [(b"k", b""), (b"k" * 100, b"v" * 1000), (os.urandom(20), os.urandom(64))])
def test_the_one_shot_hmac_is_itsdangerous_hmac(key, message):
    assert _OneShotHMAC().get_signature(key, message) == HMACAlgorithm().get_signature(key, message)


def test_tokens_signed_before_still_verify_and_altered_ones_do_not():
    legacy = URLSafeSerializer(["secret"], salt="cookies.r_ci").dumps({"site": "s", "due": 1})
    ours = ReadableSerializer(["secret"], salt="cookies.r_ci")
    assert ours.loads(legacy) == {"site": "s", "due": 1}
    payload, signature = legacy.rsplit(".", 1)
    for altered in (f"{payload}.{signature[:-1]}{'B' if signature[-1] == 'A' else 'A'}", f"{payload}x.{signature}"):
        with pytest.raises(BadSignature):
            ours.loads(altered)


def test_the_readable_serializer_signs_with_the_key_caching_signer_and_the_same_signatures():
    ours = ReadableSerializer(["older", "secret"], salt="cookies.r_ci")
    assert isinstance(ours.make_signer(), _KeyCachingSigner)
    token = ours.dumps({"site": "s", "due": 1})
    assert URLSafeSerializer(["secret"], salt="cookies.r_ci").loads(token) == {"site": "s", "due": 1}
    older = URLSafeSerializer(["older"], salt="cookies.r_ci").dumps({"site": "s"})
    assert ours.loads(older) == {"site": "s"}  # a token signed with a previous key still verifies


def _reference_loads(serializer: URLSafeSerializer, token: str):
    """What ReadableSerializer.loads must do: refuse a non-canonical token, else itsdangerous's loads."""
    if not all(_canonical(segment) for segment in token.split(".")):
        raise BadSignature("not canonical")
    return serializer.loads(token)


def _mutations(token: str, rng: random.Random) -> list[str]:
    alphabet = string.ascii_letters + string.digits + "-_.=!é"
    changed = []
    for _ in range(40):
        at = rng.randrange(len(token) + 1)
        choice = rng.randrange(4)
        if choice == 0:
            changed.append(token[:at] + rng.choice(alphabet) + token[at:])
        elif choice == 1:
            changed.append(token[:at] + token[at + 1:])
        elif choice == 2 and at < len(token):
            changed.append(token[:at] + rng.choice(alphabet) + token[at + 1:])
        else:
            changed.append(token[:at])
    return changed + ["", ".", "..", token + "." + token, "." + token, token.replace(".", "..")]


def test_the_lean_loads_accepts_and_refuses_exactly_what_itsdangerous_loads_does():
    rng = random.Random(16)
    ours = ReadableSerializer(["older", "secret"], salt="cookies.cookie_consent")
    reference = URLSafeSerializer(["older", "secret"], salt="cookies.cookie_consent")
    stranger = URLSafeSerializer(["another"], salt="cookies.cookie_consent")
    tokens = []
    for _ in range(300):
        payload = {"id": os.urandom(rng.randrange(1, 20)).hex(), "cat": {"analytics": rng.random() < 0.5},
                   "until": rng.randrange(2**40)}
        signer = rng.choice([ours, URLSafeSerializer(["older"], salt="cookies.cookie_consent"), stranger])
        tokens.append(signer.dumps(payload))
    accepted = refused = 0
    for token in tokens:
        for candidate in [token, *_mutations(token, rng)]:
            try:
                expected = ("ok", _reference_loads(reference, candidate))
            except BadSignature:
                expected = ("refused", None)
            except Exception as err:  # noqa: BLE001 - the reference's own refusals (BadPayload...)
                expected = ("refused", type(err).__name__)
            try:
                got = ("ok", ours.loads(candidate))
            except BadSignature:
                got = ("refused", None)
            except Exception as err:  # noqa: BLE001
                got = ("refused", type(err).__name__)
            assert got[0] == expected[0], candidate
            if got[0] == "ok":
                assert got == expected, candidate
                accepted += 1
            else:
                refused += 1
    assert accepted >= 200 and refused >= 10000  # both outcomes were exercised
