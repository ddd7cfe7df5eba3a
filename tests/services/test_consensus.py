"""Consensus reports: drafted by the rapporteur once every report is in, approved, reopened with a reason."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.enums import ReportStatus, Role
from app.extensions import db
from app.inputs import ScoreInput
from app.models import AuditEvent, Proposal
from app.queries.consensus import readiness
from app.services import consensus
from app.services.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from tests.evaluation_support import GOOD, all_reports_in, events, full_scores, ready_to_rank, submit_ier, user
from tests.factories import make_evaluation_setup, make_staff

pytestmark = pytest.mark.usefixtures("app_ctx")


def test_consensus_requires_every_individual_report() -> None:
    s = make_evaluation_setup(proposals=1)
    pid = s.proposal_ids[0]
    proposal = db.session.get(Proposal, pid)
    rapporteur = user(s.evaluator_ids[0])
    submit_ier(s.assignments[(pid, s.evaluator_ids[0])])
    submit_ier(s.assignments[(pid, s.evaluator_ids[1])])
    state = readiness(proposal)
    assert (state.ready, state.submitted, state.expected) == (False, 2, 3)
    with pytest.raises(InvalidTransition, match="2 of 3 individual reports"):
        consensus.save_consensus(proposal, actor=rapporteur, scores=full_scores())
    submit_ier(s.assignments[(pid, s.evaluator_ids[2])])
    assert readiness(proposal).ready
    consensus.save_consensus(proposal, actor=rapporteur, scores=full_scores())


def test_only_the_rapporteur_drafts_the_consensus() -> None:
    s = make_evaluation_setup(proposals=1)
    proposal = all_reports_in(s)
    with pytest.raises(NotAllowed):
        consensus.save_consensus(proposal, actor=user(s.evaluator_ids[1]), scores=full_scores())
    stranger = make_staff(Role.EVALUATOR, "out@x.test", organisation="Elsewhere", country="SE")
    with pytest.raises(NotFound):
        consensus.save_consensus(proposal, actor=stranger, scores=full_scores())
    with pytest.raises(NotAllowed):
        consensus.save_consensus(proposal, actor=user(s.officer_id), scores=full_scores())


def test_consensus_draft_submit_approve_and_ready_to_rank() -> None:
    s = make_evaluation_setup(proposals=1)
    proposal = all_reports_in(s)
    call = proposal.call
    rapporteur, officer = user(s.evaluator_ids[0]), user(s.officer_id)
    assert ready_to_rank(call) == (
        False, [f"1 eligible proposal has no approved consensus: {proposal.reference}."])
    consensus.save_consensus(proposal, actor=rapporteur, scores={"relevance": ScoreInput("4", GOOD)})
    with pytest.raises(InvalidTransition):
        consensus.approve_consensus(proposal, actor=officer)  # still a draft
    with pytest.raises(InvalidInput):
        consensus.submit_consensus(proposal, actor=rapporteur)
    consensus.save_consensus(proposal, actor=rapporteur, scores=full_scores("4.5"), overall_comment=GOOD,
                             submit=True)
    with pytest.raises(NotAllowed):
        consensus.approve_consensus(proposal, actor=rapporteur)
    report = consensus.approve_consensus(proposal, actor=officer)
    assert report.status is ReportStatus.APPROVED
    assert report.approved_by_id == officer.id
    assert ready_to_rank(call) == (True, [])
    assert [e.action for e in db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.object_type == "consensus_report").order_by(AuditEvent.id))] == [
        "consensus.saved", "consensus.saved", "consensus.submitted", "consensus.approved"]


def test_reopening_an_approved_consensus_is_audited_and_needs_a_reason() -> None:
    s = make_evaluation_setup(proposals=1)
    proposal = all_reports_in(s)
    rapporteur, officer = user(s.evaluator_ids[0]), user(s.officer_id)
    consensus.save_consensus(proposal, actor=rapporteur, scores=full_scores(), overall_comment=GOOD, submit=True)
    consensus.approve_consensus(proposal, actor=officer)
    with pytest.raises(InvalidInput):
        consensus.reopen_consensus(proposal, actor=officer, reason="why")
    report = consensus.reopen_consensus(proposal, actor=officer, reason="The panel review found an inconsistency.")
    assert report.status is ReportStatus.DRAFT
    assert report.approved_at is None
    (event_,) = events("consensus.reopened")
    assert event_.data["previous"] == "approved"
    assert event_.data["reason"] == "The panel review found an inconsistency."
    assert ready_to_rank(proposal.call)[0] is False
    consensus.save_consensus(proposal, actor=rapporteur, scores=full_scores("3"), submit=True)


def test_reopening_is_refused_after_a_finalised_selection() -> None:
    from tests.factories import make_finalised_run

    s = make_evaluation_setup(proposals=1)
    proposal = all_reports_in(s)
    consensus.save_consensus(proposal, actor=user(s.evaluator_ids[0]), scores=full_scores(), overall_comment=GOOD,
                             submit=True)
    consensus.approve_consensus(proposal, actor=user(s.officer_id))
    make_finalised_run(proposal.call, [(proposal, "selected")])
    with pytest.raises(InvalidTransition, match="finalised"):
        consensus.reopen_consensus(proposal, actor=user(s.officer_id), reason="A late change of heart.")
