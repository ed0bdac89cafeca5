"""Property-based fuzzing of /api/v1 from its own OpenAPI document: no 500s, and every
answer (status, content type, body) conforms to the document."""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings


def _operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_api_conforms_to_its_openapi_document(app, make_project, make_org, make_pool, geo):
    make_project(community=geo.communities[0])
    make_org()
    make_pool(focus=("elderly_care",))
    operations = _operations(app)
    assert len(operations) >= 6
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            case.call_and_validate()

        check()
