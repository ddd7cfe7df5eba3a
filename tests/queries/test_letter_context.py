"""What a decision letter says, read back from its PDF: each kind of letter (award, reserve, rejection,
ineligibility, events), its Evaluation Summary, and the reason the scoring core gave (issue 11, item 3) — the award
cap, the budget (skip or stop policy), the coverage rule, rank order within the budget, a promotion, the thresholds,
ineligibility — and nothing else, each from a real run of the core."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.enums import CallKind, Eligibility, Role
from app.extensions import db
from app.letter_files import render_letter
from app.models import Call, ConsensusReport, Proposal, SelectionRun, User
from app.queries.outcomes import run_outcomes
from app.queries.runs import finalise_preview
from app.queries.selection import SelectionOptions
from app.seeds.calls import seed_reference_calls
from app.seeds.selection_demo import seed_selection_demo
from app.services.promotion import promote_from_reserve
from app.services.selection import finalise_run, run_selection
from tests.factories import make_approved_consensus, make_call, make_proposal
from tests.letter_worlds import decided_event_calls, flat, generate, letter_of, pdf_text

# What the letters said before, whatever bound: none of it may appear unless the budget really decided.
BUDGET_WORDING = ("within the available budget", "used the available budget", "did not fit")


@dataclass
class BudgetCall:
    """2 million, at most 5 awards, a reserve list of 1: A (1.5M) is funded, B (1.0M) no longer fits and goes to
    the reserve list, C (0.4M) still fits, D (0.9M) does not; LOW fails a threshold, OUT is ineligible."""

    call: Call
    officer: User
    refs: dict[str, str]


def letter_text(run: SelectionRun, reference: str) -> str:
    """The text of the letter the run gives this proposal, rendered to PDF and read back, on one line."""
    proposal = db.session.scalar(sa.select(Proposal).where(Proposal.reference == reference))
    report = db.session.scalar(sa.select(ConsensusReport).where(ConsensusReport.proposal_id == proposal.id))
    outcomes = run_outcomes(run)
    rendered = render_letter(proposal, run, outcomes.by_reference()[reference], report, rules=outcomes.rules)
    return flat(pdf_text(rendered.pdf))


def add_reason(call: Call, applicant, acronym: str, scores: tuple[str, str, str] | None,
               requested: str | None = None, **fields) -> str:
    proposal = make_proposal(call, applicant, acronym=acronym,
                             requested=None if requested is None else Decimal(requested), **fields)
    if scores is None:
        proposal.eligibility = Eligibility.INELIGIBLE
        proposal.eligibility_reason = "Fewer than 3 partners from 3 different eligible countries."
    else:
        make_approved_consensus(proposal, dict(zip(("relevance", "quality", "impact"), scores, strict=True)))
    return proposal.reference


def finalised(call: Call, officer, **options) -> SelectionRun:
    run = run_selection(call, actor=officer, options=SelectionOptions.from_values(call, **options))
    finalise_run(run, actor=officer, token=finalise_preview(run).token)
    db.session.commit()
    return run


def test_award_letter_names_the_grant_the_next_step_and_the_scores(scenario, officer) -> None:
    generate(scenario["run"], officer)
    proposal = scenario["proposals"]["selected"]
    letter, text = letter_of(proposal)
    assert "selected for funding" in text
    assert "Maximum EU contribution €1,010,000.00" in text
    assert "Grant agreement preparation starts on 29 March 2022" in text
    assert "signed by 15 June 2022" in text
    assert "grants@eurogrants.test" in text
    assert "Rank in the call 1" in text
    # The Evaluation Summary: each criterion's score, threshold and weight, the total and the comments.
    assert "Evaluation Summary Report" in text
    assert "Relevance: 4.5 / 5 (threshold 3, weight 1)" in text
    assert "Quality: 4 / 5 (threshold 3, weight 1)" in text
    assert "below threshold" not in text
    assert "Total: 12.5 / 15 (overall threshold 10)" in text
    assert "Consensus on relevance." in text
    assert "Consensus reached." in text
    assert "Redress" in text
    assert "Article 263" in text
    # Reference, verification code and page numbers on the letter itself.
    assert letter.reference == f"{proposal.reference}-L1"
    assert letter.verification_code in text
    assert "Page 1 of 2" in text
    assert "Page 2 of 2" in text
    assert f"Ref. {letter.reference}" in text


def test_reserve_letter_gives_the_position_and_what_happens_if_budget_is_freed(scenario, officer) -> None:
    generate(scenario["run"], officer)
    _, text = letter_of(scenario["proposals"]["reserve"])
    assert "placed on the reserve list" in text
    assert "Position on the reserve list 1 of 5" in text
    assert "If budget is freed" in text
    assert "strictly in the order of the list" in text
    assert "Total: 11.5 / 15" in text


def test_rejection_letters_give_the_reason_from_the_run(scenario, officer) -> None:
    generate(scenario["run"], officer)
    _, below = letter_of(scenario["proposals"]["below_threshold"])
    assert "cannot be funded" in below
    assert "Reason Below threshold" in below
    assert "below threshold: quality 2.5 < 3" in below
    assert "Quality: 2.5 / 5 (threshold 3, weight 1), below threshold" in below
    _, not_funded = letter_of(scenario["proposals"]["not_funded"])
    assert "Reason Above the thresholds, not funded" in not_funded
    assert "Rank in the call 3" in not_funded
    assert "not funded: the budget and the reserve list are full" in not_funded
    assert "Evaluation Summary Report" in not_funded
    # This run's output names no reason code (see make_finalised_run): the letter quotes the core's selection line
    # and claims no reason of its own, neither the budget nor the reserve list.
    assert "used the available budget" not in not_funded
    assert "was filled by proposals ranked above it" not in not_funded


def test_ineligible_letter_lists_the_failed_rules_and_has_no_evaluation_summary(scenario, officer) -> None:
    generate(scenario["run"], officer)
    _, text = letter_of(scenario["proposals"]["ineligible"])
    assert "ineligible" in text
    assert "Fewer than 3 partners from 3 different eligible countries." in text
    assert "The coordinator is not a cluster organisation." in text
    assert "Evaluation Summary Report" not in text
    assert "Redress" in text


def test_event_call_letters_are_worded_for_events_and_offer_the_local_events_call(app_ctx, make_user, officer):
    applicant = db.session.merge(make_user(Role.APPLICANT))
    names = ("Relevance to the thematic areas", "Quality of content and format", "Diversity of speakers and reach")
    accepted, refused = decided_event_calls(applicant, officer, names)

    _, yes = letter_of(accepted)
    assert "has been accepted for EU Industry Days 2022: stakeholder sessions" in yes
    assert "EU Industry Days branding" in yes
    assert "No EU funding is attached" in yes
    assert "Maximum EU contribution" not in yes
    assert "Evaluation Summary Report" in yes
    _, no = letter_of(refused)
    assert "has not been accepted" in no
    assert "transfer your proposal to EU Industry Week 2022: local events (EUID-2022-LOCAL" in no
    assert "Evaluation Summary Report" in no


def test_the_award_cap_is_the_reason_when_it_binds_with_budget_unused(people) -> None:
    """The demo Euroclusters field: 30 awards made with budget left, so reserve and not-funded letters name the
    cap, and award letters say whether the coverage rule or rank order selected them."""
    officer = people.officer
    seed_reference_calls()
    call = db.session.scalar(sa.select(Call).where(Call.code == "SMP-COSME-2021-CLUSTER-01"))
    seed_selection_demo(call)
    run = finalised(call, officer)
    outcomes = run_outcomes(run)
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
def budget_call(people) -> BudgetCall:
    applicant, officer = people.applicant, people.officer
    call = make_call("BUDGET", budget=Decimal("2000000.00"), max_awards=5, reserve_size=1)
    references = {
        "A": add_reason(call, applicant, "ALPHA", ("5", "5", "5"), "1500000.00"),
        "B": add_reason(call, applicant, "BRAVO", ("4.5", "4.5", "4.5"), "1000000.00"),
        "C": add_reason(call, applicant, "CHARLIE", ("4", "4", "4"), "400000.00"),
        "D": add_reason(call, applicant, "DELTA", ("3.5", "3.5", "3.5"), "900000.00"),
        "LOW": add_reason(call, applicant, "LOW", ("2.5", "4", "4"), "100000.00"),
        "OUT": add_reason(call, applicant, "OUT", None, "100000.00"),
    }
    db.session.commit()
    return BudgetCall(call, officer, references)


def test_the_budget_is_the_reason_when_the_grant_did_not_fit_what_was_left(budget_call) -> None:
    call, officer, refs = budget_call.call, budget_call.officer, budget_call.refs
    run = finalised(call, officer)
    text = letter_text(run, refs["B"])
    assert "placed on the reserve list" in text
    assert ("Its requested grant of €1,000,000.00 did not fit the €500,000.00 of the budget left when its "
            "turn came in the selection.") in text
    assert "awards had been made" not in text
    text = letter_text(run, refs["D"])
    assert "Reason Above the thresholds, not funded" in text
    assert ("Its requested grant of €900,000.00 did not fit the €100,000.00 of the budget left when its turn "
            "came in the selection.") in text
    assert "The reserve list of 1 proposal was filled by proposals ranked above it." in text


def test_the_stop_policy_is_the_reason_for_the_proposals_below_where_the_walk_stopped(budget_call) -> None:
    call, officer, refs = budget_call.call, budget_call.officer, budget_call.refs
    run = finalised(call, officer, budget_policy="stop", reserve_size=2)
    text = letter_text(run, refs["C"])  # 0.4M would fit, but the walk stopped at B
    assert "placed on the reserve list" in text
    assert ("stops at the first whose requested grant does not fit the budget left; it stopped at a proposal ranked "
            "above this one.") in text
    assert "did not fit the EUR" not in text
    text = letter_text(run, refs["B"])  # where it stopped: its own grant did not fit
    assert "Its requested grant of €1,000,000.00 did not fit the €500,000.00 of the budget left" in text


def test_thresholds_and_ineligibility_are_the_reasons_of_the_unranked(budget_call) -> None:
    call, officer, refs = budget_call.call, budget_call.officer, budget_call.refs
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
    call, officer, refs = budget_call.call, budget_call.officer, budget_call.refs
    run = finalised(call, officer)
    child = promote_from_reserve(run, actor=officer, reference=refs["A"], reason="declined",
                                         note="Declined by letter of 3 March 2022.")
    text = letter_text(child, refs["B"])
    assert "has been selected for funding" in text
    assert ("It was on the reserve list and is now selected from it, in the order of the list: a selected proposal "
            "left the selection, and its requested grant fits the budget this freed.") in text


def test_event_letters_name_the_slots_as_the_reason(people) -> None:
    applicant, officer = people.applicant, people.officer
    call = make_call("EVENTS", kind=CallKind.EVENT, budget=None, max_awards=1, reserve_size=1)
    first = add_reason(call, applicant, "FIRST", ("5", "5", "5"))
    waiting = add_reason(call, applicant, "WAITING", ("4", "4", "4"))
    refused = add_reason(call, applicant, "REFUSED", ("3.5", "3.5", "3.5"))
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


def test_a_proposal_below_threshold_shows_the_core_s_sums_and_no_ranking_total(people) -> None:
    """The Evaluation Summary prints the sums the core gave and marks what it found below threshold; where weights
    differ, the weighted total of a proposal that was not ranked is not called the ranking's."""
    applicant, officer = people.applicant, people.officer
    criteria = [{"key": "relevance", "name": "Relevance"}, {"key": "quality", "name": "Quality"},
                {"key": "impact", "name": "Impact", "weight": "1.5", "threshold": None}]
    call = make_call("WEIGHTED", budget=Decimal("5000000.00"), criteria=criteria)
    ranked = add_reason(call, applicant, "RANKED", ("4", "4", "4"), "1000000.00")
    below = add_reason(call, applicant, "BELOW", ("2.5", "4", "4"), "1000000.00")
    db.session.commit()
    run = finalised(call, officer)
    text = letter_text(run, below)
    assert "Relevance: 2.5 / 5 (threshold 3, weight 1), below threshold" in text
    assert "Impact: 4 / 5 (threshold none, weight 1.5) " in text
    assert "Total (unweighted): 10.5 / 15" in text
    assert "Weighted total: 12.5 (not ranked: below threshold)" in text
    assert "used for ranking" not in text
    text = letter_text(run, ranked)
    assert "Total (unweighted): 12 / 15" in text
    assert "Weighted total (used for ranking): 14" in text


def test_a_call_s_own_contact_point_and_grant_preparation_days_are_the_letter_s(scenario, officer) -> None:
    proposal = scenario["proposals"]["selected"]
    proposal.call.letter_contact = "euroclusters-2027@example.eu"
    proposal.call.grant_preparation_days = 30
    db.session.commit()
    generate(scenario["run"], officer)
    _, text = letter_of(proposal)
    assert "euroclusters-2027@example.eu" in text
    assert "grants@eurogrants.test" not in text
    assert "Grant agreement preparation starts on 14 April 2022" in text  # 30 days after the decision, not 14
