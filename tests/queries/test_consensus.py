"""Consensus as pages read it: the spread of the individual scores, readiness, statuses and history."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.enums import ReportStatus, Role
from app.extensions import db
from app.models import Assignment, Call
from app.queries.consensus import (
    consensus_history,
    consensus_of,
    consensus_statuses,
    load_consensus_proposal,
    readiness,
    spreads,
)
from app.services import consensus
from app.services.errors import NotAllowed, NotFound
from tests.evaluation_support import GOOD, all_reports_in, full_scores, proposal, submit_ier, user
from tests.factories import make_evaluation_setup, make_report, make_staff

pytestmark = pytest.mark.usefixtures("app_ctx")


def test_spread_of_individual_scores() -> None:
    s = make_evaluation_setup(proposals=1)
    pid = s.proposal_ids[0]
    call = db.session.get(Call, s.call_id)
    reports = [make_report(db.session.get(Assignment, s.assignments[(pid, e)]), scores)
               for e, scores in zip(s.evaluator_ids, [{"relevance": "3", "quality": "4", "impact": "2"},
                                                      {"relevance": "5", "quality": "4", "impact": "2.5"},
                                                      {"relevance": "4", "quality": "3.5", "impact": "3"}],
                                    strict=True)]
    relevance, quality, impact = spreads(list(call.criteria), reports)
    assert (relevance.minimum, relevance.maximum, relevance.mean, relevance.divergent) == (
        Decimal(3), Decimal(5), Decimal("4.00"), True)
    assert (quality.mean, quality.divergent) == (Decimal("3.83"), False)
    assert (impact.minimum, impact.maximum, impact.divergent) == (Decimal(2), Decimal(3), False)


def test_the_consensus_is_read_by_officers_and_by_its_evaluators_once_their_own_report_is_in() -> None:
    s = make_evaluation_setup(proposals=1, evaluators=3)
    pid = s.proposal_ids[0]
    assert load_consensus_proposal(pid, user(s.officer_id)).id == pid
    with pytest.raises(NotAllowed):
        load_consensus_proposal(pid, user(s.applicant_id))
    with pytest.raises(NotFound):
        load_consensus_proposal(pid, user(s.evaluator_ids[0]))  # own report not submitted yet
    submit_ier(s.assignment_id(0, 0))
    assert load_consensus_proposal(pid, user(s.evaluator_ids[0])).id == pid
    stranger = make_staff(Role.EVALUATOR, "out@x.test", organisation="Elsewhere", country="SE")
    with pytest.raises(NotFound):
        load_consensus_proposal(pid, stranger)
    with pytest.raises(NotFound, match="There is no such proposal."):
        load_consensus_proposal(pid + 1000, user(s.officer_id))


def test_consensus_statuses_and_history_of_the_proposals() -> None:
    s = make_evaluation_setup(proposals=2, evaluators=3)
    target = all_reports_in(s)
    assert consensus_statuses(s.proposal_ids) == {}
    assert consensus_of(target) is None
    consensus.save_consensus(target, actor=user(s.evaluator_ids[0]), scores=full_scores(), overall_comment=GOOD,
                             submit=True)
    assert consensus_statuses(s.proposal_ids) == {target.id: ReportStatus.SUBMITTED}
    assert [e.action for e in consensus_history(target)] == ["consensus.submitted", "consensus.saved"]
    assert [e.actor_id for e in consensus_history(target, limit=1)] == [s.evaluator_ids[0]]
    assert consensus_history(proposal(s.proposal_ids[1])) == []


def test_consensus_opens_when_every_published_evaluator_has_submitted() -> None:
    s = make_evaluation_setup(proposals=1, evaluators=3)
    target = proposal(s.proposal_ids[0])
    submit_ier(s.assignment_id(0, 0))
    state = readiness(target)
    assert (state.ready, state.submitted, state.expected) == (False, 1, 3)
    assert state.message == "1 of 3 individual reports are submitted; the consensus opens when all are in."
    assert state.rapporteur is not None
    assert state.rapporteur.evaluator_id == s.evaluator_ids[0]
    submit_ier(s.assignment_id(0, 1))
    submit_ier(s.assignment_id(0, 2))
    assert readiness(target).ready
    assert len(readiness(target).reports) == 3
