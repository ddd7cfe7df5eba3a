"""The API's refusals of the proposal and evaluation review services in the request's language (Accept-Language):
`error.message` in French or German, dates as the language writes them, the `code` the same stable English."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.clock import set_clock
from app.enums import Role
from app.extensions import db
from app.models import User
from tests.factories import make_call, make_open_call, make_ready_proposal
from tests.redress_worlds import published_letters

LANGUAGES = ["en", "fr", "de"]
DEADLINE = datetime(2099, 12, 7, 16, 0, tzinfo=UTC)


@pytest.fixture
def ready(app: Flask, make_user: Callable[..., User], token_for: Callable[[User], str]) -> Iterator[dict[str, Any]]:
    """A proposal ready to submit, its owner's token, and its call's deadline (7 December 2099, 17:00 Brussels
    time); the clock stands two days before it until a test moves it."""
    owner = make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT", full_name="Lukas Zeta")
    set_clock(lambda: DEADLINE - timedelta(days=2))
    with app.app_context():
        call = make_open_call("ZV-API-1", days_left=2)
        proposal = make_ready_proposal(call, db.session.merge(owner))
        db.session.commit()
        yield {"id": proposal.id, "version": proposal.edit_version, "deadline": call.deadline,
               "auth": {"Authorization": f"Bearer {token_for(owner)}"}}
    set_clock(None)


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_json()["error"]  # type: ignore[no-any-return]


def _in(language: str, auth: dict[str, str]) -> dict[str, str]:
    return {**auth, "Accept-Language": language}


EDIT_CONFLICT = {"en": "Lukas Zeta saved this proposal at", "fr": "Lukas Zeta a enregistré cette proposition le",
                 "de": "Lukas Zeta hat diesen Vorschlag am"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_edit_conflict_is_said_in_the_requests_language_with_the_same_code(
        client: FlaskClient, ready: dict[str, Any], language: str) -> None:
    url, auth = f"/api/v1/proposals/{ready['id']}", _in(language, ready["auth"])
    assert client.patch(url, json={"version": ready["version"], "title": "A"}, headers=auth).status_code == 200
    error = _error(client.patch(url, json={"version": ready["version"], "title": "B"}, headers=auth), 409)
    assert error["code"] == "edit_conflict"
    assert error["message"].startswith(EDIT_CONFLICT[language])
    assert error["details"]["current_version"] == ready["version"] + 1


DEADLINE_PASSED = {
    "en": "The deadline (07 December 2099, 17:00:00 CET) has passed: the proposal can no longer be changed or "
          "submitted.",
    "fr": "La date limite (7 décembre 2099, 17:00:00 CET) est passée : la proposition ne peut plus être modifiée ni "
          "soumise.",
    "de": "Die Frist (7. Dezember 2099, 17:00:00 MEZ) ist abgelaufen: Der Vorschlag kann nicht mehr geändert oder "
          "eingereicht werden.",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_submission_after_the_deadline_is_refused_in_the_requests_language_with_the_same_code(
        client: FlaskClient, ready: dict[str, Any], language: str) -> None:
    set_clock(lambda: ready["deadline"])
    auth = _in(language, ready["auth"])
    for response in (client.post(f"/api/v1/proposals/{ready['id']}/submit", headers=auth),
                     client.patch(f"/api/v1/proposals/{ready['id']}", json={"version": ready["version"],
                                                                            "title": "x"}, headers=auth),
                     client.post(f"/api/v1/proposals/{ready['id']}/withdraw", headers=auth)):
        error = _error(response, 409)
        assert error["code"] == "deadline_passed"
        assert error["message"] == DEADLINE_PASSED[language]
        assert error["details"]["deadline"] == ready["deadline"].isoformat()


AWARD_NOT_REVIEWED = {
    "en": "The proposal's letter is an award letter: only ineligibility, rejection and reserve list decisions may be "
          "reviewed.",
    "fr": "La lettre de la proposition est une lettre d’attribution : seules les décisions d’inéligibilité, de rejet "
          "et d’inscription sur la liste de réserve peuvent faire l’objet d’un réexamen.",
    "de": "Das Schreiben zum Vorschlag ist ein Zuschlagsschreiben: Nur Entscheidungen über Nichtförderfähigkeit, "
          "Ablehnung und Aufnahme in die Reserveliste können überprüft werden.",
}
ANOTHER_DECISION = {
    "en": "The proposal's letter in force is an ineligibility letter, not a rejection letter",
    "fr": "La lettre en vigueur de la proposition est une lettre d’inéligibilité, et non une lettre de rejet",
    "de": "Das geltende Schreiben zum Vorschlag ist ein Schreiben zur Nichtförderfähigkeit und nicht ein "
          "Ablehnungsschreiben",
}


@pytest.fixture
def letters(app: Flask, make_user: Callable[..., User], token_for: Callable[[User], str]) -> dict[str, Any]:
    """An award letter and an ineligibility letter, published, of the owner's proposals."""
    owner = make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT")
    with app.app_context():
        ids = published_letters(db.session.merge(owner))
        db.session.commit()
    return {"auth": {"Authorization": f"Bearer {token_for(owner)}"}, **ids}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_letter_of_another_decision_is_refused_in_the_requests_language_with_the_same_code(
        client: FlaskClient, letters: dict[str, Any], language: str) -> None:
    auth = _in(language, letters["auth"])
    request = {"stage": "rejection", "ground": "evaluation_procedure", "grounds": "Zeta " * 30}
    award = _error(client.post(f"/api/v1/proposals/{letters['selected']}/redress-requests", json=request,
                               headers=auth), 409)
    assert (award["code"], award["message"]) == ("invalid_transition", AWARD_NOT_REVIEWED[language])
    other = _error(client.post(f"/api/v1/proposals/{letters['ineligible']}/redress-requests", json=request,
                               headers=auth), 409)
    assert other["code"] == "invalid_transition"
    assert other["message"].startswith(ANOTHER_DECISION[language])


FIXED_SETTING = {
    "en": "The call's time zone cannot change now that it is closed: applicants were told its times in this zone.",
    "fr": "Le fuseau horaire de l’appel ne peut plus changer maintenant que l’appel est clôturé : les demandeurs ont "
          "reçu ses horaires dans ce fuseau.",
    "de": "Die Zeitzone der Aufforderung kann nicht mehr geändert werden, da die Aufforderung geschlossen ist: Den "
          "Antragstellern wurden ihre Zeiten in dieser Zone mitgeteilt.",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_setting_the_calls_phase_fixes_is_refused_in_the_requests_language_with_the_same_code(
        app: Flask, client: FlaskClient, make_user: Callable[..., User], token_for: Callable[[User], str],
        language: str) -> None:
    with app.app_context():
        make_call("ZV-CLOSED-1")  # published, its deadline passed, nobody assigned yet: closed
        db.session.commit()
    officer = {"Authorization": f"Bearer {token_for(make_user(Role.OFFICER))}", "Accept-Language": language}
    error = _error(client.patch("/api/v1/calls/ZV-CLOSED-1", json={"time_zone": "Europe/Paris"}, headers=officer),
                   409)
    assert (error["code"], error["message"]) == ("invalid_transition", FIXED_SETTING[language])
    assert error["details"]["field"] == "time_zone"



INVALID_FIELDS = {"en": "Some fields cannot be accepted: see details.fields.",
                  "fr": "Certains champs ne peuvent pas être acceptés : voir details.fields.",
                  "de": "Einige Felder können nicht angenommen werden: siehe details.fields."}


@pytest.mark.parametrize("language", LANGUAGES)
def test_fields_the_schema_refuses_are_announced_in_the_requests_language(
        client: FlaskClient, ready: dict[str, Any], language: str) -> None:
    body = {"version": ready["version"], "duration_months": 999}
    error = _error(client.patch(f"/api/v1/proposals/{ready['id']}", json=body,
                                headers=_in(language, ready["auth"])), 422)
    assert error["code"] == "invalid_input"
    assert error["message"] == INVALID_FIELDS[language]
    assert "duration_months" in error["details"]["fields"]
