"""The refusals of an evaluation review that reach the coordinator after a valid form (a second request, a late one)
in French and German: the service's reason, its date written as the language writes it, and no English left."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.clock import utcnow
from app.enums import Role
from app.extensions import db
from app.models import Letter, User
from app.services import letters as letter_service
from app.web.locale import LANGUAGE_COOKIE
from tests.factories import make_letter_scenario
from tests.i18n_support import english_left

GROUNDS = "Zeta Kappa Lambda Sigma Orbis Vega: Zeta Kappa Lambda Sigma Orbis Vega Zeta Kappa Lambda Sigma."
USER_CONTENT = [GROUNDS, "Baltic Cluster Alliance", "Call SMP-COSME-2021-CLUSTER-01", "Test programme", "Test User",
                "Eurogrants"]


@pytest.fixture
def reserve_letter(app: Flask, make_user: Callable[..., User]) -> dict[str, Any]:
    """The scenario's letters published; the reserve list letter's id, its owner and the proposals' acronyms."""
    owner = make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT")
    with app.app_context():
        data = make_letter_scenario(db.session.merge(owner))
        db.session.commit()
        letter_service.start_letter_batch(data["run"], actor=None)
        db.session.commit()
        letter_service.publish_letters(data["run"], actor=None)
        db.session.commit()
        letter_id = db.session.scalar(sa.select(Letter.id).where(
            Letter.proposal_id == data["proposals"]["reserve"].id))
        return {"owner": owner, "letter": letter_id, "content": [
            *USER_CONTENT, owner.email, *(p.acronym for p in data["proposals"].values()),
            *(p.title for p in data["proposals"].values())]}


def _client(app: Flask, login: Callable[..., FlaskClient], owner: User, language: str) -> FlaskClient:
    client = login(app.test_client(), owner)
    client.set_cookie(LANGUAGE_COOKIE, language)
    return client


@pytest.mark.parametrize(("language", "reason"), [
    ("fr", "une seule demande par proposition et par décision"),
    ("de", "ein Antrag je Vorschlag und Entscheidung"),
])
def test_a_second_request_is_refused_in_the_readers_language(app: Flask, reserve_letter: dict[str, Any],
                                                             login: Callable[..., FlaskClient], language: str,
                                                             reason: str) -> None:
    client = _client(app, login, reserve_letter["owner"], language)
    url = f"/applicant/letters/{reserve_letter['letter']}/review"
    data = {"ground": "incoherence", "grounds_text": GROUNDS}
    assert client.post(url, data=data).status_code == 302
    again = client.post(url, data=data)
    assert again.status_code == 409
    html = again.get_data(as_text=True)
    assert reason in html
    assert english_left(html, language, user_content=reserve_letter["content"]) == []


@pytest.mark.parametrize(("language", "reason", "days"), [
    ("fr", "Le délai pour demander un réexamen a expiré le", "10 jours après son envoi"),
    ("de", "Die Frist für einen Antrag auf Überprüfung endete am", "10 Tage nach dem Versand"),
])
def test_a_late_request_is_refused_in_the_readers_language(app: Flask, reserve_letter: dict[str, Any],
                                                           login: Callable[..., FlaskClient], language: str,
                                                           reason: str, days: str) -> None:
    """Sent 40 days and a minute ago, never opened: received on day 10, closed on day 40."""
    with app.app_context():
        db.session.execute(sa.update(Letter).where(Letter.id == reserve_letter["letter"])
                           .values(published_at=utcnow() - timedelta(days=40, minutes=1), opened_at=None))
        db.session.commit()
    client = _client(app, login, reserve_letter["owner"], language)
    late = client.post(f"/applicant/letters/{reserve_letter['letter']}/review",
                       data={"ground": "incoherence", "grounds_text": GROUNDS})
    assert late.status_code == 409
    html = late.get_data(as_text=True)
    assert reason in html
    assert days in html
    assert english_left(html, language, user_content=reserve_letter["content"]) == []
