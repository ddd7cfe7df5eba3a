"""Funding after an upheld evaluation review (`scoring.review`), on plain data: each branch of the rule at its
boundary (the budget left exactly the grant, one euro short, the award cap reached), never unseating the funded, and
its documents re-run byte for byte and followed by a promotion that funds the proposal when money frees."""

import json
from decimal import Decimal

import pytest

from scoring import (
    Candidate,
    CriterionRule,
    NewResult,
    Release,
    ReviewError,
    Rules,
    Standing,
    ThresholdFailure,
    apply_review,
    canonical_json,
    decide_review,
    decide_review_document,
    input_to_dict,
    promote,
    read_output,
    review_document,
    review_document_run,
    select,
    selection_to_dict,
)

D = Decimal

# Funded in force: A (1.0M) and B (1.5M) of a 3-million budget (0.5M left); C then D on the reserve list.
FUNDED = (("A", D("1000000.00")), ("B", D("1500000.00")))


def standing(*, budget: str | None = "3000000.00", max_awards: int | None = 3,
             reserve: tuple[str, ...] = ("C", "D")) -> Standing:
    return Standing(funded=FUNDED, reserve=reserve, budget=None if budget is None else D(budget),
                    max_awards=max_awards)


def result(status: str, *, grant: str = "500000.00", rank: int | None = 2, proposal_id: str = "X",
           reserve_ranks: dict[str, int] | None = None, reason: str = "") -> NewResult:
    return NewResult(id=proposal_id, grant=D(grant), status=status,  # type: ignore[arg-type]
                     rank=rank, total=None if rank is None else D("8.5"), reserve_ranks=reserve_ranks,
                     rerun_reason=reason)


def test_the_budget_left_is_the_budget_less_the_grants_in_force() -> None:
    assert standing().budget_used == D("2500000.00")
    assert standing().budget_left == D("500000.00")
    assert standing(budget=None).budget_left is None


def test_funded_from_the_budget_left_when_it_covers_the_grant_exactly() -> None:
    decision = decide_review(standing(), result("selected", grant="500000.00"))
    assert (decision.outcome, decision.code) == ("funded", "fits")
    assert (decision.budget_left, decision.budget_left_after) == (D("500000.00"), D("0.00"))
    assert decision.reserve_position is None
    assert "fits the 500,000.00 left" in decision.reason


def test_one_euro_short_takes_the_first_reserve_place_ahead_of_the_reserve() -> None:
    decision = decide_review(standing(), result("selected", grant="500001.00"))
    assert (decision.outcome, decision.code, decision.reserve_position) == ("reserve", "budget", 1)
    assert decision.budget_left_after == D("500000.00")
    assert "exceeds the 500,000.00 left" in decision.reason
    assert "funded when money frees" in decision.reason


@pytest.mark.parametrize(("max_awards", "outcome", "code"), [
    (3, "funded", "fits"),          # two funded, a third award is allowed
    (2, "reserve", "award_cap"),    # the cap is reached: first reserve place even though the money is there
])
def test_the_award_cap_decides_between_funding_and_the_first_reserve_place(max_awards: int, outcome: str,
                                                                           code: str) -> None:
    decision = decide_review(standing(max_awards=max_awards), result("selected", grant="100000.00"))
    assert (decision.outcome, decision.code) == (outcome, code)
    if code == "award_cap":
        assert decision.reserve_position == 1
        assert "the 2 awards of the call are reached" in decision.reason


def test_without_a_budget_or_a_cap_a_proposal_the_re_run_selects_is_funded() -> None:
    decision = decide_review(standing(budget=None, max_awards=None), result("selected", grant="9000000.00"))
    assert (decision.outcome, decision.budget_left_after) == ("funded", None)


def test_a_threshold_failed_in_the_re_evaluation_leaves_the_decision_standing() -> None:
    decision = decide_review(standing(), result("below_threshold", rank=None,
                                                reason="below threshold: quality 2.5 < 3"))
    assert (decision.outcome, decision.code) == ("unchanged", "threshold")
    assert decision.reason == "below threshold: quality 2.5 < 3; the decision stands"


@pytest.mark.parametrize(("rank", "position", "above"), [
    (3, 1, 0),   # ranked above both reserve proposals (C at 4, D at 5)
    (5, 2, 1),   # between C and D: D ranks 6 in the re-run, C 4
    (7, 3, 2),   # below both
])
def test_a_proposal_the_re_run_puts_on_the_reserve_is_placed_at_its_rank(rank: int, position: int,
                                                                         above: int) -> None:
    ranks = {"C": 4, "D": 6 if rank == 5 else 5}
    decision = decide_review(standing(), result("reserve", rank=rank, reserve_ranks=ranks))
    assert (decision.outcome, decision.code, decision.reserve_position) == ("reserve", "reserve", position)
    assert f"after the {above} reserve proposals ranked above it" in decision.reason


def test_beyond_the_reserve_list_it_is_not_funded_with_the_reason() -> None:
    decision = decide_review(standing(), result("not_funded", rank=9))
    assert (decision.outcome, decision.code) == ("unchanged", "not_funded")
    assert decision.reason == "rank 9 in the re-run is beyond the reserve list: not funded; the decision stands"


def test_a_reserve_proposal_never_moves_down() -> None:
    decision = decide_review(standing(reserve=("X", "C")), result("reserve", rank=5, reserve_ranks={"C": 4}))
    assert (decision.outcome, decision.code, decision.reserve_position) == ("unchanged", "no_better", 1)
    decision = decide_review(standing(reserve=("C", "X")), result("not_funded", rank=9))
    assert (decision.outcome, decision.code, decision.reserve_position) == ("unchanged", "no_better", 2)


def test_a_status_that_is_not_scored_is_refused() -> None:
    with pytest.raises(ReviewError, match="only a scored proposal"):
        decide_review(standing(), result("ineligible", rank=None))


# ---------------------------------------------------------------------------------------------- on a selection


def rules(**overrides: object) -> Rules:
    settings: dict[str, object] = {
        "criteria": (CriterionRule("quality", D(5), D(1), D(3)), CriterionRule("impact", D(5), D(1), D(3))),
        "budget": D("3000000.00"), "max_awards": 3, "reserve_size": 2,
    }
    settings.update(overrides)
    return Rules(**settings)  # type: ignore[arg-type]


def proposal(proposal_id: str, quality: str, impact: str, requested: str) -> Candidate:
    return Candidate(proposal_id, D(requested), True, {"quality": D(quality), "impact": D(impact)})


# A (1.0M) and B (1.5M) funded, 0.5M left; C (0.9M) and D (0.8M) on the reserve; X below threshold (2.5 < 3).
CANDIDATES = [proposal("A", "5", "5", "1000000.00"), proposal("B", "4.5", "4.5", "1500000.00"),
              proposal("C", "4", "4", "900000.00"), proposal("D", "3.5", "3.5", "800000.00"),
              proposal("X", "2.5", "4", "500000.00")]


def _review(grant: str, new_scores: tuple[str, str]) -> tuple[dict[str, object], Rules, list[Candidate]]:
    """The review document after X is re-evaluated to `new_scores` with the requested `grant`."""
    the_rules = rules()
    first = [candidate if candidate.id != "X" else proposal("X", "2.5", "4", grant) for candidate in CANDIDATES]
    in_force = select(the_rules, first)
    assert in_force.selected == ("A", "B")
    again = [candidate if candidate.id != "X" else proposal("X", *new_scores, grant) for candidate in first]
    rerun = select(the_rules, again)
    rerun_by_id = {outcome.id: outcome for outcome in rerun.proposals}
    first_input = json.loads(canonical_json(input_to_dict(the_rules, first)))
    document = review_document(
        first_input, json.loads(canonical_json(selection_to_dict(in_force))), previous_run=1,
        previous_output_sha256="0" * 64, reviewed_id="X",
        new_scores={"quality": new_scores[0], "impact": new_scores[1]}, rerun_outcome=rerun_by_id["X"],
        rerun_run=2, rerun_output_sha256="1" * 64,
        reserve_ranks={ref: rerun_by_id[ref].rank or 0 for ref in in_force.reserve}, request="X-R1")
    return document, the_rules, again


def test_funded_from_the_budget_left_never_unseats_the_funded() -> None:
    document, _, _ = _review("500000.00", ("4.5", "4.5"))
    decision, after = decide_review_document(document)
    assert (decision.outcome, decision.code) == ("funded", "fits")
    assert after.selected == ("A", "B", "X")  # X ties with B on the total and is listed after it
    assert after.reserve == ("C", "D")
    assert after.remaining_budget == D("0.00")
    x = next(outcome for outcome in after.proposals if outcome.id == "X")
    assert (x.status, x.selected_by, x.reason_code, x.failed_thresholds) == ("selected", "review", "review", ())
    assert x.reason.startswith("re-evaluated after the evaluation review X-R1: rank")
    assert x.step == 5


def test_one_euro_short_on_a_selection_goes_first_on_the_reserve_and_a_promotion_funds_it() -> None:
    # X now outranks B: the re-run funds it (and passes B over), but in force only 500,000.00 is left.
    document, the_rules, again = _review("500001.00", ("5", "4.5"))
    decision, after = decide_review_document(document)
    assert (decision.outcome, decision.code) == ("reserve", "budget")
    assert after.selected == ("A", "B")
    assert after.reserve == ("X", "C", "D")
    positions = {o.id: o.reserve_position for o in after.proposals if o.status == "reserve"}
    assert positions == {"X": 1, "C": 2, "D": 3}
    assert "reserve position 2" in next(o.reason for o in after.proposals if o.id == "C")
    # A declines: 1.5M frees, and X, first on the reserve, is funded.
    promoted = promote(after, again, Release("A", "declined"))
    assert promoted.selected == ("B", "X")
    assert promoted.reserve == ("C", "D")


def test_a_review_document_re_runs_to_the_same_bytes_and_reads_back() -> None:
    document, the_rules, again = _review("500000.00", ("4.5", "4.5"))
    output = canonical_json(selection_to_dict(review_document_run(document)))
    assert canonical_json(selection_to_dict(review_document_run(json.loads(canonical_json(document))))) == output
    assert read_output(json.loads(output), the_rules, again).selected == ("A", "B", "X")


def test_a_decision_that_stands_leaves_the_selection_in_force() -> None:
    document, _, _ = _review("500000.00", ("3", "2.5"))
    decision, after = decide_review_document(document)
    assert (decision.outcome, decision.code) == ("unchanged", "threshold")
    assert "impact 2.5" in decision.reason or "threshold" in decision.reason
    in_force = document["previous"]
    assert selection_to_dict(after) == in_force


def test_apply_review_refuses_a_proposal_that_is_not_in_force() -> None:
    the_rules = rules()
    in_force = select(the_rules, CANDIDATES)
    decision = decide_review(Standing(FUNDED, ("C", "D"), D("3000000.00"), 3), result("selected", proposal_id="Z"))
    with pytest.raises(ReviewError, match="not a proposal of the outcome in force"):
        apply_review(in_force, in_force.proposals[0], decision)


def test_failed_thresholds_of_the_re_run_are_kept_in_the_result() -> None:
    failure = ThresholdFailure("quality", D("2.5"), D(3))
    assert NewResult("X", D(1), "below_threshold", None, None, (failure,)).failed == (failure,)


def test_python_m_scoring_review_prints_what_the_web_app_stores() -> None:
    import subprocess
    import sys
    from pathlib import Path

    document, _, _ = _review("500000.00", ("4.5", "4.5"))
    text = canonical_json(document)
    result = subprocess.run([sys.executable, "-m", "scoring", "review"], input=text, capture_output=True, text=True,
                            check=False, timeout=60, cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == selection_to_dict(review_document_run(json.loads(text)))
