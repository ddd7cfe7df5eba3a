from __future__ import annotations

import pytest

from app.enums import Role


def _assert_error_shape(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert response.status_code == status
    assert response.is_json, response.get_data(as_text=True)[:200]
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    return body["error"]  # type: ignore[no-any-return]


@pytest.fixture
def bearer(make_user, token_for):  # type: ignore[no-untyped-def]
    def headers(*roles: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {token_for(make_user(*roles))}"}

    return headers


def test_requests_without_a_token_get_401_in_the_error_shape(client, seeded) -> None:  # type: ignore[no-untyped-def]
    _assert_error_shape(client.get("/api/v1/calls"), 401, "unauthorized")


def test_an_unknown_token_gets_401(client) -> None:  # type: ignore[no-untyped-def]
    error = _assert_error_shape(client.get("/api/v1/calls", headers={"Authorization": "Bearer nope"}),
                                401, "unauthorized")
    assert "unknown or revoked" in error["message"]


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_the_calls(client, seeded, bearer, role) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/calls", headers=bearer(role))
    assert response.status_code == 200
    codes = [c["code"] for c in response.get_json()]
    assert codes == ["EUROCLUSTERS-2022-MISSION-KR", "EUID-2022-LOCAL", "SMP-COSME-2021-CLUSTER-01",
                     "EUID-2022-SESSIONS"]
    assert all(c["state"] == "closed" for c in response.get_json())


def test_one_call_with_money_as_strings_and_deadline_to_the_second(client, seeded, bearer) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/api/v1/calls/SMP-COSME-2021-CLUSTER-01", headers=bearer(Role.APPLICANT)).get_json()
    assert body["budget"] == "42000000.00"
    assert body["max_grant_per_proposal"] == "1400000.00"
    assert body["deadline"] == "2021-12-07T16:00:00+00:00"
    assert body["deadline_local"] == "2021-12-07T17:00:00+01:00"
    assert [c["key"] for c in body["criteria"]] == ["relevance", "quality", "impact"]
    assert body["criteria"][0]["threshold"] == "3.0"
    assert body["tie_break"] == ["relevance", "impact", "quality"]


def test_unknown_call_is_404_in_the_error_shape(client, bearer) -> None:  # type: ignore[no-untyped-def]
    error = _assert_error_shape(client.get("/api/v1/calls/NOPE", headers=bearer(Role.APPLICANT)), 404, "not_found")
    assert "NOPE" in error["message"]


def test_unknown_api_url_and_wrong_method_answer_json(client, bearer) -> None:  # type: ignore[no-untyped-def]
    _assert_error_shape(client.get("/api/v1/nothing-here", headers=bearer(Role.APPLICANT)), 404, "not_found")
    _assert_error_shape(client.delete("/api/v1/calls", headers=bearer(Role.APPLICANT)), 405, "method_not_allowed")


def test_me_says_who_the_token_belongs_to(client, make_user, token_for) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.EVALUATOR, Role.OFFICER, organisation="Expert Org", country="FI")
    body = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token_for(user)}"}).get_json()
    assert body["email"] == user.email
    assert body["roles"] == ["evaluator", "officer"]
    assert body["organisation"]["country"] == "FI"


def test_openapi_document_is_generated_from_the_code(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/calls/{code}" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "error" in spec["components"]["schemas"]["Error"]["properties"]


def test_html_pages_keep_html_errors(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_a_token_is_issued_for_good_credentials(client, make_user) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import PASSWORD

    user = make_user(Role.APPLICANT)
    response = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 201
    token = response.get_json()["token"]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()["email"] == user.email


def test_bad_credentials_and_bad_bodies_get_the_error_shape(client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.APPLICANT)
    _assert_error_shape(client.post("/api/v1/tokens", json={"email": user.email, "password": "nope-nope"}),
                        401, "unauthorized")
    error = _assert_error_shape(client.post("/api/v1/tokens", json={"email": 3}), 422, "invalid_input")
    assert "password" in error["details"]["fields"]
    assert "email" in error["details"]["fields"]
    _assert_error_shape(client.post("/api/v1/tokens", data="not json", content_type="application/json"),
                        400, "bad_request")


def test_token_endpoint_locks_out_after_five_failures(client, make_user) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import PASSWORD

    user = make_user(Role.APPLICANT)
    for _ in range(5):
        client.post("/api/v1/tokens", json={"email": user.email, "password": "wrong-password"})
    _assert_error_shape(client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD}),
                        429, "too_many_attempts")
