"""The evaluation review's outcome "upheld → re-evaluation": the committee's decision, a new panel that excludes
every original evaluator and the conflicted, and the new consensus that replaces the old one for the ranking."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.enums import AssignmentState, RedressStatus, ReportStatus
from app.extensions import db
from app.models import Assignment, ConsensusReport
from app.queries.consensus import consensus_of
from app.queries.evaluation import active_assignments
from app.queries.redress import evaluation_participants, rerun_difference
from app.queries.selection import load_call_data
from app.services.errors import InvalidInput, InvalidTransition, NotAllowed, NotReady
from app.services.redress import assign_reevaluators, rerun_after_review, uphold_redress_request
from app.services.selection import run_selection
from tests.evaluation_support import events, user
from tests.redress_worlds import ASSESSMENT, RedressWorld, evaluate, make_redress_world

pytestmark = pytest.mark.usefixtures("app_ctx")


@pytest.fixture
def upheld() -> RedressWorld:
    world = make_redress_world()
    uphold_redress_request(world.request(), actor=user(world.outsider_id), assessment=ASSESSMENT)
    db.session.commit()
    return world


def test_a_member_who_took_part_in_the_evaluation_may_not_uphold() -> None:
    world = make_redress_world()
    with pytest.raises(NotAllowed, match="You took part in the evaluation of this proposal"):
        uphold_redress_request(world.request(), actor=user(world.participant_id), assessment=ASSESSMENT)
    assert world.request().status is RedressStatus.FILED
    assert consensus_of(world.proposal()) is not None


def test_an_assessment_too_short_is_refused_at_its_field() -> None:
    world = make_redress_world()
    with pytest.raises(InvalidInput) as refused:
        uphold_redress_request(world.request(), actor=user(world.outsider_id), assessment="Founded.")
    assert refused.value.details["field"] == "assessment"


def test_upheld_withdraws_the_panel_and_supersedes_the_consensus_on_record(upheld) -> None:
    request, proposal = upheld.request(), upheld.proposal()
    assert (request.status, request.decided_by_id) == (RedressStatus.UPHELD, upheld.outsider_id)
    assert active_assignments(proposal.id) == []
    withdrawn = db.session.scalars(sa.select(Assignment).where(Assignment.proposal_id == proposal.id)).all()
    assert {a.evaluator_id for a in withdrawn} == upheld.originals
    assert all(a.state is AssignmentState.WITHDRAWN and "R" + str(request.id) in (a.withdrawn_reason or "")
               for a in withdrawn)
    assert consensus_of(proposal) is None
    [old] = db.session.scalars(sa.select(ConsensusReport).where(ConsensusReport.proposal_id == proposal.id)).all()
    assert old.superseded_at is not None
    assert old.status is ReportStatus.APPROVED
    assert [e.object_id for e in events("redress.upheld")] == [str(proposal.id)]
    with pytest.raises(InvalidTransition, match="already decided"):
        uphold_redress_request(request, actor=user(upheld.outsider_id), assessment=ASSESSMENT)


def test_the_ranking_waits_for_the_new_consensus(upheld) -> None:
    proposal = upheld.proposal()
    assert proposal.reference not in {row.reference for row in load_call_data(proposal.call).rows
                                      if row.consensus_status is ReportStatus.APPROVED}
    with pytest.raises(NotReady):
        run_selection(proposal.call, actor=user(upheld.world.officer_id))


def test_the_new_panel_excludes_the_originals_and_the_conflicted(upheld) -> None:
    created = assign_reevaluators(upheld.request(), actor=user(upheld.world.officer_id))
    db.session.commit()
    chosen = {a.evaluator_id for a in created}
    assert len(chosen) == upheld.proposal().call.evaluators_per_proposal
    assert not chosen & upheld.originals
    assert upheld.conflicted_id not in chosen
    assert all(a.state is AssignmentState.PUBLISHED and a.published_at is not None for a in created)
    assert sum(a.is_rapporteur for a in created) == 1
    with pytest.raises(InvalidTransition, match="already has its 3 evaluators"):
        assign_reevaluators(upheld.request(), actor=user(upheld.world.officer_id))


def test_only_an_officer_assigns_and_only_for_an_upheld_request() -> None:
    world = make_redress_world()
    with pytest.raises(InvalidTransition, match="Only an upheld request"):
        assign_reevaluators(world.request(), actor=user(world.world.officer_id))
    with pytest.raises(NotAllowed):
        assign_reevaluators(world.request(), actor=user(world.world.evaluator_ids[5]))


def test_the_new_consensus_replaces_the_old_one_for_the_ranking(upheld) -> None:
    proposal = upheld.proposal()
    assign_reevaluators(upheld.request(), actor=user(upheld.world.officer_id))
    evaluate(proposal, upheld.world, value="4", approver=user(upheld.world.officer_id))
    db.session.commit()
    current = consensus_of(proposal)
    assert current is not None
    assert current.status is ReportStatus.APPROVED
    assert {s.score for s in current.scores} == {4}
    [row] = [r for r in load_call_data(proposal.call).rows if r.reference == proposal.reference]
    assert row.consensus_status is ReportStatus.APPROVED
    # The new panel took part in the proposal's evaluation too.
    assert {a.evaluator_id for a in active_assignments(proposal.id)} <= evaluation_participants(proposal)


def test_the_re_run_waits_for_the_new_consensus_to_be_approved(upheld) -> None:
    proposal, officer = upheld.proposal(), user(upheld.world.officer_id)
    assign_reevaluators(upheld.request(), actor=officer)
    evaluate(proposal, upheld.world, value="4", approver=None)  # submitted, not approved
    with pytest.raises(NotReady, match="consensus is not approved yet"):
        rerun_after_review(upheld.request(), actor=officer)
    assert upheld.request().rerun_id is None


def test_a_request_not_upheld_is_not_re_run() -> None:
    world = make_redress_world()
    with pytest.raises(InvalidTransition, match="Only an upheld request"):
        rerun_after_review(world.request(), actor=user(world.world.officer_id))


def test_the_re_run_is_a_new_recorded_run_and_its_difference_is_shown(upheld) -> None:
    proposal, officer = upheld.proposal(), user(upheld.world.officer_id)
    assign_reevaluators(upheld.request(), actor=officer)
    evaluate(proposal, upheld.world, value="4", approver=officer)
    run = rerun_after_review(upheld.request(), actor=officer)
    db.session.commit()
    request = upheld.request()
    assert request.rerun_id == run.id
    assert run.number == 2
    assert "R" + str(request.id) in run.note
    difference = rerun_difference(request)
    assert difference is not None
    assert (difference.a.number, difference.b.number) == (1, 2)
    [moved] = difference.changed
    assert moved.reference == proposal.reference
    assert (moved.a.status, moved.b.status) == ("below_threshold", "selected")
    assert moved.b.requested == proposal.requested_grant
    assert [e.object_id for e in events("redress.rerun")] == [str(proposal.id)]
