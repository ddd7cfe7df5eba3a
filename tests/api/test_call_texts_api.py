"""A call's own texts in French and German over the API: officers read and replace them by language (404 for a
language that is not one of them, 422 naming the field), and every call's representation carries them."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from app.enums import Role
from app.extensions import db
from app.models import AuditEvent
from tests.factories import make_open_call


@pytest.fixture
def headers_for(app, make_user, token_for):  # type: ignore[no-untyped-def]
    with app.app_context():
        make_open_call("TEXTS-API", title="Cluster excellence")
        db.session.commit()

    def headers(*roles: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {token_for(make_user(*roles))}"}

    return headers


FRENCH = {"title": "Excellence des clusters", "description": "Soutien aux clusters.",
          "criteria": {"relevance": {"name": "Pertinence", "description": "Adéquation aux objectifs."}}}


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert body["error"]["code"] == code
    return body["error"]  # type: ignore[no-any-return]


def test_an_officer_gives_the_french_texts_and_reads_them_back(app, client, headers_for) -> None:  # type: ignore[no-untyped-def]
    officer = headers_for(Role.OFFICER)
    before = client.get("/api/v1/calls/TEXTS-API/texts", headers=officer).get_json()
    assert before["fr"] == {"title": "", "description": "", "criteria": {
        key: {"name": "", "description": ""} for key in ("relevance", "quality", "impact")}}
    put = client.put("/api/v1/calls/TEXTS-API/texts/fr", headers=officer, json=FRENCH)
    assert put.status_code == 200, put.get_data(as_text=True)
    assert put.get_json()["title"] == "Excellence des clusters"
    assert put.get_json()["criteria"]["quality"] == {"name": "", "description": ""}
    after = client.get("/api/v1/calls/TEXTS-API/texts", headers=officer).get_json()
    assert after["fr"]["criteria"]["relevance"]["name"] == "Pertinence"
    assert after["de"]["title"] == ""
    # The call's representation, for anyone with a token: the English settings and the texts given.
    call = client.get("/api/v1/calls/TEXTS-API", headers=headers_for(Role.APPLICANT)).get_json()
    assert call["title"] == "Cluster excellence"
    assert call["texts"]["fr"]["title"] == "Excellence des clusters"
    assert "de" not in call["texts"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "call.texts_changed")) == 1
    # A PUT replaces the language's texts: what is left out reads as the English again.
    client.put("/api/v1/calls/TEXTS-API/texts/fr", headers=officer, json={"title": "Excellence"})
    again = client.get("/api/v1/calls/TEXTS-API/texts", headers=officer).get_json()["fr"]
    assert (again["title"], again["description"], again["criteria"]["relevance"]["name"]) == ("Excellence", "", "")


def test_english_and_other_languages_are_not_languages_of_the_texts(client, headers_for) -> None:  # type: ignore[no-untyped-def]
    officer = headers_for(Role.OFFICER)
    for language in ("en", "it", "xx"):
        _error(client.put(f"/api/v1/calls/TEXTS-API/texts/{language}", headers=officer, json=FRENCH), 404,
               "not_found")
    _error(client.put("/api/v1/calls/NOSUCH/texts/fr", headers=officer, json=FRENCH), 404, "not_found")


def test_a_text_too_long_or_a_criterion_the_call_lacks_is_refused_at_its_field(client, headers_for) -> None:  # type: ignore[no-untyped-def]
    officer = headers_for(Role.OFFICER)
    long = client.put("/api/v1/calls/TEXTS-API/texts/de", headers=officer, json={"title": "x" * 301})
    assert long.status_code == 422
    assert "title" in str(long.get_json()["error"]["details"])
    unknown = _error(client.put("/api/v1/calls/TEXTS-API/texts/de", headers=officer,
                                json={"criteria": {"nosuch": {"name": "Nichts"}}}), 422, "invalid_input")
    assert unknown["details"]["field"] == "de.criteria.nosuch"
    assert unknown["message"] == "This call has no criterion nosuch."


def test_only_officers_read_or_change_the_texts(client, headers_for) -> None:  # type: ignore[no-untyped-def]
    for role in (Role.APPLICANT, Role.EVALUATOR):
        headers = headers_for(role)
        _error(client.get("/api/v1/calls/TEXTS-API/texts", headers=headers), 403, "forbidden")
        _error(client.put("/api/v1/calls/TEXTS-API/texts/fr", headers=headers, json=FRENCH), 403, "forbidden")
    assert client.get("/api/v1/calls/TEXTS-API/texts").status_code == 401


def test_the_operations_are_in_the_openapi_document(client) -> None:  # type: ignore[no-untyped-def]
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/api/v1/calls/{code}/texts"]) >= {"get"}
    assert set(paths["/api/v1/calls/{code}/texts/{language}"]) >= {"put"}
