"""schemathesis against /v1/openapi.json: no 5xx, no response that breaks its own schema."""
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from consent_service import apikeys
from consent_service.extensions import db
from cookies.demo import load_demo_site

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _operations(app):
    schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the OpenAPI description lists no operation"
    return operations


def test_api_never_fails_and_keeps_to_its_schema(app):
    load_demo_site()
    app.config["CONSENT_RATE_LIMIT"] = "off"
    app.config["DSAR_RATE_LIMIT"] = "off"
    key = apikeys.create_key("fuzzer", list(apikeys.SCOPES))
    db.session.commit()
    headers = {"Authorization": f"Bearer {key}"}
    failures = []
    for operation in _operations(app):
        @settings(max_examples=30, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def fuzz(case):
            case.call_and_validate(headers=headers, checks=CHECKS)
            db.session.rollback()

        try:
            fuzz()
        except Exception as err:  # collect all operations' failures, then report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {err}")
    assert not failures, "\n\n".join(failures)
