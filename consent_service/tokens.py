"""Signed tokens (itsdangerous) with purpose-specific salts and key rotation."""
from __future__ import annotations

import functools
import hmac
import json
import re
from collections.abc import Mapping
from typing import Any

from flask import current_app
from itsdangerous import BadData, BadSignature, Signer, URLSafeSerializer, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.signer import HMACAlgorithm


def _compact(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


_BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_SEGMENT = re.compile(r"[A-Za-z0-9_-]*")
# Unpadded base64: 2 characters left over carry 4 spare bits, 3 carry 2; canonically all zero.
_CANONICAL_LAST = {2: frozenset(_BASE64URL[::16]), 3: frozenset(_BASE64URL[::4])}


def _canonical(segment: str) -> bool:
    """Whether decoding ``segment`` and encoding the bytes again gives it back, without doing
    either (the consent cookies are checked on every page view): only base64url characters,
    no impossible length, no spare bit set in the last character."""
    left = len(segment) % 4
    if left == 1 or not _SEGMENT.fullmatch(segment):
        return False
    return left == 0 or segment[-1] in _CANONICAL_LAST[left]


class CanonicalMixin:
    """Refuse base64 segments that are not spelled canonically.

    A signature's last base64 character carries spare bits, so without this check a few
    one-character changes to a token would still verify.
    """

    def loads(self, s: str | bytes, *args: Any, **kwargs: Any) -> Any:
        text = s.decode("ascii", "replace") if isinstance(s, bytes) else str(s)
        if not all(_canonical(segment) for segment in text.split(".")):
            raise BadSignature("token is not canonically encoded")
        return super().loads(s, *args, **kwargs)  # type: ignore[misc]  # a mixin: the serializer is next in the MRO


class _OneShotHMAC(HMACAlgorithm):
    """HMAC-SHA1, as itsdangerous computes it, in OpenSSL's one-shot call: itsdangerous hands
    ``hmac.new`` a Python wrapper of ``hashlib.sha1``, which takes the slow pure-Python path."""

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return hmac.digest(key, value, "sha1")


class _KeyCachingSigner(Signer):
    """itsdangerous derives the HMAC key from the secret and the salt on every signature and
    every check; it depends on nothing else, so it is derived once per secret (the consent
    cookies are signed and checked on the hot paths). Signatures are HMAC-SHA1 (itsdangerous's
    default) computed in one call."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("algorithm", _OneShotHMAC())
        super().__init__(*args, **kwargs)

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        secret = self.secret_keys[-1] if secret_key is None else secret_key
        derived: dict[str | bytes, bytes] = self.__dict__.setdefault("_derived", {})
        if secret not in derived:
            derived[secret] = super().derive_key(secret)
        return derived[secret]


class ReadableSerializer(CanonicalMixin, URLSafeSerializer):
    """URL-safe signed JSON that is never compressed, so a page can read the payload."""

    default_signer = _KeyCachingSigner  # itsdangerous's documented class attribute for the signer

    def dump_payload(self, obj: Any) -> bytes:
        return base64_encode(_compact(obj))

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        # One signer per salt, reused: a signer keeps no state between calls.
        salt = self.salt if salt is None else salt
        signers: dict[str | bytes | None, Signer] = self.__dict__.setdefault("_signers", {})
        if salt not in signers:
            signers[salt] = super().make_signer(salt)
        return signers[salt]

    def loads(self, s: str | bytes, salt: str | bytes | None = None, **kwargs: Any) -> Any:
        """``Serializer.loads`` for this format (``payload.signature``, no fallback signers),
        through the same public steps (``Signer.verify_signature``, ``load_payload``) without
        its generic layers: the consent cookies are read on every page view, and this takes a
        fifth off each read (8.9 to 7.0 µs, timeit on this machine). tests/core/test_token_speedups.py
        compares it with ``Serializer.loads`` on generated and altered tokens."""
        text = s.decode("ascii", "replace") if isinstance(s, bytes) else str(s)
        value, dot, signature = text.rpartition(".")
        # (a payload itsdangerous compressed starts with a dot: tokens it signed stay readable)
        if not dot or not _canonical(value[1:] if value[:1] == "." else value) or not _canonical(signature):
            raise BadSignature("token is not canonically encoded")
        raw = value.encode("ascii")
        if not self.make_signer(salt).verify_signature(raw, signature.encode("ascii")):
            raise BadSignature(f"Signature {signature!r} does not match", payload=raw)
        return self.load_payload(raw, **kwargs)


class TimedSerializer(CanonicalMixin, URLSafeTimedSerializer):
    """Signed, timestamped, canonically encoded (links sent by e-mail)."""


def signing_keys(config: Mapping[str, Any] | None = None) -> list[str]:
    """Older keys first: itsdangerous signs with the last and accepts them all (``config``:
    an application's, for callers outside its context; the current one's otherwise)."""
    config = current_app.config if config is None else config
    return [*config.get("SECRET_KEY_FALLBACKS", []), config["SECRET_KEY"]]


@functools.lru_cache(maxsize=64)
def _readable(keys: tuple[str, ...], salt: str) -> ReadableSerializer:
    return ReadableSerializer(list(keys), salt=salt)


@functools.lru_cache(maxsize=64)
def _timed(keys: tuple[str, ...], salt: str) -> TimedSerializer:
    return TimedSerializer(list(keys), salt=salt)


def readable(salt: str, config: Mapping[str, Any] | None = None) -> ReadableSerializer:
    return _readable(tuple(signing_keys(config)), salt)


def timed(salt: str) -> TimedSerializer:
    return _timed(tuple(signing_keys()), salt)


__all__ = ["BadData", "readable", "timed", "ReadableSerializer"]
