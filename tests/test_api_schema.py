"""Schemathesis explores every API operation against its OpenAPI document."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from qa_app.extensions import db
from tests import factories as make


@pytest.fixture()
def token(app) -> str:
    from qa_app.api.tokens import create_token
    from qa_app.auth.models import User

    health = make.on(app).agency("Community Paediatrics", "health")
    make.on(app).year_rates(None, health.id)
    manager = make.on(app).user("qi_manager")
    with app.app_context():
        _, value = create_token(db.session.get(User, manager.id), "schemathesis")
        db.session.commit()
    return value


def test_api_conforms_to_its_openapi_document(app, token):
    """Every operation, with generated parameters, answers as its document says."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def conforms(case) -> None:
            case.call_and_validate(headers=headers)

        conforms()
        checked.append(operation.label)
    assert sorted(checked) == ["GET /api/v1/agencies", "GET /api/v1/agreement",
                               "GET /api/v1/cycles", "GET /api/v1/rates",
                               "GET /api/v1/surveys/measures", "GET /api/v1/targets"]
