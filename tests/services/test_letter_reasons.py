"""Issue 11, item 3: a letter states the reason the scoring core gave for its decision — the award cap, the budget
(skip or stop policy), the coverage rule, rank order within the budget, a promotion, the thresholds, ineligibility —
and nothing else. Each reason is rendered from a real run of the core and read back from the PDF."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app.enums import CallKind, Eligibility, Role
from app.extensions import db
from app.models import Call, ConsensusReport, Proposal, SelectionRun
from app.seeds.calls import seed_reference_calls
from app.seeds.selection_demo import seed_selection_demo
from app.services import letters as letter_service
from app.services import selection as service
from app.services.selection import SelectionOptions
from tests.factories import make_approved_consensus, make_call, make_proposal

# What the letters said before, whatever bound: none of it may appear unless the budget really decided.
BUDGET_WORDING = ("within the available budget", "used the available budget", "did not fit")


def letter_text(run: SelectionRun, reference: str) -> str:
    """The text of the letter the run gives this proposal, rendered to PDF and read back, on one line."""
    proposal = db.session.scalar(sa.select(Proposal).where(Proposal.reference == reference))
    report = db.session.scalar(sa.select(ConsensusReport).where(ConsensusReport.proposal_id == proposal.id))
    outcome = letter_service.run_outcomes(run)[reference]
    rendered = letter_service.render_letter(proposal, run, outcome, report)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(rendered.pdf)).pages)
    return " ".join(text.split())


@pytest.fixture
def people(app, app_ctx, make_user):
    applicant = db.session.merge(make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT"))
    officer = db.session.merge(make_user(Role.OFFICER, organisation=None))
    return applicant, officer


def add(call: Call, applicant, acronym: str, scores: tuple[str, str, str] | None, requested: str | None = None,
        **fields) -> str:
    proposal = make_proposal(call, applicant, acronym=acronym,
                             requested=None if requested is None else Decimal(requested), **fields)
    if scores is None:
        proposal.eligibility = Eligibility.INELIGIBLE
        proposal.eligibility_reason = "Fewer than 3 partners from 3 different eligible countries."
    else:
        make_approved_consensus(proposal, dict(zip(("relevance", "quality", "impact"), scores, strict=True)))
    return proposal.reference


def finalised(call: Call, officer, **options) -> SelectionRun:
    run = service.run_selection(call, actor=officer, options=SelectionOptions.from_values(call, **options))
    service.finalise_run(run, actor=officer, token=service.finalise_preview(run).token)
    db.session.commit()
    return run


def test_the_award_cap_is_the_reason_when_it_binds_with_budget_unused(people) -> None:
    """The demo Euroclusters field: 30 awards made with budget left, so reserve and not-funded letters name the
    cap, and award letters say whether the coverage rule or rank order selected them."""
    _, officer = people
    seed_reference_calls()
    call = db.session.scalar(sa.select(Call).where(Call.code == "SMP-COSME-2021-CLUSTER-01"))
    seed_selection_demo(call)
    run = finalised(call, officer)
    outcomes = service.run_outcomes(run)
    assert outcomes.remaining_budget > 0
    cap = "The call funds at most 30 proposals, and all 30 awards had been made when its turn came in the selection."

    reserve = outcomes.reserve[0]
    text = letter_text(run, reserve.reference)
    assert "placed on the reserve list" in text
    assert cap in text
    assert "Position on the reserve list 1 of 10" in text
    assert f"Selection: {reserve.reason}" in text
    assert not any(wording in text for wording in BUDGET_WORDING)

    not_funded = next(o for o in outcomes.outcomes if o.status == "not_funded")
    text = letter_text(run, not_funded.reference)
    assert cap in text
    assert "The reserve list of 10 proposals was filled by proposals ranked above it." in text
    assert "the award cap of 30 was reached" in text  # the core's own line
    assert not any(wording in text for wording in BUDGET_WORDING)

    by_coverage = next(o for o in outcomes.selected if o.reason_code == "coverage")
    text = letter_text(run, by_coverage.reference)
    assert ("It was selected under the call's coverage rule, as the best-ranked proposal of its strand "
            f"({by_coverage.fields['strand']}) whose requested grant fits the budget.") in text
    in_rank_order = next(o for o in outcomes.selected if o.reason_code == "fits")
    text = letter_text(run, in_rank_order.reference)
    assert "It was selected in rank order: its requested grant fitted the budget left when its turn came." in text
    assert "coverage rule" not in text


@pytest.fixture
def budget_call(people):
    """2 million, at most 5 awards, a reserve list of 1: A (1.5M) is funded, B (1.0M) no longer fits and goes to
    the reserve list, C (0.4M) still fits, D (0.9M) does not; LOW fails a threshold, OUT is ineligible."""
    applicant, officer = people
    call = make_call("BUDGET", budget=Decimal("2000000.00"), max_awards=5, reserve_size=1)
    references = {
        "A": add(call, applicant, "ALPHA", ("5", "5", "5"), "1500000.00"),
        "B": add(call, applicant, "BRAVO", ("4.5", "4.5", "4.5"), "1000000.00"),
        "C": add(call, applicant, "CHARLIE", ("4", "4", "4"), "400000.00"),
        "D": add(call, applicant, "DELTA", ("3.5", "3.5", "3.5"), "900000.00"),
        "LOW": add(call, applicant, "LOW", ("2.5", "4", "4"), "100000.00"),
        "OUT": add(call, applicant, "OUT", None, "100000.00"),
    }
    db.session.commit()
    return call, officer, references


def test_the_budget_is_the_reason_when_the_grant_did_not_fit_what_was_left(budget_call) -> None:
    call, officer, refs = budget_call
    run = finalised(call, officer)
    text = letter_text(run, refs["B"])
    assert "placed on the reserve list" in text
    assert ("Its requested grant of EUR 1,000,000.00 did not fit the EUR 500,000.00 of the budget left when its "
            "turn came in the selection.") in text
    assert "awards had been made" not in text
    text = letter_text(run, refs["D"])
    assert "Reason Above the thresholds, not funded" in text
    assert ("Its requested grant of EUR 900,000.00 did not fit the EUR 100,000.00 of the budget left when its turn "
            "came in the selection.") in text
    assert "The reserve list of 1 proposal was filled by proposals ranked above it." in text


def test_the_stop_policy_is_the_reason_for_the_proposals_below_where_the_walk_stopped(budget_call) -> None:
    call, officer, refs = budget_call
    run = finalised(call, officer, budget_policy="stop", reserve_size=2)
    text = letter_text(run, refs["C"])  # 0.4M would fit, but the walk stopped at B
    assert "placed on the reserve list" in text
    assert ("stops at the first whose requested grant does not fit the budget left; it stopped at a proposal ranked "
            "above this one.") in text
    assert "did not fit the EUR" not in text
    text = letter_text(run, refs["B"])  # where it stopped: its own grant did not fit
    assert "Its requested grant of EUR 1,000,000.00 did not fit the EUR 500,000.00 of the budget left" in text


def test_thresholds_and_ineligibility_are_the_reasons_of_the_unranked(budget_call) -> None:
    call, officer, refs = budget_call
    run = finalised(call, officer)
    text = letter_text(run, refs["LOW"])
    assert "Reason Below threshold" in text
    assert "The consensus scores of your proposal did not reach them" in text
    assert "Selection: below threshold: relevance 2.5 < 3" in text
    assert not any(wording in text for wording in BUDGET_WORDING)
    assert "awards had been made" not in text
    text = letter_text(run, refs["OUT"])
    assert "the admissibility and eligibility check found it ineligible" in text
    assert "Fewer than 3 partners from 3 different eligible countries." in text
    assert not any(wording in text for wording in BUDGET_WORDING)


def test_a_promotion_from_the_reserve_list_is_the_reason_of_the_new_award(budget_call) -> None:
    call, officer, refs = budget_call
    run = finalised(call, officer)
    child = service.promote_from_reserve(run, actor=officer, reference=refs["A"], reason="declined",
                                         note="Declined by letter of 3 March 2022.")
    text = letter_text(child, refs["B"])
    assert "has been selected for funding" in text
    assert ("It was on the reserve list and is now selected from it, in the order of the list: a selected proposal "
            "left the selection, and its requested grant fits the budget this freed.") in text


def test_event_letters_name_the_slots_as_the_reason(people) -> None:
    applicant, officer = people
    call = make_call("EVENTS", kind=CallKind.EVENT, budget=None, max_awards=1, reserve_size=1)
    first = add(call, applicant, "FIRST", ("5", "5", "5"))
    waiting = add(call, applicant, "WAITING", ("4", "4", "4"))
    refused = add(call, applicant, "REFUSED", ("3.5", "3.5", "3.5"))
    db.session.commit()
    run = finalised(call, officer)
    assert "It was accepted in rank order, within the slots available." in letter_text(run, first)
    slots = "The call has one slot, and it had been given when its turn came in the selection."
    text = letter_text(run, waiting)
    assert "placed on the waiting list" in text
    assert slots in text
    text = letter_text(run, refused)
    assert "Reason Above the thresholds, no slot left" in text
    assert slots in text
