"""schemathesis against /v1/openapi.json, in positive (valid inputs) and negative (invalid
inputs) modes: no 5xx, no response that breaks its own schema."""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance
from schemathesis.generation import GenerationMode

from consent_service import apikeys
from consent_service.extensions import db
from cookies.demo import load_demo_site

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _operations(app):
    schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the OpenAPI description lists no operation"
    return operations


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"])
def test_api_never_fails_and_keeps_to_its_schema(app, mode):
    load_demo_site()
    app.config["CONSENT_RATE_LIMIT"] = "off"
    app.config["DSAR_RATE_LIMIT"] = "off"
    key = apikeys.create_key("fuzzer", list(apikeys.SCOPES))
    db.session.commit()
    headers = {"Authorization": f"Bearer {key}"}
    failures = []
    for operation in _operations(app):
        @settings(max_examples=30 if mode is GenerationMode.POSITIVE else 20, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def fuzz(case):
            case.call_and_validate(headers=headers, checks=CHECKS)
            db.session.rollback()

        try:
            fuzz()
        except Unsatisfiable:
            # negative mode: the only inputs are path segments that any string satisfies
            assert mode is GenerationMode.NEGATIVE, f"{operation.method.upper()} {operation.path}: no valid input"
        except Exception as err:  # collect all operations' failures, then report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {err}")
    assert not failures, "\n\n".join(failures)
