"""A call's settings refused over the API in the request's language (Accept-Language): the message and each field's
message are translated, while the code and the field names stay the same stable English for programs."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.call_inputs import CallSettings
from app.enums import Role
from app.translation import in_language
from tests.api.test_calls_api import _new
from tests.services.test_call_opening import OPENS

# The same refusal in each language: its code, its fields and the words a reader meets.
DEADLINE_BEFORE_OPENING = {
    "en": "The deadline must be after the opening.",
    "fr": "La date limite doit être postérieure à l’ouverture.",
    "de": "Die Einreichungsfrist muss nach der Öffnung liegen.",
}
TWO_PROBLEMS = {
    "en": "2 settings are not valid: ",
    "fr": "2 paramètres ne sont pas valables : ",
    "de": "2 Einstellungen sind nicht gültig: ",
}
UNKNOWN_TIE_BREAK = {
    "en": "Not a criterion of this call: quality (criteria: relevance, impact).",
    "fr": "Ce n’est pas un critère de cet appel : quality (critères : relevance, impact).",
    "de": "Kein Kriterium dieser Aufforderung: quality (Kriterien: relevance, impact).",
}


@pytest.fixture
def officer(make_user, token_for) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {token_for(make_user(Role.OFFICER))}"}


def _refusal(client: FlaskClient, headers: dict[str, str], language: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/v1/calls", headers={**headers, "Accept-Language": language}, json=body)
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    error: dict[str, Any] = response.get_json()["error"]
    assert error["code"] == "invalid_input"
    return error


@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_a_settings_refusal_is_said_in_the_request_s_language_with_the_same_code_and_field(
        client: FlaskClient, officer: dict[str, str], language: str) -> None:
    error = _refusal(client, officer, language, _new(deadline=OPENS.isoformat()))
    assert error["message"] == DEADLINE_BEFORE_OPENING[language]
    assert error["details"] == {"field": "deadline", "fields": {"deadline": DEADLINE_BEFORE_OPENING[language]}}


@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_several_settings_refused_at_once_are_counted_and_each_named_in_the_request_s_language(
        client: FlaskClient, officer: dict[str, str], language: str) -> None:
    error = _refusal(client, officer, language, _new(deadline=OPENS.isoformat(), tie_break=["quality"]))
    assert error["message"] == TWO_PROBLEMS[language] + DEADLINE_BEFORE_OPENING[language]
    assert error["details"]["fields"] == {"deadline": DEADLINE_BEFORE_OPENING[language],
                                          "tie_break": UNKNOWN_TIE_BREAK[language]}


def test_a_refusal_of_the_code_is_translated_with_the_code_as_it_was_given(client: FlaskClient,
                                                                          officer: dict[str, str]) -> None:
    assert client.post("/api/v1/calls", headers=officer, json=_new()).status_code == 201
    error = client.post("/api/v1/calls", headers={**officer, "Accept-Language": "fr-BE"}, json=_new()).get_json()
    assert error["error"] == {"code": "invalid_input", "message": "Un appel portant le code NEW-2031-01 existe déjà.",
                              "details": {"field": "code"}}



def test_a_text_too_long_is_refused_with_its_length_in_the_reader_s_language(app: Flask) -> None:
    # The API's schema refuses it first (its own words); the settings say it for the pages and any other caller.
    with app.test_request_context(), in_language("de"):
        german = CallSettings.parse({"programme": "Z" * 201}).problems
    assert german == {"programme": "Höchstens 200 Zeichen (dieser Text hat 201)."}
    assert CallSettings.parse({"programme": "Z" * 201}).problems == {
        "programme": "At most 200 characters (this has 201)."}
