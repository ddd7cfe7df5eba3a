"""The evaluator's profile page (nationality, gender, expertise keywords and statement) and what officers see of it."""

from __future__ import annotations

from types import SimpleNamespace

from flask import Flask

from app.enums import Gender
from app.extensions import db
from app.models import PoolMember
from tests.factories import make_evaluation_setup


def _world(app: Flask):  # type: ignore[no-untyped-def]
    with app.app_context():
        s = make_evaluation_setup(evaluators=2, publish=False)
        db.session.commit()
        return s


def test_the_evaluator_fills_in_their_profile_and_the_officer_reads_it(app: Flask, login) -> None:  # type: ignore[no-untyped-def]
    s = _world(app)
    evaluator = login(app.test_client(), SimpleNamespace(email=s.evaluator_emails[0]))
    url = f"/review/calls/{s.code}/profile"
    assert "fill in my profile" in evaluator.get("/review/").get_data(as_text=True).lower()
    page = evaluator.get(url)
    assert page.status_code == 200
    assert "Prefer not to say" in page.get_data(as_text=True)
    response = evaluator.post(url, data={"nationality": "PT", "gender": "prefer_not_to_say",
                                         "expertise_keywords": "battery recycling, lithium\ncobalt",
                                         "expertise_statement": "Fifteen years of cell chemistry."})
    assert response.status_code == 302
    with app.app_context():
        member = db.session.get(PoolMember, s.member_ids[0])
        assert member is not None
        assert (member.nationality, member.gender) == ("PT", Gender.PREFER_NOT_TO_SAY)
        assert member.expertise_keywords == ["battery recycling", "lithium", "cobalt"]
    again = evaluator.get(url).get_data(as_text=True)
    assert "battery recycling, lithium, cobalt" in again
    officer = login(app.test_client(), SimpleNamespace(email=s.officer_email))
    shown = officer.get(f"/manage/calls/{s.code}/evaluators/{s.member_ids[0]}").get_data(as_text=True)
    assert "Portugal" in shown
    assert "Prefer not to say" in shown
    assert "Fifteen years of cell chemistry." in shown


def test_a_profile_without_nationality_is_refused_and_nothing_typed_is_lost(app: Flask, login) -> None:  # type: ignore[no-untyped-def]
    s = _world(app)
    evaluator = login(app.test_client(), SimpleNamespace(email=s.evaluator_emails[0]))
    response = evaluator.post(f"/review/calls/{s.code}/profile",
                              data={"nationality": "", "expertise_keywords": "robotics",
                                    "expertise_statement": "Twenty years of robots."})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Choose your nationality." in text
    assert "Twenty years of robots." in text
    assert "robotics" in text


def test_too_many_keywords_are_refused_next_to_the_field(app: Flask, login) -> None:  # type: ignore[no-untyped-def]
    s = _world(app)
    evaluator = login(app.test_client(), SimpleNamespace(email=s.evaluator_emails[0]))
    response = evaluator.post(f"/review/calls/{s.code}/profile",
                              data={"nationality": "FI", "expertise_keywords": ",".join(f"k{i}" for i in range(25))})
    assert response.status_code == 422
    assert "at most 20 keywords" in response.get_data(as_text=True)


def test_another_calls_profile_does_not_exist_for_the_evaluator(app: Flask, login) -> None:  # type: ignore[no-untyped-def]
    s = _world(app)
    evaluator = login(app.test_client(), SimpleNamespace(email=s.evaluator_emails[0]))
    assert evaluator.get("/review/calls/NO-SUCH-CALL/profile").status_code == 404
