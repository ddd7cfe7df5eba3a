"""Why no valid assignment exists, said in French and German: the solver's refusal and each proposal's shortfall
(too few evaluators free of conflicts, evaluators shared with other proposals, a hard nationality or gender rule),
reworded from their codes and figures (app/manage/infeasible.py), with no English left on the page."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.enums import ConflictDeclaration, Gender, RuleStrength
from app.extensions import db
from app.models import Assignment, Call, PoolMember
from app.web.locale import LANGUAGE_COOKIE
from tests.factories import EvaluationWorld, make_evaluation_setup
from tests.i18n_support import english_left

# What the evaluation world's people typed or were named (tests/factories.py, make_evaluation_setup).
CONTENT = ["Baltic Cluster Alliance", "Lukas Applicant", "Olivia Officer", "European Commission", "Partner A",
           "Partner B", "Proposal 1", "Proposal 2", "Alpha", "Beta", "Test programme", "Eurogrants",
           *(f"Evaluator {i}" for i in range(1, 7)), *(f"Expert Office {i}" for i in range(1, 7))]


def _world(app: Flask, case: str) -> EvaluationWorld:
    """A call whose automatic assignment cannot give every proposal its evaluators, for the reason `case` names."""
    with app.app_context():
        sizes = {"one_short": (1, 2), "shared": (2, 3), "nationality": (2, 4), "gender": (2, 4)}[case]
        world = make_evaluation_setup(code=f"NO-{case.upper()}", proposals=sizes[0], evaluators=sizes[1],
                                      publish=False, strands=["Alpha", "Beta"], evaluators_per_proposal=3)
        call = db.session.get(Call, world.call_id)
        assert call is not None
        members = sorted(db.session.scalars(sa.select(PoolMember).where(PoolMember.call_id == call.id)),
                         key=lambda m: m.id)
        if case == "shared":
            members[0].max_load = 1
        if case == "nationality":
            call.nationality_rule = RuleStrength.HARD
            for member, nationality in zip(members, ("PT", "PT", "FI", "FI"), strict=True):
                member.nationality = nationality
        if case == "gender":
            call.gender_rule, call.gender_target = RuleStrength.HARD, 40
            for member, gender in zip(members, (Gender.MAN, Gender.MAN, Gender.MAN, Gender.WOMAN), strict=True):
                member.gender = gender
            members[3].max_load = 1
        db.session.commit()
        return world


@pytest.mark.parametrize("language", ["fr", "de"])
@pytest.mark.parametrize(("case", "expected"), [
    ("one_short", {"fr": "il manque 3 évaluateurs ; sans conflit", "de": "braucht 3 weitere Gutachter; ohne Konflikt"}),
    ("shared", {"fr": "sont aussi les seuls possibles pour d’autres propositions",
                "de": "sind auch die einzigen für andere Vorschläge"}),
    ("nationality", {"fr": "au plus un évaluateur de chaque nationalité", "de": "höchstens ein Gutachter jeder"}),
    ("gender", {"fr": "son comité a besoin de 1 femme", "de": "sein Gremium braucht 1 Frau"}),
])
def test_why_no_assignment_exists_is_said_in_the_officers_language(
        app: Flask, login: Callable[..., FlaskClient], case: str, expected: dict[str, str], language: str) -> None:
    world = _world(app, case)
    client = login(app.test_client(), SimpleNamespace(email=world.officer_email))
    client.set_cookie(LANGUAGE_COOKIE, language)
    response = client.post(f"/manage/calls/{world.code}/assignments/auto", data={})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert expected[language] in html
    assert english_left(html, language, user_content=[*CONTENT, world.code, "Zeta", *world.references]) == []
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 0


def test_english_keeps_the_solvers_own_words(app: Flask, login: Callable[..., FlaskClient]) -> None:
    world = _world(app, "gender")
    client = login(app.test_client(), SimpleNamespace(email=world.officer_email))
    html = client.post(f"/manage/calls/{world.code}/assignments/auto", data={}).get_data(as_text=True)
    assert "its panel needs 1 woman (40 % of 3, rounded down)" in html


def test_an_evaluator_the_assignment_withdrew_is_shown_with_the_reason_in_the_officers_language(
        app: Flask, login: Callable[..., FlaskClient]) -> None:
    with app.app_context():
        world = make_evaluation_setup(code="NO-CONFLICT", proposals=1, evaluators=4, strands=["Alpha", "Beta"],
                                      evaluators_per_proposal=3)
        declared = db.session.get(Assignment, world.assignment_id(0, 0))
        assert declared is not None
        declared.conflict = ConflictDeclaration.CONFLICT
        db.session.commit()
    client = login(app.test_client(), SimpleNamespace(email=world.officer_email))
    client.set_cookie(LANGUAGE_COOKIE, "fr")
    assert client.post(f"/manage/calls/{world.code}/assignments/auto", data={}).status_code == 302
    html = client.get(f"/manage/calls/{world.code}/assignments/{world.proposal_ids[0]}").get_data(as_text=True)
    assert "L’évaluateur a déclaré un conflit d’intérêts." in html
    assert english_left(html, "fr", user_content=[*CONTENT, world.code, "Zeta", *world.references]) == []
