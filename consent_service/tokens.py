"""Signed tokens (itsdangerous) with purpose-specific salts and key rotation."""
from __future__ import annotations

import functools
import json

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode


def _compact(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


class ReadableSerializer(URLSafeSerializer):
    """URL-safe signed JSON that is never compressed, so a page can read the payload."""

    def dump_payload(self, obj) -> bytes:
        return base64_encode(_compact(obj))


def signing_keys() -> list[str]:
    """Older keys first: itsdangerous signs with the last and accepts them all."""
    config = current_app.config
    return [*config.get("SECRET_KEY_FALLBACKS", []), config["SECRET_KEY"]]


@functools.lru_cache(maxsize=64)
def _readable(keys: tuple[str, ...], salt: str) -> ReadableSerializer:
    return ReadableSerializer(list(keys), salt=salt)


@functools.lru_cache(maxsize=64)
def _timed(keys: tuple[str, ...], salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(list(keys), salt=salt)


def readable(salt: str) -> ReadableSerializer:
    return _readable(tuple(signing_keys()), salt)


def timed(salt: str) -> URLSafeTimedSerializer:
    return _timed(tuple(signing_keys()), salt)


__all__ = ["BadData", "readable", "timed", "ReadableSerializer"]
