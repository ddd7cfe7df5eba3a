"""The review committee of an evaluation review: who may sit on it (officers who took no part in the evaluation of
the proposal, read from its records and audit trail), the outcome "rejected" and its verifiable reply letter, and the
call's report of requests and time taken."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from app.clock import utcnow
from app.enums import LetterKind, RedressGround, RedressStatus, Role
from app.extensions import db
from app.letter_files import letter_pdf
from app.models import AuditEvent, ConsensusReport, Letter, RedressRequest, User
from app.queries.letters import find_letter_by_code, latest_letter, verification_code
from app.queries.redress import evaluation_participants, redress_queue, redress_report
from app.services.audit import record_event
from app.services.errors import InvalidInput, InvalidTransition, NotAllowed
from app.services.redress import file_redress_request, reject_redress_request
from tests.letter_worlds import flat, pdf_text

GROUNDS = ("The consensus report was approved before the third individual report had been submitted, against the "
           "call's evaluation procedure.")
ASSESSMENT = ("The record shows the three individual reports submitted on 2 March and the consensus approved on 9 "
              "March: the order the procedure requires was kept.\n\nThe scores and the comments agree.")


@pytest.fixture
def case(scenario: dict[str, Any], make_user: Any) -> dict[str, Any]:
    """A reserve list proposal whose coordinator filed a request; officers in and out of its evaluation."""
    proposal = scenario["proposals"]["reserve"]
    officers = {name: db.session.merge(make_user(Role.OFFICER, email=f"{name}@committee.test"))
                for name in ("approver", "screener", "assigner", "outsider")}
    db.session.scalar(sa.select(ConsensusReport).where(ConsensusReport.proposal_id == proposal.id)) \
        .approved_by_id = officers["approver"].id
    proposal.screened_by_id = officers["screener"].id
    record_event(officers["assigner"], "assignment.added", object_type="assignment", object_id=999,
                 proposal_id=proposal.id, evaluator_id=officers["outsider"].id + 1000)
    reference = f"{proposal.reference}-L1"
    db.session.add(Letter(proposal_id=proposal.id, kind=LetterKind.RESERVE, reference=reference,
                          verification_code=verification_code(reference), sha256="0" * 64,
                          decision_date=utcnow(), published_at=utcnow()))
    applicant = db.session.scalar(sa.select(User).where(User.organisation_id == proposal.organisation_id))
    request = file_redress_request(proposal, actor=applicant, stage=LetterKind.RESERVE,
                                   ground=RedressGround.EVALUATION_PROCEDURE, grounds_text=GROUNDS)
    db.session.commit()
    return {**officers, "request": request, "proposal": proposal, "call": scenario["call"]}


def test_the_participants_are_read_from_the_records_and_the_trail(case) -> None:
    participants = evaluation_participants(case["proposal"])
    assert {case[name].id for name in ("approver", "screener", "assigner")} <= participants
    assert case["outsider"].id not in participants


@pytest.mark.parametrize("who", ["approver", "screener", "assigner"])
def test_an_officer_who_took_part_in_the_evaluation_may_not_decide(case, who) -> None:
    with pytest.raises(NotAllowed, match="You took part in the evaluation of this proposal"):
        reject_redress_request(case["request"], actor=case[who], assessment=ASSESSMENT)
    assert case["request"].status is RedressStatus.FILED


def test_the_applicant_and_the_system_may_not_decide(case) -> None:
    with pytest.raises(NotAllowed):
        reject_redress_request(case["request"], actor=case["request"].filed_by, assessment=ASSESSMENT)
    with pytest.raises(NotAllowed):
        reject_redress_request(case["request"], actor=None, assessment=ASSESSMENT)


def test_rejected_the_decision_stands_and_a_verifiable_reply_letter_is_issued(case) -> None:
    reply = reject_redress_request(case["request"], actor=case["outsider"], assessment=ASSESSMENT)
    db.session.commit()
    request = db.session.get(RedressRequest, case["request"].id)
    assert request.status is RedressStatus.REJECTED
    assert request.decided_by_id == case["outsider"].id
    assert request.reply_letter_id == reply.id
    assert (reply.kind, reply.is_published) == (LetterKind.REDRESS_REPLY, True)
    assert find_letter_by_code(reply.verification_code).id == reply.id
    text = flat(pdf_text(letter_pdf(reply)))
    assert "the order the procedure requires was kept" in text
    assert "your request is rejected and the decision stands" in text
    assert reply.verification_code in text
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "redress.rejected"))
    assert event is not None
    assert event.actor_id == case["outsider"].id
    # The proposal's decision letter is still the reserve list letter: the reply is no new decision.
    assert latest_letter(case["proposal"], published_only=True).kind is LetterKind.RESERVE
    with pytest.raises(InvalidTransition, match="already decided"):
        reject_redress_request(request, actor=case["outsider"], assessment=ASSESSMENT)


def test_an_assessment_too_short_is_refused_at_its_field(case) -> None:
    with pytest.raises(InvalidInput) as refused:
        reject_redress_request(case["request"], actor=case["outsider"], assessment="No failing.")
    assert refused.value.details["field"] == "assessment"


def test_the_queue_and_the_report_count_the_days_from_filing_to_decision(case, frozen_clock) -> None:
    frozen_clock.move(days=12, hours=5)
    reject_redress_request(case["request"], actor=case["outsider"], assessment=ASSESSMENT)
    db.session.commit()
    report = redress_report(case["call"])
    assert (report.total, report.decided, report.median_days, report.max_days) == (1, 1, 12.0, 12)
    assert report.by_status[RedressStatus.REJECTED] == 1
    assert report.by_status[RedressStatus.FILED] == 0
    frozen_clock.move(days=30)
    [row] = redress_queue(case["call"], utcnow())
    assert row.days_elapsed == 12, "a decided request's time stops at its decision"


def test_a_request_awaiting_the_committee_counts_its_days_to_now(case, frozen_clock) -> None:
    frozen_clock.move(days=3, hours=1)
    [row] = redress_queue(case["call"], utcnow())
    assert row.days_elapsed == 3
