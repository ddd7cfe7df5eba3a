"""The proposal service's refusals that reach an applicant with their own page (409): an edit conflict, a save and a
submission after the deadline, a submission whose deadline passes while it is being recorded. In French and German:
the service's reason, its date written as the language writes it, and no English left."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.clock import set_clock
from app.enums import Role
from app.extensions import db
from app.models import Proposal, Submission, User
from app.services.deadline import _GUARDS as DEADLINE_GUARDS
from app.web.locale import LANGUAGE_COOKIE
from tests.factories import make_open_call, make_ready_proposal
from tests.i18n_support import english_left

# What people typed or were named, which stays as written.
USER_CONTENT = ["Zeta Vega Orbis", "ZVREADY", "Zeta Kappa", "Zeta Lambda", "Baltic Cluster Alliance", "Lukas Zeta",
                "Test Organisation", "Partner A", "Partner B", "Test User", "Eurogrants", "Open", "Zeta", "Part B.pdf",
                "part-b.pdf"]
# The refusal, and the deadline's month as the language writes it (the call's deadline is in December below).
REASONS = {
    "fr": {"conflict": "Lukas Zeta a enregistré cette proposition le", "deadline": "est passée : la proposition ne "
           "peut plus être modifiée ni soumise", "commit": "est passée pendant l’enregistrement de la soumission"},
    "de": {"conflict": "Lukas Zeta hat diesen Vorschlag am", "deadline": "ist abgelaufen: Der Vorschlag kann nicht "
           "mehr geändert oder eingereicht werden", "commit": "ist abgelaufen, während die Einreichung von"},
}
MONTH = {"fr": "décembre", "de": "Dezember"}
DEADLINE = datetime(2099, 12, 7, 16, 0, tzinfo=UTC)


@pytest.fixture
def ready(app: Flask, make_user: Callable[..., User]) -> Iterator[dict[str, Any]]:
    """A proposal ready to submit in a call whose deadline is 7 December 2099, 17:00 Brussels time; the clock stands
    two days before it, and moves only when a test says so."""
    owner = make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT", full_name="Lukas Zeta")
    now = {"value": DEADLINE - timedelta(days=2)}
    set_clock(lambda: now["value"])
    with app.app_context():
        call = make_open_call("ZV-OPEN-9", days_left=2, title="Zeta Vega Orbis", programme="Zeta")
        proposal = make_ready_proposal(call, db.session.merge(owner), acronym="ZVREADY")
        db.session.commit()
        yield {"owner": owner, "proposal": proposal.id, "version": proposal.edit_version, "deadline": call.deadline,
               "now": now}
    set_clock(None)


def _client(app: Flask, login: Callable[..., FlaskClient], owner: User, language: str) -> FlaskClient:
    client = login(app.test_client(), owner)
    client.set_cookie(LANGUAGE_COOKIE, language)
    return client


def _summary(version: int, acronym: str) -> dict[str, str]:
    return {"version": str(version), "acronym": acronym, "title": "Zeta Vega Orbis", "abstract": "", "strand": "Open",
            "duration_months": "24"}


def _no_english(html: str, language: str) -> None:
    assert english_left(html, language, user_content=USER_CONTENT) == []


@pytest.mark.parametrize("language", ["fr", "de"])
def test_an_edit_conflict_is_explained_in_the_readers_language(app: Flask, ready: dict[str, Any],
                                                               login: Callable[..., FlaskClient],
                                                               language: str) -> None:
    client = _client(app, login, ready["owner"], language)
    url = f"/applicant/proposals/{ready['proposal']}/summary"
    assert client.post(url, data=_summary(ready["version"], "ZVREADY")).status_code in (200, 302)
    with app.app_context():  # a colleague's save, from another tab
        proposal = db.session.get(Proposal, ready["proposal"])
        assert proposal is not None
        proposal.acronym, proposal.edit_version = "ZVREADY", proposal.edit_version + 1
        db.session.commit()
    stale = client.post(url, data=_summary(ready["version"] + 1, "ZVREADY"))
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert REASONS[language]["conflict"] in html
    assert MONTH[language] in html
    _no_english(html, language)


@pytest.mark.parametrize("language", ["fr", "de"])
def test_a_save_and_a_submission_after_the_deadline_are_refused_in_the_readers_language(
        app: Flask, ready: dict[str, Any], login: Callable[..., FlaskClient], language: str) -> None:
    ready["now"]["value"] = ready["deadline"]  # exactly at the deadline: too late
    client = _client(app, login, ready["owner"], language)
    for response in (
        client.post(f"/applicant/proposals/{ready['proposal']}/summary", data=_summary(ready["version"], "ZVREADY")),
        client.post(f"/applicant/proposals/{ready['proposal']}/submit",
                    data={"version": str(ready["version"]), "confirm": "y"}),
    ):
        assert response.status_code == 409
        html = response.get_data(as_text=True)
        assert REASONS[language]["deadline"] in html
        assert f"7 {MONTH[language]} 2099" in html or f"7. {MONTH[language]} 2099" in html
        _no_english(html, language)


@pytest.fixture
def deadline_reached_at_commit(ready: dict[str, Any]) -> Iterator[None]:
    """The clock reaches the deadline as the submission is committed, before the deadline guard reads it again."""
    def reach_deadline(session: Session) -> None:
        if session.info.get(DEADLINE_GUARDS):
            ready["now"]["value"] = ready["deadline"]

    event.listen(Session, "before_commit", reach_deadline, insert=True)
    yield
    event.remove(Session, "before_commit", reach_deadline)


@pytest.mark.parametrize("language", ["fr", "de"])
def test_a_submission_the_deadline_overtakes_is_refused_in_the_readers_language(
        app: Flask, ready: dict[str, Any], login: Callable[..., FlaskClient], deadline_reached_at_commit: None,
        language: str) -> None:
    client = _client(app, login, ready["owner"], language)
    response = client.post(f"/applicant/proposals/{ready['proposal']}/submit",
                           data={"version": str(ready["version"]), "confirm": "y"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert REASONS[language]["commit"] in html
    _no_english(html, language)
    with app.app_context():  # nothing was recorded
        assert db.session.scalar(sa.select(sa.func.count(Submission.id))
                                 .where(Submission.proposal_id == ready["proposal"])) == 0
