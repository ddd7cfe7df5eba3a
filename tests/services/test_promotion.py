"""Promotion from the reserve list as a new run: who is promoted, the steps and budget left it reports, runs stored
before the decision fields, finalising it (which supersedes its parent) and what it refuses."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.enums import Decision, RunStatus
from app.extensions import db
from app.queries.outcomes import run_outcomes, verify_run
from app.queries.runs import finalise_preview, run_in_force
from app.services.errors import InvalidInput, InvalidTransition
from app.services.promotion import promote_from_reserve
from app.services.selection import finalise_run, run_selection
from tests.selection_worlds import as_stored_before_decision_fields, ref


def test_a_declined_award_promotes_the_first_reserve_that_fits(final) -> None:
    proposals, officer, run = final.proposals, final.officer, final.run
    # BETA (1.5M) declines: 0.5M left + 1.5M = 2.0M free; GAMMA (reserve 1, 0.9M) fits.
    child = promote_from_reserve(run, actor=officer, reference=ref(proposals, "BETA"), reason="declined",
                                         note="Declined by letter of 3 March 2022.")
    db.session.commit()
    outcomes = run_outcomes(child)
    by = outcomes.by_reference()
    assert by[ref(proposals, "BETA")].status == "declined"
    assert by[ref(proposals, "GAMMA")].status == "selected"
    assert "promoted from reserve position 1 after" in by[ref(proposals, "GAMMA")].reason
    assert by[ref(proposals, "DELTA")].reserve_position == 1
    assert "reserve position 1" in by[ref(proposals, "DELTA")].reason
    assert outcomes.remaining_budget == Decimal("1100000.00")
    assert [o.reference for o in outcomes.selected] == [ref(proposals, "ALPHA"), ref(proposals, "GAMMA")]
    assert child.parent_run_id == run.id
    assert child.options["promotion"]["promoted"] == ref(proposals, "GAMMA")
    assert child.status is RunStatus.DRAFT
    assert verify_run(child)


def test_the_release_and_the_promotion_are_the_next_steps_with_the_budget_left_after_each(final) -> None:
    proposals, officer, run = final.proposals, final.officer, final.run
    child = promote_from_reserve(run, actor=officer, reference=ref(proposals, "BETA"), reason="declined",
                                         note="Declined by letter of 3 March 2022.")
    outcomes = run_outcomes(child)
    by = {o.reference: (o.step, o.budget_left, o.reason_code) for o in outcomes.outcomes}
    assert by[ref(proposals, "ALPHA")] == (1, Decimal("2000000.00"), "fits")  # as decided by the parent run
    assert by[ref(proposals, "BETA")] == (5, Decimal("2000000.00"), "declined")  # 0.5M left + its 1.5M
    assert by[ref(proposals, "GAMMA")] == (6, Decimal("1100000.00"), "promoted")
    assert by[ref(proposals, "DELTA")] == (4, Decimal("500000.00"), "award_cap")
    assert "fits: 1,100,000.00 left after it" in outcomes.by_reference()[ref(proposals, "GAMMA")].reason
    assert verify_run(child)


def test_a_promotion_from_a_run_stored_before_the_decision_fields_re_runs_and_names_its_decisions(final) -> None:
    proposals, officer, run = final.proposals, final.officer, final.run
    as_stored_before_decision_fields(run)
    db.session.commit()
    child = promote_from_reserve(run, actor=officer, reference=ref(proposals, "BETA"), reason="declined",
                                         note="Declined by letter of 3 March 2022.")
    assert verify_run(child)
    by = {o.reference: (o.step, o.budget_left, o.reason_code) for o in run_outcomes(child).outcomes}
    # The parent's stored output has no steps to follow; the promotion still says what decided and what is left.
    assert by[ref(proposals, "GAMMA")] == (None, Decimal("1100000.00"), "promoted")
    assert by[ref(proposals, "BETA")] == (None, Decimal("2000000.00"), "declined")
    # A promotion stored before the fields existed verifies too.
    as_stored_before_decision_fields(child)
    assert verify_run(child)


def test_promotion_skips_reserve_proposals_that_do_not_fit(field) -> None:
    call, proposals, officer = field.call, field.proposals, field.officer
    proposals["GAMMA"].requested_grant = Decimal("2200000.00")  # reserve 1, too dear for what ALPHA frees
    run = run_selection(call, actor=officer)
    finalise_run(run, actor=officer, token=finalise_preview(run).token)
    child = promote_from_reserve(run, actor=officer, reference=ref(proposals, "ALPHA"), reason="ineligible",
                                         note="Found ineligible at the grant preparation check.")
    outcomes = run_outcomes(child)
    by = outcomes.by_reference()
    assert by[ref(proposals, "ALPHA")].status == "ineligible"
    assert by[ref(proposals, "ALPHA")].rank is None
    # It moves to the ineligible group at the end, ordered by reference like the core orders it.
    assert [o.reference for o in outcomes.outcomes[-2:]] == [ref(proposals, "ALPHA"), ref(proposals, "OUT")]
    assert by[ref(proposals, "GAMMA")].status == "reserve"
    assert by[ref(proposals, "GAMMA")].reserve_position == 1
    assert by[ref(proposals, "DELTA")].status == "selected"  # 0.5M + 1.0M free; 0.4M fits
    assert outcomes.remaining_budget == Decimal("1100000.00")
    assert verify_run(child)


def test_finalising_a_promotion_supersedes_its_parent(final) -> None:
    call, proposals, officer, run = final.call, final.proposals, final.officer, final.run
    child = promote_from_reserve(run, actor=officer, reference=ref(proposals, "BETA"), reason="declined",
                                         note="Declined by letter of 3 March 2022.")
    finalise_run(child, actor=officer, token=finalise_preview(child).token)
    db.session.commit()
    assert run.superseded_at is not None
    assert not run.is_in_force
    assert child.is_in_force
    assert proposals["BETA"].decision is Decision.DECLINED
    assert (proposals["GAMMA"].decision, proposals["GAMMA"].reserve_position) == (Decision.SELECTED, None)
    assert (proposals["DELTA"].decision, proposals["DELTA"].reserve_position) == (Decision.RESERVE, 1)
    assert run_in_force(call).id == child.id
    with pytest.raises(InvalidTransition):
        promote_from_reserve(run, actor=officer, reference=ref(proposals, "ALPHA"), reason="declined",
                                     note="Too late: the run was superseded.")


def test_promotion_needs_a_selected_proposal_and_a_note(final) -> None:
    proposals, officer, run = final.proposals, final.officer, final.run
    with pytest.raises(InvalidInput, match="not selected"):
        promote_from_reserve(run, actor=officer, reference=ref(proposals, "DELTA"), reason="declined",
                                     note="Declined by letter of 3 March.")
    with pytest.raises(InvalidInput, match="short note"):
        promote_from_reserve(run, actor=officer, reference=ref(proposals, "ALPHA"), reason="declined",
                                     note="no")
    with pytest.raises(InvalidInput, match="declined or ineligible"):
        promote_from_reserve(run, actor=officer, reference=ref(proposals, "ALPHA"), reason="bored",
                                     note="Declined by letter of 3 March.")


def test_a_stale_promotion_cannot_be_finalised(final) -> None:
    proposals, officer, run = final.proposals, final.officer, final.run
    one = promote_from_reserve(run, actor=officer, reference=ref(proposals, "BETA"), reason="declined",
                                       note="Declined by letter of 3 March 2022.")
    two = promote_from_reserve(run, actor=officer, reference=ref(proposals, "ALPHA"), reason="declined",
                                       note="Declined by letter of 4 March 2022.")
    finalise_run(one, actor=officer, token=finalise_preview(one).token)
    preview = finalise_preview(two)
    assert "no longer in force" in preview.blockers[0]

