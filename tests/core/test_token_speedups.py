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
