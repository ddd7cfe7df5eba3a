"""The evaluator's dashboard: invitations to accept, what is left to do on each proposal, what a conflict hid."""

from __future__ import annotations

import pytest

from app.clock import utcnow
from app.queries.worklist import worklist
from app.services import conflicts, reviews
from app.services import consensus as consensus_service
from tests.evaluation_support import GOOD, all_reports_in, assignment, full_scores, user
from tests.factories import make_call, make_evaluation_setup, make_pool_member

pytestmark = pytest.mark.usefixtures("app_ctx")


def _statuses(user_id: int) -> dict[str, tuple[str, bool]]:
    return {row.version.acronym: (row.status, row.overdue) for row in worklist(user(user_id), utcnow()).rows}


def test_each_assigned_proposal_says_what_is_left_to_do_and_whether_it_is_late() -> None:
    s = make_evaluation_setup(proposals=2, evaluators=3, declared=False)  # evaluator 1: rapporteur of ACR1 only
    evaluator = user(s.evaluator_ids[0])
    assert _statuses(evaluator.id) == {"ACR1": ("Declare conflicts", True), "ACR2": ("Declare conflicts", True)}
    mine = assignment(s.assignment_id(0, 0))
    conflicts.declare_conflict(mine, actor=evaluator, conflict=False)
    assert _statuses(evaluator.id)["ACR1"] == ("To evaluate", True)  # the evaluation deadline has passed
    reviews.save_report(mine, actor=evaluator, scores=full_scores(), overall_comment=GOOD)
    assert _statuses(evaluator.id)["ACR1"] == ("Draft", True)
    reviews.submit_report(mine, actor=evaluator)
    # Issue 15: "consensus to draft" only when every report is in; the rapporteur is told how many are.
    assert _statuses(evaluator.id)["ACR1"] == ("Submitted · 1 of 3 reports in", False)
    other = user(s.evaluator_ids[1])
    conflicts.declare_conflict(assignment(s.assignment_id(0, 1)), actor=other, conflict=False)
    assert _statuses(other.id)["ACR1"] == ("To evaluate", True)
    reviews.save_report(assignment(s.assignment_id(0, 1)), actor=other, scores=full_scores(), overall_comment=GOOD)
    reviews.submit_report(assignment(s.assignment_id(0, 1)), actor=other)
    assert _statuses(evaluator.id)["ACR1"] == ("Submitted · 2 of 3 reports in", False)
    third = user(s.evaluator_ids[2])
    last = assignment(s.assignment_id(0, 2))
    conflicts.declare_conflict(last, actor=third, conflict=False)
    reviews.save_report(last, actor=third, scores=full_scores(), overall_comment=GOOD)
    reviews.submit_report(last, actor=third)
    assert _statuses(evaluator.id)["ACR1"] == ("Submitted · consensus to draft", False)


def test_the_consensus_status_follows_the_report() -> None:
    s = make_evaluation_setup(proposals=1, evaluators=3)
    target = all_reports_in(s)
    assert _statuses(s.evaluator_ids[1]) == {"ACR1": ("Submitted", False)}
    consensus_service.save_consensus(target, actor=user(s.evaluator_ids[0]), scores=full_scores(),
                                     overall_comment=GOOD, submit=True)
    assert _statuses(s.evaluator_ids[0]) == {"ACR1": ("Consensus submitted", False)}
    consensus_service.approve_consensus(target, actor=user(s.officer_id))
    assert _statuses(s.evaluator_ids[1]) == {"ACR1": ("Consensus approved", False)}


def test_invitations_wait_and_a_declared_conflict_hides_the_proposal() -> None:
    s = make_evaluation_setup(proposals=2, evaluators=3, declared=False)
    evaluator = user(s.evaluator_ids[0])
    other_call = make_call("OTHER-CALL")
    make_pool_member(other_call, evaluator, accepted=False)
    conflicts.declare_conflict(assignment(s.assignment_id(1, 0)), actor=evaluator, conflict=True,
                               note="I advised the coordinator in 2020.")
    work = worklist(evaluator, utcnow())
    assert [row.version.acronym for row in work.rows] == ["ACR1"]
    assert work.hidden == 1
    assert [m.call.code for m in work.pending] == ["OTHER-CALL"]
    assert {m.call.code for m in work.members} == {"OTHER-CALL", s.code}
