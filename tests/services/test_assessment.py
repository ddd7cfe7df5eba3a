"""The officer's assessment of a call for expression of interest, and the selection that gives its places by it:
each rule of the service at its boundary (mode, phase, eligibility, finalisation, the fields), then a recorded,
re-runnable run that finalises like any other."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.clock import set_clock
from app.enums import CallPhase, Decision, Eligibility, Role
from app.extensions import db
from app.models import Assessment, AuditEvent, User
from app.queries.calls import call_phase
from app.queries.outcomes import run_outcomes, verify_run
from app.queries.runs import finalise_preview
from app.queries.selection import describe_call_rules
from app.services.assessment import record_assessment
from app.services.errors import InvalidInput, InvalidTransition, NotAllowed, NotReady
from app.services.selection import finalise_run, run_selection
from tests.assessment_worlds import MissionWorld, make_mission_world
from tests.factories import make_call, make_proposal


@pytest.fixture
def officer(app_ctx, make_user) -> User:  # type: ignore[no-untyped-def]
    return db.session.get(User, make_user(Role.OFFICER).id)  # type: ignore[return-value]


@pytest.fixture
def world(app_ctx, make_user, officer) -> MissionWorld:  # type: ignore[no-untyped-def]
    # Accounts are committed by make_user: every account first, then the rows of the world.
    return make_mission_world(db.session.get(User, make_user(Role.APPLICANT).id))  # type: ignore[arg-type]


NOTE = "Strong cluster with Korean contacts in batteries."


def test_records_an_assessment_with_an_audit_of_before_and_after(world, officer) -> None:  # type: ignore[no-untyped-def]
    proposal = world.proposals[0]
    record_assessment(proposal, actor=officer, verdict="suitable", fit=4, note=NOTE)
    record_assessment(proposal, actor=officer, verdict="not_suitable", fit=2, note="No link with the mission.")
    assessment = db.session.scalar(sa.select(Assessment).where(Assessment.proposal_id == proposal.id))
    assert (assessment.verdict.value, assessment.fit, assessment.assessor_id) == ("not_suitable", 2, officer.id)
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "proposal.assessed")
                                .order_by(AuditEvent.id)).all()
    assert [e.data["changes"]["from"] for e in events] == [
        None, {"verdict": "suitable", "fit": 4, "note": NOTE}]
    assert events[1].data["changes"]["to"]["verdict"] == "not_suitable"


def test_the_first_assessment_starts_the_call_s_evaluation_phase(world, officer) -> None:  # type: ignore[no-untyped-def]
    assert call_phase(world.call) is CallPhase.CLOSED
    record_assessment(world.proposals[0], actor=officer, verdict="suitable", fit=4, note=NOTE)
    assert call_phase(world.call) is CallPhase.IN_EVALUATION


def test_a_call_scored_by_experts_has_no_assessment(app_ctx, make_user, officer) -> None:  # type: ignore[no-untyped-def]
    applicant = db.session.get(User, make_user().id)
    proposal = make_proposal(make_call("EXPERTS"), applicant, eligibility=Eligibility.ELIGIBLE)
    with pytest.raises(InvalidTransition, match="evaluated by experts' scores"):
        record_assessment(proposal, actor=officer, verdict="suitable", fit=4, note=NOTE)


def test_proposals_are_assessed_only_once_the_call_has_closed(world, officer) -> None:  # type: ignore[no-untyped-def]
    set_clock(lambda: world.call.deadline - timedelta(seconds=1))
    try:
        with pytest.raises(InvalidTransition, match="once the call has closed"):
            record_assessment(world.proposals[0], actor=officer, verdict="suitable", fit=4, note=NOTE)
    finally:
        set_clock(None)


@pytest.mark.parametrize("eligibility", [Eligibility.PENDING, Eligibility.INELIGIBLE])
def test_only_proposals_screened_eligible_are_assessed(world, officer, eligibility) -> None:  # type: ignore[no-untyped-def]
    proposal = world.proposals[0]
    proposal.eligibility = eligibility
    with pytest.raises(InvalidTransition, match="Only proposals screened eligible"):
        record_assessment(proposal, actor=officer, verdict="suitable", fit=4, note=NOTE)


def test_only_officers_assess(app_ctx, make_user) -> None:  # type: ignore[no-untyped-def]
    evaluator = db.session.get(User, make_user(Role.EVALUATOR).id)
    world = make_mission_world(db.session.get(User, make_user(Role.APPLICANT).id))  # type: ignore[arg-type]
    with pytest.raises(NotAllowed):
        record_assessment(world.proposals[0], actor=evaluator, verdict="suitable", fit=4, note=NOTE)


@pytest.mark.parametrize(("verdict", "fit", "note", "field"), [
    ("perhaps", 3, NOTE, "verdict"),
    ("suitable", 0, NOTE, "fit"),
    ("suitable", 6, NOTE, "fit"),
    ("suitable", "4", NOTE, "fit"),
    ("suitable", 3, "Too short", "note"),
    ("suitable", 3, "x" * 2001, "note"),
])
def test_a_wrong_part_of_the_assessment_is_named_at_its_field(world, officer, verdict, fit, note, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as refused:
        record_assessment(world.proposals[0], actor=officer, verdict=verdict, fit=fit, note=note)
    assert list(refused.value.details["fields"]) == [field]


def _assess_all(world: MissionWorld, officer: User, fits: list[int | None]) -> None:
    for proposal, fit in zip(world.proposals, fits, strict=True):
        if fit is None:
            record_assessment(proposal, actor=officer, verdict="not_suitable", fit=1, note="Not for this mission.")
        else:
            record_assessment(proposal, actor=officer, verdict="suitable", fit=fit, note=NOTE)


def test_the_selection_waits_for_every_eligible_proposal_s_assessment(world, officer) -> None:  # type: ignore[no-untyped-def]
    _assess_all(world, officer, [5, 4, 3, None][:3] + [None])
    db.session.delete(db.session.scalar(sa.select(Assessment).where(Assessment.proposal_id == world.proposals[3].id)))
    with pytest.raises(NotReady, match="1 eligible proposal\\(s\\) are not assessed yet"):
        run_selection(world.call, actor=officer)


def test_a_run_gives_the_places_by_fit_then_submission_time_and_finalises(world, officer) -> None:  # type: ignore[no-untyped-def]
    # KR1 and KR3 share fit 4: KR1 was submitted first. KR4 is not suitable; KRX was screened out.
    _assess_all(world, officer, [4, 5, 4, None])
    run = run_selection(world.call, actor=officer)
    assert verify_run(run)
    outcomes = run_outcomes(run).by_reference()
    kr = [p.reference for p in world.proposals]
    assert [outcomes[r].status for r in kr] == ["selected", "selected", "reserve", "below_threshold"]
    assert outcomes[world.ineligible.reference].status == "ineligible"
    assert outcomes[kr[0]].decided_by == "tie-break: submitted_at"
    assert outcomes[kr[3]].reason == "assessed not suitable for the mission"
    assert run.summary["selected"] == 2
    finalise_run(run, actor=officer, token=finalise_preview(run).token)
    assert [p.decision for p in world.proposals] == [Decision.SELECTED, Decision.SELECTED, Decision.RESERVE,
                                                     Decision.REJECTED]
    assert call_phase(world.call) is CallPhase.DECIDED
    with pytest.raises(InvalidTransition, match="selection is finalised"):
        record_assessment(world.proposals[3], actor=officer, verdict="suitable", fit=5, note=NOTE)


def test_the_configure_page_s_preview_describes_the_assessment_rules(world) -> None:  # type: ignore[no-untyped-def]
    words = describe_call_rules(world.call)
    assert "The first 2 suitable proposals in that order are selected" in words[3]
    assert not any("budget of" in sentence for sentence in words)


def test_the_evaluation_mode_is_fixed_from_the_first_submission_like_the_criteria(world, officer) -> None:  # type: ignore[no-untyped-def]
    from app.call_inputs import CallSettings
    from app.services.call_settings import update_call_settings

    with pytest.raises(InvalidTransition, match="The call's scoring cannot change now that it is closed"):
        update_call_settings(world.call, actor=officer, settings=CallSettings.parse({
            "evaluation_mode": "experts", "criteria": [{"key": "relevance", "name": "Relevance"}]}))


@pytest.mark.parametrize(("change", "field"), [
    ({"budget": "100000"}, "budget"),
    ({"max_grant_per_proposal": "1000"}, "max_grant_per_proposal"),
    ({"max_awards": None}, "max_awards"),
])
def test_a_call_selected_by_assessment_gives_places_not_money(officer, change, field) -> None:  # type: ignore[no-untyped-def]
    from app.call_inputs import CallSettings
    from app.services.call_settings import create_call
    from tests.services.test_call_opening import DEADLINE, OPENS

    values = {"code": "EOI-2031", "title": "A mission", "programme": "SMP", "kind": "event",
              "evaluation_mode": "assessment", "opens_at": OPENS, "deadline": DEADLINE, "criteria": [],
              "max_awards": 20, "reserve_size": 5}
    assert create_call(CallSettings.parse(values), actor=officer).criteria == []
    with pytest.raises(InvalidInput) as refused:
        create_call(CallSettings.parse({**values, "code": "EOI-2032", **change}), actor=officer)
    assert list(refused.value.details["fields"]) == [field]


def test_a_place_freed_goes_to_the_first_on_the_reserve_list(world, officer) -> None:  # type: ignore[no-untyped-def]
    from app.services.promotion import promote_from_reserve

    _assess_all(world, officer, [4, 5, 4, None])
    run = run_selection(world.call, actor=officer)
    finalise_run(run, actor=officer, token=finalise_preview(run).token)
    child = promote_from_reserve(run, actor=officer, reference=world.proposals[1].reference, reason="declined",
                                 note="The cluster cannot travel in October.")
    assert verify_run(child)
    outcomes = run_outcomes(child).by_reference()
    assert outcomes[world.proposals[2].reference].status == "selected"
    assert outcomes[world.proposals[2].reference].reason_code == "promoted"
    assert outcomes[world.proposals[1].reference].status == "declined"
