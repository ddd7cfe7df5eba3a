"""Assignments as the automatic assignment and the officer's pages read them: the solver's input, the candidates."""

from __future__ import annotations

import pytest

from app.enums import AssignmentState, ConflictDeclaration, Role
from app.extensions import db
from app.models import PoolMember
from app.queries.assignment import (
    assignment_candidates,
    assignment_problem,
    call_assignments,
    eligible_proposals,
    proposal_assignments,
)
from app.queries.conflicts import ConflictIndex
from app.queries.pool import active_pool
from app.queries.submitted import submitted_version, submitted_versions
from tests.evaluation_support import assignment, call_of, proposal
from tests.factories import make_evaluation_setup, make_pool_member, make_staff

pytestmark = pytest.mark.usefixtures("app_ctx")


def test_the_problem_counts_the_places_left_and_excludes_whom_a_proposal_must_not_get() -> None:
    s = make_evaluation_setup(proposals=2, evaluators=4)  # k = 3: proposal 1 has evaluators 1-3, proposal 2 2-4
    call = call_of(s)
    partner = make_staff(Role.EVALUATOR, "partner@x.test", organisation="Partner A", country="IE")
    make_pool_member(call, partner, max_load=5)  # in every consortium: conflicted with both proposals
    declared = assignment(s.assignment_id(0, 1))
    declared.conflict, declared.conflict_note = ConflictDeclaration.CONFLICT, "My former employer."
    assignment(s.assignment_id(1, 3)).state = AssignmentState.WITHDRAWN
    member = db.session.get(PoolMember, s.member_ids[0])
    assert member is not None
    member.max_load = 1
    db.session.flush()
    proposals = eligible_proposals(call)
    versions = submitted_versions(proposals)
    members = active_pool(call)
    problem = assignment_problem(call, proposals, versions, members, call_assignments(call),
                                 ConflictIndex(call, members, list(versions.values())))
    first, second = problem.needs
    assert (first.need, second.need) == (1, 1)  # a declared conflict and a withdrawal leave one place each
    assert first.conflicted == {partner.id, s.evaluator_ids[1]}
    assert first.excluded == {partner.id, *s.evaluator_ids[:3]}
    assert second.excluded == {partner.id, *s.evaluator_ids[1:4]}  # withdrawn from it: not again
    assert first.label == f"{s.references[0]} ACR1"
    assert problem.covered == 0
    slots = {slot.id: slot for slot in problem.slots}
    assert (slots[s.evaluator_ids[0]].load, slots[s.evaluator_ids[0]].capacity) == (1, 0)  # at their maximum
    assert (slots[s.evaluator_ids[1]].load, slots[s.evaluator_ids[1]].capacity) == (2, 8)  # a declared conflict too
    assert (slots[s.evaluator_ids[3]].load, slots[s.evaluator_ids[3]].capacity) == (0, 10)  # withdrawn: free
    assert (slots[partner.id].load, slots[partner.id].capacity) == (0, 5)


def test_candidates_say_who_the_officer_may_assign_by_hand() -> None:
    s = make_evaluation_setup(proposals=1, evaluators=4)  # evaluators 1-3 assigned
    call = call_of(s)
    partner = make_staff(Role.EVALUATOR, "partner@x.test", organisation="Partner A", country="IE")
    make_pool_member(call, partner)
    busy = make_staff(Role.EVALUATOR, "busy@x.test", organisation="Busy Office", country="SE")
    make_pool_member(call, busy, max_load=0)
    target = proposal(s.proposal_ids[0])
    version = submitted_version(target)
    assignments = proposal_assignments(target)
    assert [a.evaluator_id for a in assignments] == s.evaluator_ids[:3]
    by_user = {c.member.user_id: c for c in assignment_candidates(call, version, assignments)}
    assert by_user[s.evaluator_ids[0]].assigned
    assert not by_user[s.evaluator_ids[0]].available
    assert by_user[partner.id].conflicts == ["their organisation (Partner A) is in the consortium"]
    assert not by_user[partner.id].available
    assert by_user[busy.id].full
    assert not by_user[busy.id].available
    assert [c.member.user_id for c in by_user.values() if c.available] == [s.evaluator_ids[3]]
    assert by_user[s.evaluator_ids[3]].load == 0
