"""Choosing the language: the person's choice (account, then the visitor's cookie) beats Accept-Language, which
beats English; the switcher on every page remembers it; `<html lang>` follows."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.enums import Role
from app.extensions import db
from app.models import AuditEvent, User
from app.web.locale import LANGUAGE_COOKIE


def _lang(client: FlaskClient, path: str = "/", **headers: str) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200
    found = re.search(r'<html lang="([a-z]+)"', response.get_data(as_text=True))
    assert found is not None
    return found.group(1)


def test_english_without_any_preference(client: FlaskClient) -> None:
    assert _lang(client) == "en"


def test_accept_language_chooses_among_the_languages_spoken(client: FlaskClient) -> None:
    assert _lang(client, **{"Accept-Language": "fr-BE,fr;q=0.9,en;q=0.5"}) == "fr"
    assert _lang(client, **{"Accept-Language": "de-AT"}) == "de"
    assert _lang(client, **{"Accept-Language": "it,es;q=0.8"}) == "en"


def test_the_page_says_it_varies_by_language(client: FlaskClient) -> None:
    vary = client.get("/").headers["Vary"]
    assert "Accept-Language" in vary
    assert "Cookie" in vary


def test_a_visitors_choice_is_a_cookie_that_beats_accept_language(client: FlaskClient) -> None:
    response = client.post("/language", data={"language": "de", "next": "/calls?x=1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/calls?x=1"
    cookie = client.get_cookie(LANGUAGE_COOKIE)
    assert cookie is not None
    assert cookie.value == "de"
    assert _lang(client, **{"Accept-Language": "fr"}) == "de"
    page = client.get("/").get_data(as_text=True)
    assert "Aufforderungen" in page
    assert re.search(r'<option value="de" lang="de" selected>Deutsch</option>', page)


def test_the_switcher_never_sends_to_another_site(client: FlaskClient) -> None:
    for elsewhere in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)", ""):
        response = client.post("/language", data={"language": "fr", "next": elsewhere})
        assert response.headers["Location"] == "/", elsewhere


def test_an_unknown_language_is_refused_and_nothing_is_remembered(client: FlaskClient) -> None:
    response = client.post("/language", data={"language": "xx", "next": "/"}, follow_redirects=True)
    assert "Choose one of the languages offered." in response.get_data(as_text=True)
    assert client.get_cookie(LANGUAGE_COOKIE) is None


def test_the_account_remembers_the_choice_and_it_beats_the_cookie(
    app: Flask, make_user: Callable[..., User], login: Callable[[FlaskClient, User], FlaskClient],
) -> None:
    user = make_user(Role.APPLICANT)
    client = login(app.test_client(), user)
    client.post("/language", data={"language": "fr", "next": "/"})
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert stored is not None
        assert stored.language == "fr"
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user.language_chosen")).all()
        assert [(e.data["before"], e.data["after"]) for e in events] == [(None, "fr")]
    # Another browser, whose cookie and header say German: the account's French wins once signed in.
    other = app.test_client()
    other.set_cookie(LANGUAGE_COOKIE, "de")
    assert _lang(other) == "de"
    login(other, user)
    assert _lang(other, **{"Accept-Language": "de"}) == "fr"


def test_the_api_answers_its_error_message_in_the_accept_language_and_keeps_its_code(client: FlaskClient) -> None:
    # A cookie is a browser's choice for pages: the API reads Accept-Language only.
    client.set_cookie(LANGUAGE_COOKIE, "de")
    body = {"email": "nobody@example.test", "password": "not-the-password"}
    french = client.post("/api/v1/tokens", json=body, headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert french.status_code == 401
    assert french.get_json()["error"] == {"code": "unauthorized", "message": "Ces identifiants n’ont pas fonctionné.",
                                          "details": {}}
    german = client.post("/api/v1/tokens", json=body, headers={"Accept-Language": "de"})
    assert german.get_json()["error"]["message"] == "Diese Anmeldedaten haben nicht funktioniert."
    english = client.post("/api/v1/tokens", json=body)
    assert english.get_json()["error"]["message"] == "Those credentials did not work."


def test_a_services_refusal_is_translated_for_its_reader_and_keeps_its_english_message(app: Flask) -> None:
    from app.services.accounts import check_password_strength
    from app.services.errors import InvalidInput
    from app.web.errors import reader_message

    with pytest.raises(InvalidInput) as refused:
        check_password_strength("short")
    assert refused.value.message == "Use at least 10 characters."
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        assert reader_message(refused.value) == "Verwenden Sie mindestens 10 Zeichen."


def test_a_visitors_choice_goes_with_the_account_they_register(app: Flask, client: FlaskClient) -> None:
    client.set_cookie(LANGUAGE_COOKIE, "de")
    response = client.post("/auth/register", data={
        "full_name": "Jonas Koordinator", "email": "jonas@cluster.example.org", "organisation_name": "Cluster Köln",
        "country": "DE", "organisation_type": "cluster_organisation", "password": "ein-langes-passwort",
        "confirm": "ein-langes-passwort"})
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "jonas@cluster.example.org"))
        assert user is not None
        assert user.language == "de"
