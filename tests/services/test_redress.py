"""Evaluation review (redress) requests: who may file, about which decision, within which window, on which grounds.

Every boundary is met on the app's clock (app/clock.py), standing still: the instant the window closes is allowed, a
second later is refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app.enums import LetterKind, RedressGround, RedressStatus, Role
from app.extensions import db
from app.models import AuditEvent, Letter, Proposal, RedressRequest, User
from app.queries.letters import verification_code
from app.queries.redress import redress_window
from app.services.errors import AlreadyExists, DeadlinePassed, InvalidInput, InvalidTransition, NotAllowed
from app.services.redress import file_redress_request, record_letter_opened

GROUNDS = ("The consensus report scores Impact 2 of 5 while its comment calls the dissemination plan excellent "
           "and finds no shortcoming: the score contradicts the comment.")


@pytest.fixture
def world(scenario: dict[str, Any], make_user: Any) -> dict[str, Any]:
    """The letter scenario's applicant, an applicant of another organisation and an officer, merged."""
    applicant = db.session.scalar(sa.select(User).where(User.organisation_id == scenario["proposals"][
        "reserve"].organisation_id))
    other = db.session.merge(make_user(Role.APPLICANT, organisation="Iberian Cluster", country="ES"))
    officer = db.session.merge(make_user(Role.OFFICER))
    return {**scenario, "applicant": applicant, "other": other, "officer": officer}


def publish_letter(proposal: Proposal, kind: LetterKind, *, run_number: int = 1, opened_days: float | None = None,
                   published_days_ago: float = 0) -> Letter:
    """A published letter of `kind`, sent `published_days_ago` days before now, opened `opened_days` after that."""
    from app.clock import utcnow

    sent = utcnow() - timedelta(days=published_days_ago)
    reference = f"{proposal.reference}-L{run_number}"
    letter = Letter(proposal_id=proposal.id, kind=kind, reference=reference,
                    verification_code=verification_code(reference), sha256="0" * 64, decision_date=sent,
                    published_at=sent, opened_at=None if opened_days is None else sent + timedelta(days=opened_days))
    db.session.add(letter)
    db.session.flush()
    return letter


def file(proposal: Proposal, actor: User, stage: LetterKind = LetterKind.RESERVE,
         ground: RedressGround = RedressGround.SCORE_COMMENT_INCOHERENCE, text: str = GROUNDS) -> RedressRequest:
    return file_redress_request(proposal, actor=actor, stage=stage, ground=ground, grounds_text=text)


def test_the_coordinator_files_a_request_and_it_is_audited(world, frozen_clock) -> None:
    proposal = world["proposals"]["reserve"]
    letter = publish_letter(proposal, LetterKind.RESERVE, opened_days=1, published_days_ago=5)
    request = file(proposal, world["applicant"])
    db.session.commit()
    assert (request.status, request.stage, request.letter_id) == (RedressStatus.FILED, LetterKind.RESERVE, letter.id)
    assert request.window_closes_at == letter.opened_at + timedelta(days=30)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "redress.filed"))
    assert event is not None
    assert event.object_id == str(proposal.id)
    assert event.data["stage"] == "reserve"
    assert event.data["letter"] == letter.reference


@pytest.mark.parametrize(("after_closing", "refused"), [(timedelta(0), False), (timedelta(seconds=1), True)])
def test_the_window_runs_thirty_days_from_the_first_opening(world, frozen_clock, after_closing, refused) -> None:
    proposal = world["proposals"]["reserve"]
    letter = publish_letter(proposal, LetterKind.RESERVE, opened_days=3)
    frozen_clock.move(days=3 + 30)
    frozen_clock.move(seconds=after_closing.total_seconds())
    assert redress_window(letter, proposal.call).closes_at == letter.opened_at + timedelta(days=30)
    if refused:
        with pytest.raises(DeadlinePassed, match="30 days after the letter was received \\(you opened it\\)"):
            file(proposal, world["applicant"])
    else:
        file(proposal, world["applicant"])


@pytest.mark.parametrize(("opened_days", "after_closing", "refused"), [
    (None, timedelta(0), False), (None, timedelta(seconds=1), True),
    # Opened after the tenth day: it had counted as received on the tenth already.
    (12, timedelta(0), False), (12, timedelta(seconds=1), True),
])
def test_a_letter_not_opened_within_ten_days_counts_as_received_on_the_tenth(world, frozen_clock, opened_days,
                                                                              after_closing, refused) -> None:
    proposal = world["proposals"]["reserve"]
    letter = publish_letter(proposal, LetterKind.RESERVE, opened_days=opened_days)
    frozen_clock.move(days=10 + 30, seconds=after_closing.total_seconds())
    window = redress_window(letter, proposal.call)
    assert window is not None
    assert not window.opened
    assert window.received_at == letter.published_at + timedelta(days=10)
    if refused:
        with pytest.raises(DeadlinePassed, match="10 days after it was sent, unopened"):
            file(proposal, world["applicant"])
    else:
        file(proposal, world["applicant"])


def test_the_call_sets_its_own_periods(world, frozen_clock) -> None:
    proposal = world["proposals"]["not_funded"]
    proposal.call.redress_days, proposal.call.redress_unopened_days = 5, 2
    publish_letter(proposal, LetterKind.REJECTION)
    frozen_clock.move(days=2 + 5, seconds=1)
    with pytest.raises(DeadlinePassed, match="5 days after the letter was received"):
        file(proposal, world["applicant"], stage=LetterKind.REJECTION)


def test_a_second_request_about_the_same_decision_is_refused(world, frozen_clock) -> None:
    proposal = world["proposals"]["reserve"]
    publish_letter(proposal, LetterKind.RESERVE)
    file(proposal, world["applicant"])
    db.session.commit()
    frozen_clock.move(days=1)
    with pytest.raises(AlreadyExists, match="already requested on .*one request per proposal and decision"):
        file(proposal, world["applicant"], ground=RedressGround.EVALUATION_PROCEDURE)


def test_a_new_decision_opens_its_own_request(world, frozen_clock) -> None:
    """One request per stage: the reserve list decision reviewed, a later rejection may be reviewed too."""
    proposal = world["proposals"]["reserve"]
    publish_letter(proposal, LetterKind.RESERVE)
    file(proposal, world["applicant"])
    frozen_clock.move(days=2)
    publish_letter(proposal, LetterKind.REJECTION, run_number=2)
    assert file(proposal, world["applicant"], stage=LetterKind.REJECTION).stage is LetterKind.REJECTION


@pytest.mark.parametrize(("kind", "stage", "message"), [
    (LetterKind.RESERVE, LetterKind.REJECTION, "letter in force is a reserve list letter, not a rejection letter"),
    (LetterKind.AWARD, LetterKind.REJECTION, "only ineligibility, rejection and reserve list decisions"),
])
def test_a_request_about_another_decision_than_the_letter_s_is_refused(world, frozen_clock, kind, stage,
                                                                       message) -> None:
    proposal = world["proposals"]["reserve"]
    publish_letter(proposal, kind)
    with pytest.raises(InvalidTransition, match=message):
        file(proposal, world["applicant"], stage=stage)


def test_without_a_published_letter_there_is_nothing_to_review(world, frozen_clock) -> None:
    proposal = world["proposals"]["reserve"]
    letter = publish_letter(proposal, LetterKind.RESERVE)
    letter.published_at = None
    with pytest.raises(InvalidTransition, match="no published decision letter"):
        file(proposal, world["applicant"])


@pytest.mark.parametrize("who", ["other", "officer"])
def test_only_the_coordinating_organisation_s_applicants_may_file(world, frozen_clock, who) -> None:
    proposal = world["proposals"]["reserve"]
    publish_letter(proposal, LetterKind.RESERVE)
    with pytest.raises(NotAllowed, match="coordinating organisation"):
        file(proposal, world[who])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RedressRequest)) == 0


@pytest.mark.parametrize(("status", "stage", "ground", "text", "field"), [
    ("ineligible", LetterKind.INELIGIBLE, RedressGround.EVALUATION_PROCEDURE, GROUNDS, "ground"),
    ("reserve", LetterKind.RESERVE, RedressGround.ELIGIBILITY_CHECK, GROUNDS, "ground"),
    ("reserve", LetterKind.RESERVE, RedressGround.EVALUATION_PROCEDURE, "The experts were wrong.", "grounds_text"),
])
def test_grounds_the_decision_does_not_admit_are_refused_by_field(world, frozen_clock, status, stage, ground, text,
                                                                   field) -> None:
    proposal = world["proposals"][status]
    publish_letter(proposal, stage)
    with pytest.raises(InvalidInput) as refused:
        file(proposal, world["applicant"], stage=stage, ground=ground, text=text)
    assert refused.value.details["field"] == field


def test_the_first_download_by_the_coordinator_is_the_letter_s_receipt(world, frozen_clock) -> None:
    proposal = world["proposals"]["reserve"]
    letter = publish_letter(proposal, LetterKind.RESERVE)
    db.session.commit()
    frozen_clock.move(days=1)
    record_letter_opened(letter, actor=world["officer"])  # an officer reading it is not its receipt
    record_letter_opened(letter, actor=world["other"])
    db.session.expire_all()
    assert db.session.get(Letter, letter.id).opened_at is None
    first = frozen_clock.now()
    record_letter_opened(db.session.get(Letter, letter.id), actor=world["applicant"])
    frozen_clock.move(days=1)
    db.session.expire_all()
    record_letter_opened(db.session.get(Letter, letter.id), actor=world["applicant"])
    db.session.expire_all()
    assert db.session.get(Letter, letter.id).opened_at == first
