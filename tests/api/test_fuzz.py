"""Schemathesis fuzzes every documented API operation with a token of each role (and none): no 5xx, errors in
the documented shape, responses that conform to the OpenAPI document (a bounded number of examples)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from app import create_app
from app.enums import Role
from tests.conftest import make_config

pytestmark = pytest.mark.slow

# The document is read from an app built at import time; the requests go to the suite's app and database.
_document_app = create_app(make_config("sqlite://", Path(tempfile.mkdtemp(prefix="eurogrants-fuzz-"))))
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _document_app)


def _error_shape(ctx, response, case) -> None:  # type: ignore[no-untyped-def]
    """Every 4xx answer is {"error": {"code", "message", "details"}}."""
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"}, body
        assert set(body["error"]) == {"code", "message", "details"}, body
        assert isinstance(body["error"]["details"], dict)


@pytest.fixture
def role_headers(seeded, make_user, token_for):  # type: ignore[no-untyped-def]
    """A bearer token of each role, and no token at all."""
    headers = [{"Authorization": f"Bearer {token_for(make_user(role))}"} for role in Role]
    return [*headers, {}]


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_keeps_its_contract_for_every_role(case, app, role_headers) -> None:  # type: ignore[no-untyped-def]
    for headers in role_headers:
        case.call_and_validate(app=app, headers=headers, additional_checks=[_error_shape])
