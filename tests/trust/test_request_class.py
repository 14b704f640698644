"""The input guard parses a JSON body once, through a public Flask API (``Flask.request_class``):
``request.get_json()`` answers from that parse, and a refused body is never parsed again."""
from __future__ import annotations

import pytest
from flask import request

from consent_service import input_guard
from consent_service.errors import Invalid


def _never_parsed_again(app, monkeypatch) -> list:
    calls: list = []

    def loads(*args, **kwargs):
        calls.append(args)
        raise AssertionError("the body was parsed a second time")

    monkeypatch.setattr(app.json, "loads", loads)
    return calls


def test_get_json_answers_from_the_guards_single_parse(app, monkeypatch):
    calls = _never_parsed_again(app, monkeypatch)
    body = b'{"a": [1, {"b": "c\\u00e9"}], "n": 1234567890123456789}'
    with app.test_request_context("/v1/sites", method="POST", data=body, content_type="application/json"):
        assert isinstance(request, input_guard.GuardedRequest)
        input_guard.guard()
        assert request.get_json() == {"a": [1, {"b": "cé"}], "n": 1234567890123456789}
        assert request.get_json(silent=True) == request.get_json(force=True)
    assert calls == []


@pytest.mark.parametrize("body", [b'{"a": "\\ud800"}', b'{"a": "x\\u0000"}', b'{"n": ' + b"9" * 40 + b"}"])
def test_a_refused_body_reads_as_no_body(app, monkeypatch, body):
    calls = _never_parsed_again(app, monkeypatch)
    with app.test_request_context("/v1/sites", method="POST", data=body, content_type="application/json"):
        with pytest.raises(Invalid):
            input_guard.guard()
        assert request.get_json() is None
        assert request.get_json(silent=True) is None
    assert calls == []


def test_without_the_guard_get_json_is_flasks(app):
    with app.test_request_context("/v1/sites", method="POST", data=b'{"a": 1}', content_type="application/json"):
        assert request.get_json() == {"a": 1}
    with app.test_request_context("/v1/sites", method="POST", data=b"{", content_type="application/json"):
        assert request.get_json(silent=True) is None
