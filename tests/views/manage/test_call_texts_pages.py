"""The officer's page of a call's own texts in French and German, and where readers meet them: the public call
pages and the applicant's dashboard in the reader's language, the English where none was given."""

from __future__ import annotations

from html import unescape
from typing import Any

import pytest
import sqlalchemy as sa

from app.enums import Role
from app.extensions import db
from app.models import AuditEvent, Call
from app.models.limits import MAX_CALL_TITLE
from app.web.locale import LANGUAGE_COOKIE
from tests.factories import QueryCounter, make_open_call


@pytest.fixture
def officer(app, client_as) -> Any:  # type: ignore[no-untyped-def]
    client = client_as(Role.OFFICER)
    with app.app_context():
        make_open_call("TEXTS-OPEN", title="Cluster excellence", description="Support for clusters.")
        db.session.commit()
    return client


def _form(**changes: str) -> dict[str, str]:
    """The page's form as the officer sends it: both languages, one row per criterion of the call."""
    data = {"fr-title": "", "fr-description": "", "de-title": "", "de-description": ""}
    for language in ("fr", "de"):
        for index, key in enumerate(("relevance", "quality", "impact")):
            data |= {f"{language}-criteria-{index}-key": key, f"{language}-criteria-{index}-name": "",
                     f"{language}-criteria-{index}-description": ""}
    return data | changes


def _public(client: Any, address: str, language: str) -> str:
    client.set_cookie(LANGUAGE_COOKIE, language)
    response = client.get(address)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_page_shows_each_language_with_the_english_beside(officer) -> None:  # type: ignore[no-untyped-def]
    response = officer.get("/manage/calls/TEXTS-OPEN/texts")
    text = unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "The call's texts in French and German" in text
    assert "In French" in text
    assert "In German" in text
    assert text.count("English: Cluster excellence") == 2
    assert 'name="de-criteria-2-name"' in text
    assert 'value="impact"' in text
    assert 'href="/manage/calls/TEXTS-OPEN/texts"' in officer.get("/manage/calls/TEXTS-OPEN").get_data(as_text=True)


def test_french_texts_saved_on_the_page_are_what_a_french_reader_sees(app, officer, client) -> None:  # type: ignore[no-untyped-def]
    response = officer.post("/manage/calls/TEXTS-OPEN/texts", data=_form(**{
        "fr-title": "Excellence des clusters", "fr-description": "Soutien aux clusters.",
        "fr-criteria-0-name": "Pertinence", "de-title": "Clusterexzellenz"}))
    assert response.status_code == 302
    assert "The call's texts are saved." in unescape(officer.get(response.location).get_data(as_text=True))
    french = _public(client, "/calls/TEXTS-OPEN", "fr")
    assert "<h1>Excellence des clusters</h1>" in french
    assert "Soutien aux clusters." in french
    assert "Support for clusters." not in french
    assert "<strong>Pertinence</strong>" in french
    # No French name given for quality: the English.
    assert "<strong>Quality</strong>" in french
    assert "Excellence des clusters" in _public(client, "/", "fr")
    german = _public(client, "/calls/TEXTS-OPEN", "de")
    assert "<h1>Clusterexzellenz</h1>" in german
    assert "Support for clusters." in german
    english = _public(client, "/calls/TEXTS-OPEN", "en")
    assert "<h1>Cluster excellence</h1>" in english
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "call.texts_changed")) == 1


def test_a_text_too_long_is_refused_at_its_field(app, officer) -> None:  # type: ignore[no-untyped-def]
    response = officer.post("/manage/calls/TEXTS-OPEN/texts",
                            data=_form(**{"de-criteria-1-name": "x" * 201, "fr-title": "x" * (MAX_CALL_TITLE + 1)}))
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="fr-title-error"' in text
    assert 'id="de-criteria-1-name-error"' in text
    assert "Write at most 300 characters." in text
    assert "Write at most 200 characters." in text
    with app.app_context():
        assert db.session.scalar(sa.select(Call.texts).where(Call.code == "TEXTS-OPEN")) == {}


def test_a_criterion_the_call_does_not_have_is_refused_at_its_row(officer) -> None:  # type: ignore[no-untyped-def]
    response = officer.post("/manage/calls/TEXTS-OPEN/texts",
                            data=_form(**{"fr-criteria-0-key": "nosuch", "fr-criteria-0-name": "Rien"}))
    assert response.status_code == 422
    assert "This call has no criterion nosuch." in response.get_data(as_text=True)


def test_the_public_call_page_reads_the_texts_in_a_constant_number_of_queries(app, officer, client) -> None:  # type: ignore[no-untyped-def]
    client.set_cookie(LANGUAGE_COOKIE, "fr")
    client.get("/calls/TEXTS-OPEN")
    with app.app_context(), QueryCounter() as without:
        client.get("/calls/TEXTS-OPEN")
    officer.post("/manage/calls/TEXTS-OPEN/texts", data=_form(**{
        "fr-title": "Excellence", "fr-criteria-0-name": "Pertinence", "fr-criteria-1-name": "Qualité",
        "fr-criteria-2-name": "Impact"}))
    with app.app_context(), QueryCounter() as given:
        client.get("/calls/TEXTS-OPEN")
    assert given.count == without.count
