"""Screening decisions: the officer confirms or overrides eligibility after the deadline, with a reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.clock import set_clock
from app.enums import AssignmentState, Eligibility
from app.extensions import db
from app.models import Assignment, Call, Proposal
from app.queries.evaluation import Access, evaluator_access
from app.queries.screening import screening_open, screening_rows
from app.services import screening
from app.services.errors import InvalidInput, InvalidTransition, NotAllowed
from tests.evaluation_support import complete, events, user
from tests.factories import make_evaluation_setup

pytestmark = pytest.mark.usefixtures("app_ctx")


def test_screening_decision_needs_a_reason_and_is_audited() -> None:
    s = make_evaluation_setup(proposals=1, publish=False)
    proposal = db.session.get(Proposal, s.proposal_ids[0])
    officer = user(s.officer_id)
    with pytest.raises(InvalidInput) as error:
        screening.decide_eligibility(proposal, actor=officer, eligible=False, reason="no")
    assert error.value.details == {"field": "reason"}
    screening.decide_eligibility(proposal, actor=officer, eligible=False, reason="The coordinator is not a cluster.")
    assert proposal.eligibility is Eligibility.INELIGIBLE
    assert proposal.screened_by_id == officer.id
    (audit,) = events("proposal.screened")
    assert audit.data["eligibility"] == "ineligible"
    assert audit.data["previous"] == "eligible"
    assert audit.data["automatic"] == "fail"
    assert audit.data["overrides"] is False


def test_only_officers_screen() -> None:
    s = make_evaluation_setup(proposals=1, publish=False)
    proposal = db.session.get(Proposal, s.proposal_ids[0])
    with pytest.raises(NotAllowed):
        screening.decide_eligibility(proposal, actor=user(s.evaluator_ids[0]), eligible=True,
                                     reason="Looks fine to me, really.")


def test_screening_waits_for_the_deadline() -> None:
    s = make_evaluation_setup(proposals=1, publish=False)
    proposal = db.session.get(Proposal, s.proposal_ids[0])
    call = proposal.call
    set_clock(lambda: call.deadline - timedelta(seconds=1))
    try:
        assert not screening_open(call)
        with pytest.raises(InvalidTransition):
            screening.decide_eligibility(proposal, actor=user(s.officer_id), eligible=True,
                                         reason="All checks passed.")
    finally:
        set_clock(None)
    assert screening_open(call)


def test_screening_waits_for_the_later_of_the_call_deadline_and_an_extension() -> None:
    """An extension the call's own (later) deadline has overtaken does not open screening early."""
    s = make_evaluation_setup(proposals=1, publish=False)
    proposal = db.session.get(Proposal, s.proposal_ids[0])
    call = proposal.call
    proposal.extended_deadline = call.deadline - timedelta(hours=2)  # granted before the call was moved later
    db.session.flush()
    set_clock(lambda: call.deadline - timedelta(hours=1))
    try:
        [row] = screening_rows(call)
        assert not row.ready
        with pytest.raises(InvalidTransition, match="proposal's deadline"):
            screening.decide_eligibility(proposal, actor=user(s.officer_id), eligible=True,
                                         reason="All checks passed.")
    finally:
        set_clock(None)
    assert screening_rows(call)[0].ready


def test_an_ineligible_decision_withdraws_the_proposals_assignments() -> None:
    s = make_evaluation_setup(proposals=1)
    proposal = db.session.get(Proposal, s.proposal_ids[0])
    screening.decide_eligibility(proposal, actor=user(s.officer_id), eligible=False,
                                 reason="A partner is not in an eligible country.")
    states = {a.state for a in db.session.scalars(sa.select(Assignment).where(Assignment.proposal_id == proposal.id))}
    assert states == {AssignmentState.WITHDRAWN}
    assert evaluator_access(user(s.evaluator_ids[0]), proposal) is Access.NONE


def test_confirm_passing_marks_only_proposals_that_pass_every_check() -> None:
    s = make_evaluation_setup(proposals=3, publish=False)
    for proposal_id in s.proposal_ids:
        db.session.get(Proposal, proposal_id).eligibility = Eligibility.PENDING
    complete(db.session.get(Proposal, s.proposal_ids[1]), user(s.applicant_id))
    confirmed = screening.confirm_passing(db.session.get(Call, s.call_id), actor=user(s.officer_id),
                                          reason="Every automatic check passed.")
    assert [p.id for p in confirmed] == [s.proposal_ids[1]]
    assert [db.session.get(Proposal, i).eligibility for i in s.proposal_ids] == [
        Eligibility.PENDING, Eligibility.ELIGIBLE, Eligibility.PENDING]
