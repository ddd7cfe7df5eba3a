"""Rules 1-7 of selection-rules.md, each at its boundaries, through `scoring.select`."""

from decimal import Decimal

import pytest

from scoring import Candidate, CriterionRule, InvalidInput, ProposalOutcome, Rules, Selection, select

D = Decimal


def make_rules(**overrides: object) -> Rules:
    """The Euroclusters settings of the document's example, without budget, cap or coverage unless given."""
    settings: dict[str, object] = {
        "criteria": (
            CriterionRule("relevance", D(5), D(1), D(3)),
            CriterionRule("quality", D(5), D(1), D(3)),
            CriterionRule("impact", D(5), D("1.5"), None),
        ),
        "overall_threshold": D(10),
        "tie_break": ("relevance", "impact"),
    }
    settings.update(overrides)
    return Rules(**settings)


def proposal(
    proposal_id: str,
    relevance: str = "4",
    quality: str = "4",
    impact: str = "4",
    *,
    requested: str = "100.00",
    eligible: bool = True,
    **fields: object,
) -> Candidate:
    scores = {"relevance": D(relevance), "quality": D(quality), "impact": D(impact)}
    return Candidate(proposal_id, D(requested), eligible, scores, fields)


def outcome(selection: Selection, proposal_id: str) -> ProposalOutcome:
    (found,) = (item for item in selection.proposals if item.id == proposal_id)
    return found


def statuses(selection: Selection) -> dict[str, str]:
    return {item.id: item.status for item in selection.proposals}


# Rule 1: eligibility


def test_ineligible_proposal_is_neither_ranked_nor_scored_and_needs_no_scores() -> None:
    ineligible = Candidate("P1", D("100.00"), False)
    selection = select(make_rules(), [ineligible, proposal("P2")])
    assert outcome(selection, "P1") == ProposalOutcome(
        "P1", "ineligible", None, None, "ineligible", reason_code="ineligible"
    )
    assert selection.selected == ("P2",)


# Rule 2: thresholds


@pytest.mark.parametrize(("relevance", "status"), [("3", "selected"), ("2.5", "below_threshold")])
def test_passes_exactly_at_a_criterion_threshold_and_fails_half_a_point_below(relevance: str, status: str) -> None:
    selection = select(make_rules(overall_threshold=None), [proposal("P1", relevance=relevance)])
    assert outcome(selection, "P1").status == status


@pytest.mark.parametrize(("impact", "status"), [("3", "selected"), ("2.5", "below_threshold")])
def test_passes_exactly_at_the_overall_threshold_and_fails_half_a_point_below(impact: str, status: str) -> None:
    selection = select(make_rules(), [proposal("P1", "3.5", "3.5", impact)])
    assert outcome(selection, "P1").status == status


def test_overall_threshold_uses_the_unweighted_sum_while_ranking_uses_the_weighted_total() -> None:
    rules = make_rules(
        criteria=(
            CriterionRule("relevance", D(5)),
            CriterionRule("quality", D(5)),
            CriterionRule("impact", D(5), D(3)),
        ),
        tie_break=(),
    )
    # Unweighted 9.5 < 10 although the weighted total (3 + 3 + 3 x 3.5 = 16.5) is the highest.
    heavy_on_impact = proposal("P1", "3", "3", "3.5")
    # Unweighted 10 passes; weighted 3.5 + 3.5 + 3 x 3 = 16.
    balanced = proposal("P2", "3.5", "3.5", "3")
    # Unweighted 9.5 fails; weighted 4 + 4 + 3 x 1.5 = 12.5.
    selection = select(rules, [heavy_on_impact, balanced, proposal("P3", "4", "4", "1.5")])
    assert outcome(selection, "P1").reason == "below threshold: overall 9.5 < 10"
    assert outcome(selection, "P2").total == D(16)
    assert outcome(selection, "P3").status == "below_threshold"


def test_threshold_reason_names_every_failed_threshold_with_its_figures() -> None:
    selection = select(make_rules(), [proposal("P1", "2.5", "2", "3")])
    result = outcome(selection, "P1")
    assert result.reason == "below threshold: relevance 2.5 < 3; quality 2 < 3; overall 7.5 < 10"
    assert [failure.criterion for failure in result.failed_thresholds] == ["relevance", "quality", None]
    assert (result.rank, result.total) == (None, None)


# Rule 3: totals


def test_total_is_the_sum_of_weight_times_score() -> None:
    selection = select(make_rules(), [proposal("EC-0001", "4.5", "4", "3.5")])
    assert outcome(selection, "EC-0001").total == D("13.75")


# Rule 4: merit order and ties


def test_orders_by_total_highest_first() -> None:
    selection = select(make_rules(), [proposal("A", "3", "4", "4"), proposal("B", "5", "5", "5")])
    assert [item.id for item in selection.proposals] == ["B", "A"]
    assert [item.rank for item in selection.proposals] == [1, 2]
    assert outcome(selection, "B").decided_by == "total"


def test_equal_totals_are_ordered_by_the_first_tie_break_key() -> None:
    # Both total 14.5 (4 + 4.5 + 1.5 x 4 and 4.5 + 4 + 1.5 x 4), but A has the higher relevance.
    selection = select(make_rules(), [proposal("B", "4", "4.5", "4"), proposal("A", "4.5", "4", "4")])
    assert [item.id for item in selection.proposals] == ["A", "B"]
    assert outcome(selection, "A").decided_by == "tie-break: relevance"
    assert outcome(selection, "A").reason.startswith("rank 1 (ex aequo on total 14.5, ordered by relevance); ")
    assert selection.ties == ()


def test_equal_totals_and_first_keys_are_ordered_by_the_second_tie_break_key() -> None:
    # Totals 4 + 5 + 1.5 x 3 = 13.5 and 4 + 3.5 + 1.5 x 4 = 13.5; relevance equal; impact decides.
    selection = select(make_rules(), [proposal("A", "4", "5", "3"), proposal("B", "4", "3.5", "4")])
    assert [item.id for item in selection.proposals] == ["B", "A"]
    assert {item.decided_by for item in selection.proposals} == {"tie-break: impact"}


def test_proposals_equal_on_every_key_are_a_residual_tie_ordered_by_id_and_reported() -> None:
    # Different quality would not help: it is not a tie-break key, so the totals must be equal anyway.
    tied = [proposal(pid, "4", "4", "4") for pid in ("EC-9", "EC-10", "EC-2")]
    selection = select(make_rules(), [proposal("TOP", "5", "5", "5"), *tied, proposal("LOW", "3", "4", "3")])
    assert [item.id for item in selection.proposals] == ["TOP", "EC-10", "EC-2", "EC-9", "LOW"]
    assert selection.ties == (("EC-10", "EC-2", "EC-9"),)
    assert outcome(selection, "EC-2").decided_by == "id (residual tie)"
    assert outcome(selection, "EC-2").reason.startswith(
        "rank 3 (residual tie of 3 proposals on total 14 and on relevance, impact, "
        "ordered by id for the officer to resolve); "
    )
    assert outcome(selection, "TOP").decided_by == "total"


def test_residual_tie_groups_are_reported_in_merit_order() -> None:
    candidates = [
        proposal(pid, *scores)
        for pid, scores in [
            ("D", ("3", "4", "3")),
            ("C", ("3", "4", "3")),
            ("B", ("5", "5", "5")),
            ("A", ("5", "5", "5")),
        ]
    ]
    assert select(make_rules(), candidates).ties == (("A", "B"), ("C", "D"))


def test_without_tie_break_keys_equal_totals_are_a_residual_tie() -> None:
    selection = select(make_rules(tie_break=()), [proposal("B", "4", "4.5", "4"), proposal("A", "4.5", "4", "4")])
    assert selection.ties == (("A", "B"),)
    assert "residual tie of 2 proposals on total 14.5, ordered by id" in outcome(selection, "A").reason


# Rule 5: coverage


def test_coverage_picks_a_lower_ranked_proposal_for_an_uncovered_strand() -> None:
    rules = make_rules(budget=D("300.00"), max_awards=3, coverage="strand")
    candidates = [
        proposal("T1", "5", "5", "5", strand="Tourism"),
        proposal("T2", "5", "5", "4.5", strand="Tourism"),
        proposal("T3", "5", "5", "4", strand="Tourism"),
        proposal("D1", "3", "4", "3", strand="Digital"),
    ]
    selection = select(rules, candidates)
    assert selection.selected == ("T1", "T2", "D1")  # merit order, not the order of selection
    assert (
        outcome(selection, "D1").reason
        == "rank 4; selected by coverage rule for strand 'Digital'; 100.00 left after it"
    )
    assert outcome(selection, "D1").selected_by == "coverage"
    assert outcome(selection, "T2").selected_by == "merit"
    assert outcome(selection, "T3").reason == "rank 3; the award cap of 3 was reached"


def test_coverage_takes_the_best_ranked_proposal_of_a_strand_that_fits() -> None:
    rules = make_rules(budget=D("500.00"), max_awards=1, coverage="strand")
    candidates = [
        proposal("BIG", "5", "5", "5", requested="600.00", strand="Health"),
        proposal("SMALL", "4", "4", "4", requested="500.00", strand="Health"),
    ]
    selection = select(rules, candidates)
    assert selection.selected == ("SMALL",)
    assert selection.remaining_budget == D("0.00")
    assert outcome(selection, "BIG").reason == "rank 1; the award cap of 1 was reached"


def test_coverage_value_none_of_whose_proposals_fits_gets_none() -> None:
    rules = make_rules(budget=D("150.00"), coverage="strand")
    candidates = [
        proposal("T1", "5", "5", "5", strand="Tourism"),
        proposal("H1", "4", "4", "4", requested="200.00", strand="Health"),
    ]
    selection = select(rules, candidates)
    assert selection.selected == ("T1",)
    assert outcome(selection, "H1").reason == "rank 2; requested 200.00 exceeds the 50.00 left (skip policy)"


def test_coverage_values_are_taken_in_the_order_of_their_best_ranked_proposal() -> None:
    rules = make_rules(max_awards=2, coverage="strand")
    candidates = [
        proposal("A1", "5", "5", "5", strand="A"),
        proposal("A2", "5", "5", "4.5", strand="A"),
        proposal("C1", "4", "4", "4", strand="C"),
        proposal("B1", "3", "4", "3", strand="B"),
    ]
    selection = select(rules, candidates)
    assert selection.selected == ("A1", "C1")
    assert outcome(selection, "A2").reason == "rank 2; the award cap of 2 was reached"


def test_proposals_without_the_coverage_field_or_with_null_take_no_part_in_coverage() -> None:
    rules = make_rules(max_awards=2, coverage="strand")
    candidates = [
        proposal("A1", "5", "5", "5", strand="A"),
        proposal("A2", "5", "5", "4.5", strand="A"),
        proposal("NONE", "4", "4", "4", strand=None),
        proposal("MISSING", "3.5", "4", "4"),
    ]
    selection = select(rules, candidates)
    assert selection.selected == ("A1", "A2")
    assert outcome(selection, "A1").selected_by == "coverage"


def test_coverage_values_are_compared_by_their_text() -> None:
    rules = make_rules(max_awards=1, coverage="area")
    selection = select(rules, [proposal("N", "5", "5", "5", area=D(2)), proposal("S", "4", "4", "4", area="2")])
    assert selection.selected == ("N",)
    assert outcome(selection, "N").reason == "rank 1; selected by coverage rule for area '2'"


def test_coverage_stops_when_the_award_cap_is_reached() -> None:
    rules = make_rules(max_awards=0, coverage="strand")
    selection = select(rules, [proposal("A", strand="A")])
    assert selection.selected == ()
    assert outcome(selection, "A").reason == "rank 1; the award cap of 0 was reached"


# Rule 6: funding in merit order


@pytest.mark.parametrize(
    ("requested", "status", "remaining"),
    [("1000.00", "selected", "0.00"), ("1000.01", "not_funded", "1000.00"), ("999.99", "selected", "0.01")],
)
def test_a_proposal_fits_when_it_asks_for_at_most_the_remaining_budget(
    requested: str, status: str, remaining: str
) -> None:
    selection = select(make_rules(budget=D("1000.00")), [proposal("P1", requested=requested)])
    assert outcome(selection, "P1").status == status
    assert selection.remaining_budget == D(remaining)


def test_exactly_fitting_proposal_is_selected_with_nothing_left() -> None:
    selection = select(make_rules(budget=D("1000.00")), [proposal("P1", requested="1000.00")])
    assert outcome(selection, "P1").reason == "rank 1; fits: 0.00 left after it"


def test_skips_proposal_that_exceeds_remaining_budget() -> None:
    rules = make_rules(budget=D("42000000.00"), budget_policy="skip")
    candidates = [
        proposal("A", "5", "5", "5", requested="41200000.00"),
        proposal("B", "4.5", "4.5", "4.5", requested="1400000.00"),
        proposal("C", "4", "4", "4", requested="800000.00"),
    ]
    selection = select(rules, candidates)
    assert selection.selected == ("A", "C")
    assert outcome(selection, "A").reason == "rank 1; fits: 800,000.00 left after it"
    assert outcome(selection, "B").reason == "rank 2; requested 1,400,000.00 exceeds the 800,000.00 left (skip policy)"
    assert selection.remaining_budget == D("0.00")


def test_stop_policy_ends_the_walk_at_the_first_proposal_that_does_not_fit() -> None:
    rules = make_rules(budget=D("1000.00"), budget_policy="stop")
    candidates = [
        proposal("A", "5", "5", "5", requested="900.00"),
        proposal("B", "4.5", "4.5", "4.5", requested="200.00"),
        proposal("C", "4", "4", "4", requested="50.00"),
    ]
    selection = select(rules, candidates)
    assert selection.selected == ("A",)
    assert outcome(selection, "B").reason == (
        "rank 2; requested 200.00 exceeds the 100.00 left; the budget walk stopped here (stop policy)"
    )
    assert outcome(selection, "C").reason == "rank 3; budget walk stopped at rank 2 (stop policy)"
    assert selection.remaining_budget == D("100.00")


def test_coverage_award_below_the_stop_point_stays_selected() -> None:
    rules = make_rules(budget=D("1000.00"), budget_policy="stop", coverage="strand")
    candidates = [
        proposal("A", "5", "5", "5", requested="900.00", strand="X"),
        proposal("B", "4.5", "4.5", "4.5", requested="200.00", strand="X"),
        proposal("C", "4", "4", "4", requested="50.00", strand="Y"),
    ]
    assert select(rules, candidates).selected == ("A", "C")


@pytest.mark.parametrize(("count", "selected"), [(29, 29), (30, 30), (31, 30)])
def test_the_30th_award_is_made_and_the_31st_is_not(count: int, selected: int) -> None:
    candidates = [proposal(f"EC-{number:04d}", requested="1400000.00") for number in range(1, count + 1)]
    selection = select(make_rules(budget=D("42000000.00"), max_awards=30), candidates)
    assert len(selection.selected) == selected
    if count == 31:
        assert outcome(selection, "EC-0031").reason.endswith("; the award cap of 30 was reached")
        assert selection.remaining_budget == D("0.00")


def test_zero_budget_selects_only_proposals_that_request_nothing() -> None:
    candidates = [proposal("A", "5", "5", "5", requested="0.01"), proposal("B", requested="0.00")]
    selection = select(make_rules(budget=D(0)), candidates)
    assert selection.selected == ("B",)
    assert outcome(selection, "A").reason == "rank 1; requested 0.01 exceeds the 0.00 left (skip policy)"


def test_without_a_budget_everyone_passing_is_selected_up_to_the_cap() -> None:
    selection = select(make_rules(max_awards=2), [proposal(pid) for pid in "ABC"])
    assert selection.selected == ("A", "B")
    assert selection.remaining_budget is None
    assert outcome(selection, "A").reason.endswith("; selected (no budget limit)")


@pytest.mark.parametrize(("budget", "remaining"), [(None, None), (D("5.00"), D("5.00"))])
def test_empty_call_selects_nothing(budget: Decimal | None, remaining: Decimal | None) -> None:
    assert select(make_rules(budget=budget), []) == Selection((), (), remaining, (), ())


# Rule 7: reserve list


@pytest.mark.parametrize(
    ("reserve_size", "reserve"), [(0, ()), (1, ("B",)), (3, ("B", "C", "D")), (4, ("B", "C", "D"))]
)
def test_reserve_list_takes_the_first_reserve_size_passing_proposals_not_selected(
    reserve_size: int, reserve: tuple[str, ...]
) -> None:
    candidates = [proposal(pid, "5", "5", impact) for pid, impact in zip("ABCD", ("5", "4", "3", "2"), strict=True)]
    selection = select(make_rules(max_awards=1, reserve_size=reserve_size), candidates)
    assert selection.reserve == reserve
    assert [outcome(selection, pid).reserve_position for pid in reserve] == list(range(1, len(reserve) + 1))
    assert {pid for pid, status in statuses(selection).items() if status == "not_funded"} == set("BCD") - set(reserve)


def test_reserve_reason_gives_the_position_and_why_it_was_not_selected() -> None:
    selection = select(make_rules(max_awards=1, reserve_size=1), [proposal("A", "5"), proposal("B")])
    assert outcome(selection, "B").reason == "rank 2; reserve position 1; the award cap of 1 was reached"


# The order of the decisions: step, budget left after it, reason code


def decisions(selection: Selection) -> list[tuple[str, int | None, Decimal | None, str | None]]:
    return [(item.id, item.step, item.budget_left, item.reason_code) for item in selection.proposals]


def test_coverage_picks_are_the_first_steps_and_the_merit_walk_follows_with_the_budget_left_after_each() -> None:
    rules = make_rules(budget=D("1000.00"), coverage="strand", max_awards=3, reserve_size=1)
    candidates = [
        proposal("A", "5", "5", "5", requested="300.00", strand="X"),
        proposal("B", "4.5", "4.5", "4.5", requested="500.00", strand="X"),
        proposal("C", "4", "4", "4", requested="100.00", strand="Y"),
        proposal("D", "3.5", "3.5", "3.5", requested="50.00", strand="Z"),
        proposal("E", "3.5", "3.5", "3", requested="50.00"),
    ]
    selection = select(rules, candidates)
    assert selection.selected == ("A", "C", "D")
    # Coverage picks A, C and D (steps 1-3) and reaches the cap; the walk then decides B and E in merit order.
    assert decisions(selection) == [
        ("A", 1, D("700.00"), "coverage"),
        ("B", 4, D("550.00"), "award_cap"),
        ("C", 2, D("600.00"), "coverage"),
        ("D", 3, D("550.00"), "coverage"),
        ("E", 5, D("550.00"), "award_cap"),
    ]
    assert outcome(selection, "C").reason == "rank 3; selected by coverage rule for strand 'Y'; 600.00 left after it"
    assert outcome(selection, "B").reason == "rank 2; reserve position 1; the award cap of 3 was reached"


def test_the_budget_left_in_the_reason_is_the_budget_left_after_the_step_not_after_the_rank() -> None:
    # B is ranked second but decided last: coverage picks C (step 2) before the walk reaches B (step 3).
    rules = make_rules(budget=D("1000.00"), coverage="strand")
    candidates = [
        proposal("A", "5", "5", "5", requested="300.00", strand="X"),
        proposal("B", "4.5", "4.5", "4.5", requested="200.00", strand="X"),
        proposal("C", "4", "4", "4", requested="100.00", strand="Y"),
    ]
    selection = select(rules, candidates)
    assert decisions(selection) == [
        ("A", 1, D("700.00"), "coverage"),
        ("B", 3, D("400.00"), "fits"),
        ("C", 2, D("600.00"), "coverage"),
    ]
    assert outcome(selection, "B").reason == "rank 2; fits: 400.00 left after it"


@pytest.mark.parametrize(
    ("policy", "codes"),
    [
        ("skip", {"A": "fits", "B": "budget", "C": "fits", "D": "award_cap"}),
        ("stop", {"A": "fits", "B": "budget", "C": "stop_policy", "D": "stop_policy"}),
    ],
)
def test_the_reason_code_names_the_rule_that_decided_each_ranked_proposal(policy: str, codes: dict[str, str]) -> None:
    rules = make_rules(budget=D("1000.00"), budget_policy=policy, max_awards=2)
    candidates = [
        proposal("A", "5", "5", "5", requested="900.00"),
        proposal("B", "4.5", "4.5", "4.5", requested="200.00"),
        proposal("C", "4", "4", "4", requested="50.00"),
        proposal("D", "3.5", "3.5", "3.5", requested="10.00"),
    ]
    selection = select(rules, candidates)
    assert {item.id: item.reason_code for item in selection.proposals} == codes
    assert [outcome(selection, pid).step for pid in "ABCD"] == [1, 2, 3, 4]
    # A proposal that is not selected leaves the budget as it found it.
    assert outcome(selection, "B").budget_left == D("100.00")


def test_the_award_cap_binds_with_budget_unused_and_says_so_by_its_code() -> None:
    candidates = [proposal(f"EC-{number:04d}", requested="1000000.00") for number in range(1, 33)]
    selection = select(make_rules(budget=D("42000000.00"), max_awards=30, reserve_size=1), candidates)
    reserve, not_funded = outcome(selection, "EC-0031"), outcome(selection, "EC-0032")
    assert (reserve.status, reserve.reason_code, reserve.step, reserve.budget_left) == (
        "reserve", "award_cap", 31, D("12000000.00"))
    assert (not_funded.status, not_funded.reason_code, not_funded.budget_left) == (
        "not_funded", "award_cap", D("12000000.00"))
    assert selection.remaining_budget == D("12000000.00")


def test_unranked_proposals_have_no_step_and_name_their_rule() -> None:
    candidates = [proposal("LOW", "2.5"), Candidate("OUT", D("1.00"), False), proposal("OK")]
    selection = select(make_rules(budget=D("1000.00")), candidates)
    assert decisions(selection) == [
        ("OK", 1, D("900.00"), "fits"), ("LOW", None, None, "threshold"), ("OUT", None, None, "ineligible")
    ]


def test_without_a_budget_the_steps_remain_and_no_budget_is_left() -> None:
    selection = select(make_rules(max_awards=1), [proposal("A", "5"), proposal("B")])
    assert decisions(selection) == [("A", 1, None, "fits"), ("B", 2, None, "award_cap")]


# Output order and determinism


def test_proposals_are_listed_ranked_then_below_threshold_then_ineligible_each_group_by_id() -> None:
    candidates = [
        Candidate("I2", D(0), False),
        proposal("F2", "1"),
        proposal("R2", "4"),
        Candidate("I1", D(0), False),
        proposal("F1", "2"),
        proposal("R1", "5"),
    ]
    selection = select(make_rules(), candidates)
    assert [item.id for item in selection.proposals] == ["R1", "R2", "F1", "F2", "I1", "I2"]


def test_equal_numbers_written_differently_give_the_same_selection() -> None:
    one = select(make_rules(), [proposal("A", "4.5", "4.0", "3.50"), proposal("B", "4.50", "4", "3.5")])
    other = select(make_rules(), [proposal("A", "4.5", "4", "3.5"), proposal("B", "4.5", "4", "3.5")])
    assert one == other


def test_select_refuses_candidates_that_break_the_rules() -> None:
    with pytest.raises(InvalidInput, match=r"proposal 'P1', field 'scores.quality': score 5.5 is out of range"):
        select(make_rules(), [proposal("P1", quality="5.5")])
