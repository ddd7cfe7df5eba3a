"""The call settings page in the officer's language when a later deadline overtakes a granted extension: the page
asks to confirm, names the extension, and says "saved" once confirmed, with no English left."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.enums import Role
from app.extensions import db
from app.models import Proposal, User
from app.services.proposals import grant_extension
from app.web.locale import LANGUAGE_COOKIE
from tests.i18n_support import english_left
from tests.views.manage.test_intake_pages import BRUSSELS, _form_values, officer, setup  # noqa: F401  # fixtures

SAID = {
    "fr": ("Confirmez la nouvelle date limite.", "Enregistré : date limite."),
    "de": ("Bestätigen Sie die neue Einreichungsfrist.", "Gespeichert: Einreichungsfrist."),
}
# What the test call and its proposal are called and what this test types (user content).
CONTENT = ["OPEN-CALL", "READY", "Baltic Cluster Alliance", "Test User", "A call for tests.",
           "The portal was down on the last day."]


@pytest.mark.parametrize("language", ["fr", "de"])
def test_a_later_deadline_is_confirmed_in_the_officer_s_language(officer: FlaskClient, setup: int, app: Flask,  # noqa: F811
                                                                 make_user, language: str) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        proposal = db.session.get(Proposal, setup)
        assert proposal is not None
        deadline = proposal.call.deadline
        grant_extension(proposal, actor=db.session.get(User, make_user(Role.OFFICER).id),  # type: ignore[arg-type]
                        deadline=deadline + timedelta(hours=3), reason="The portal was down for an hour.")
        db.session.commit()
    officer.set_cookie(LANGUAGE_COOKIE, language)
    shown = _form_values(officer.get("/manage/calls/OPEN-CALL/settings").get_data(as_text=True))
    later = (deadline + timedelta(days=1)).astimezone(BRUSSELS).strftime("%Y-%m-%dT%H:%M:%S")
    asked = officer.post("/manage/calls/OPEN-CALL/settings",
                         data={**shown, "deadline": later, "reason": "The portal was down on the last day."})
    page = asked.get_data(as_text=True)
    assert SAID[language][0] in page
    assert english_left(page, language, user_content=CONTENT) == []
    confirmed = officer.post("/manage/calls/OPEN-CALL/settings", data=_form_values(page), follow_redirects=True)
    assert SAID[language][1] in confirmed.get_data(as_text=True)
