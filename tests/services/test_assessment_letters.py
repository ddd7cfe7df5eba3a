"""Mission letters: a call for expression of interest writes "selected to take part in the mission", reserve list
and not-selected letters through the letter machinery (PDF, verifiable code), with the officer's assessment, in the
coordinator's language."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.enums import LetterKind, Role
from app.extensions import db
from app.models import Letter, User
from app.queries.runs import finalise_preview
from app.services.assessment import record_assessment
from app.services.selection import finalise_run, run_selection
from tests.assessment_worlds import MissionWorld, make_mission_world
from tests.letter_worlds import generate, letter_of

NOTE = "Active in batteries, with a concrete plan for Korean partners."


def _decided(app_ctx, make_user, language: str | None) -> tuple[MissionWorld, User]:  # type: ignore[no-untyped-def]
    officer = db.session.get(User, make_user(Role.OFFICER).id)
    applicant = db.session.get(User, make_user(Role.APPLICANT).id)
    applicant.language = language
    world = make_mission_world(applicant, eligible=3, places=1, reserve=1)
    for proposal, (verdict, fit) in zip(world.proposals, [("suitable", 5), ("suitable", 3), ("not_suitable", 2)],
                                        strict=True):
        record_assessment(proposal, actor=officer, verdict=verdict, fit=fit, note=NOTE)
    run = run_selection(world.call, actor=officer)
    finalise_run(run, actor=officer, token=finalise_preview(run).token)
    db.session.commit()
    generate(run, officer)
    return world, officer


def test_each_outcome_gets_its_mission_letter(app_ctx, make_user) -> None:  # type: ignore[no-untyped-def]
    world, _ = _decided(app_ctx, make_user, None)
    selected, selected_text = letter_of(world.proposals[0])
    assert selected.kind is LetterKind.AWARD
    assert "selected to take part in the mission" in selected_text
    assert "Selected to take part in the mission" in selected_text
    assert "It was assessed suitable, and the mission's one place went to the best fit with its aims." in selected_text
    assert NOTE in selected_text
    assert "5 of 5" in selected_text
    assert "EU Industry Days" not in selected_text
    assert selected.verification_code in selected_text
    reserve, reserve_text = letter_of(world.proposals[1])
    assert reserve.kind is LetterKind.RESERVE
    assert "is on the mission's reserve list" in reserve_text
    assert "1 of 1" in reserve_text
    rejected, rejected_text = letter_of(world.proposals[2])
    assert rejected.kind is LetterKind.REJECTION
    assert "has not been selected to take part in the mission" in rejected_text
    assert "It was assessed not suitable for the mission's aims." in rejected_text
    assert "budget" not in rejected_text.lower()
    ineligible, _ = letter_of(world.ineligible)
    assert ineligible.kind is LetterKind.INELIGIBLE


@pytest.mark.parametrize(("language", "expected"), [
    ("fr", "sélectionnée pour participer à la mission"),
    ("de", "zur Teilnahme an der Mission ausgewählt"),
])
def test_mission_letters_are_written_in_the_coordinators_language(app_ctx, make_user, language, expected) -> None:  # type: ignore[no-untyped-def]
    world, _ = _decided(app_ctx, make_user, language)
    _, text = letter_of(world.proposals[0])
    assert expected in text
    assert db.session.scalar(sa.select(sa.func.count(Letter.id))) == 4
