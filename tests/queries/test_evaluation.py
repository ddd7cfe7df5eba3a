"""The evaluator's access rule and the blind rule."""

from __future__ import annotations

import pytest

from app.enums import AssignmentState, Eligibility, Role
from app.extensions import db
from app.models import Assignment, PoolMember, Proposal
from app.queries.evaluation import (
    Access,
    evaluator_access,
    evaluator_can_view,
    load_evaluation,
    peer_reports,
    stored_annexes,
)
from app.queries.submitted import submitted_version
from app.services import conflicts, reviews
from app.services.errors import NotAllowed, NotFound
from app.services.receipts import freeze_submission
from tests.evaluation_support import GOOD, complete, full_scores, proposal, submit_ier, user
from tests.factories import make_evaluation_setup, make_staff

pytestmark = pytest.mark.usefixtures("app_ctx")


def test_access_rule_matrix() -> None:
    s = make_evaluation_setup(proposals=1, evaluators=3, declared=False)
    proposal = db.session.get(Proposal, s.proposal_ids[0])
    evaluator = user(s.evaluator_ids[0])
    assignment = db.session.get(Assignment, s.assignments[(proposal.id, evaluator.id)])
    member = db.session.get(PoolMember, s.member_ids[0])
    assert evaluator_access(evaluator, proposal) is Access.SUMMARY  # published, not yet declared
    assert not evaluator_can_view(evaluator, proposal)
    conflicts.declare_conflict(assignment, actor=evaluator, conflict=False)
    assert evaluator_access(evaluator, proposal) is Access.FULL
    member.code_of_conduct_accepted_at = None
    assert evaluator_access(evaluator, proposal) is Access.NONE
    member.code_of_conduct_accepted_at = proposal.call.deadline
    assignment.state = AssignmentState.PROPOSED
    assert evaluator_access(evaluator, proposal) is Access.NONE
    assignment.state = AssignmentState.PUBLISHED
    member.withdrawn_at = proposal.call.deadline
    assert evaluator_access(evaluator, proposal) is Access.NONE
    member.withdrawn_at = None
    proposal.eligibility = Eligibility.PENDING
    assert evaluator_access(evaluator, proposal) is Access.NONE
    proposal.eligibility = Eligibility.ELIGIBLE
    assert evaluator_access(user(s.officer_id), proposal) is Access.NONE  # not an evaluator
    outsider = make_staff(Role.EVALUATOR, "out@x.test", organisation="Elsewhere", country="SE")
    assert evaluator_access(outsider, proposal) is Access.NONE
    assert evaluator_access(evaluator, proposal) is Access.FULL


def test_blind_until_the_own_report_is_submitted() -> None:
    s = make_evaluation_setup(proposals=1)
    pid = s.proposal_ids[0]
    mine = db.session.get(Assignment, s.assignments[(pid, s.evaluator_ids[0])])
    submit_ier(s.assignments[(pid, s.evaluator_ids[1])], "2")
    assert peer_reports(mine) == []
    reviews.save_report(mine, actor=user(s.evaluator_ids[0]), scores=full_scores(), overall_comment=GOOD)
    assert peer_reports(mine) == []  # a draft is not enough
    reviews.submit_report(mine, actor=user(s.evaluator_ids[0]))
    peers = peer_reports(mine)
    assert [r.assignment.evaluator_id for r in peers] == [s.evaluator_ids[1]]  # drafts of others stay hidden


def test_only_evaluators_load_evaluations_and_only_their_own() -> None:
    s = make_evaluation_setup(proposals=1, evaluators=3, declared=False)
    mine = s.assignment_id(0, 0)
    with pytest.raises(NotAllowed, match="Only evaluators have evaluations."):
        load_evaluation(mine, user(s.officer_id))
    with pytest.raises(NotFound):
        load_evaluation(mine, user(s.evaluator_ids[1]))  # another evaluator's assignment
    with pytest.raises(NotFound):
        load_evaluation(mine, user(s.evaluator_ids[0]))  # full access needs the declaration first
    opened = load_evaluation(mine, user(s.evaluator_ids[0]), need=Access.SUMMARY)
    assert (opened.access, opened.assignment.id, opened.member.id) == (Access.SUMMARY, mine, s.member_ids[0])
    assert (opened.proposal.id, opened.call.id, opened.version.reference) == (
        s.proposal_ids[0], s.call_id, s.references[0])


def test_the_annexes_of_the_submitted_version_come_with_their_stored_documents() -> None:
    s = make_evaluation_setup(proposals=1, evaluators=3)
    target = proposal(s.proposal_ids[0])
    complete(target, user(s.applicant_id))  # a Part B
    target.submissions.append(freeze_submission(target, version=2, submitted_at=target.call.deadline,
                                                submitted_by=user(s.applicant_id)))
    db.session.flush()
    [(annex, document)] = stored_annexes(submitted_version(target))
    assert annex.filename == "part-b.pdf"
    assert document is not None
    assert document.sha256 == annex.sha256
    db.session.delete(document)
    db.session.flush()
    db.session.expire(target)
    assert [(a.filename, d) for a, d in stored_annexes(submitted_version(target))] == [("part-b.pdf", None)]
