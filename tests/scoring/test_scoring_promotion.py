"""Promotion from the reserve list (`scoring.promotion`), on plain data: who is promoted, what the others keep, the
steps, budget left and reason codes it reports, and its documents re-run byte for byte."""

import json
from decimal import Decimal

import pytest

from scoring import (
    Candidate,
    CriterionRule,
    InvalidInput,
    PromotionError,
    Release,
    Rules,
    ScoringError,
    Selection,
    canonical_json,
    input_to_dict,
    parse_promotion,
    promote,
    promote_document,
    promotion_document,
    read_output,
    select,
    selection_to_dict,
)

D = Decimal


def rules(**overrides: object) -> Rules:
    settings: dict[str, object] = {
        "criteria": (CriterionRule("quality", D(5), D(1), D(3)), CriterionRule("impact", D(5), D(1), D(3))),
        "budget": D("3000000.00"),
        "max_awards": 2,
        "reserve_size": 2,
    }
    settings.update(overrides)
    return Rules(**settings)


def proposal(proposal_id: str, quality: str, impact: str, requested: str, *, eligible: bool = True) -> Candidate:
    return Candidate(proposal_id, D(requested), eligible, {"quality": D(quality), "impact": D(impact)})


# A 3-million call with 2 awards and a reserve of 2: A (1.0M) and B (1.5M) selected with 0.5M left; C (0.9M) and
# D (0.4M) on the reserve list; E not funded; LOW below threshold; OUT ineligible.
CANDIDATES = [
    proposal("A", "5", "5", "1000000.00"),
    proposal("B", "4.5", "4.5", "1500000.00"),
    proposal("C", "4", "4", "900000.00"),
    proposal("D", "3.5", "3.5", "400000.00"),
    proposal("E", "3", "3", "100000.00"),
    proposal("LOW", "2.5", "5", "100000.00"),
    Candidate("OUT", D("100000.00"), False),
]


@pytest.fixture
def selection() -> Selection:
    selected = select(rules(), CANDIDATES)
    assert (selected.selected, selected.reserve, selected.remaining_budget) == (("A", "B"), ("C", "D"), D("500000.00"))
    return selected


def by_id(selection: Selection) -> dict[str, object]:
    return {outcome.id: outcome for outcome in selection.proposals}


def test_a_declined_award_promotes_the_first_reserve_proposal_that_fits_the_freed_budget(selection: Selection) -> None:
    after = promote(selection, CANDIDATES, Release("B", "declined"), previous_run=1)
    outcomes = {o.id: o for o in after.proposals}
    assert (after.selected, after.reserve, after.remaining_budget) == (("A", "C"), ("D",), D("1100000.00"))
    declined, promoted, reserve = outcomes["B"], outcomes["C"], outcomes["D"]
    assert (declined.status, declined.rank, declined.total, declined.reason_code) == ("declined", 2, D(9), "declined")
    assert declined.reason == "rank 2; selected in run 1, then declined the grant"
    assert (declined.step, declined.budget_left) == (6, D("2000000.00"))  # after E, the last step of the selection
    assert (promoted.status, promoted.selected_by, promoted.reason_code) == ("selected", "reserve", "promoted")
    assert promoted.reason == ("rank 3; promoted from reserve position 1 after B declined the grant; "
                               "fits: 1,100,000.00 left after it")
    assert (promoted.step, promoted.budget_left, promoted.reserve_position) == (7, D("1100000.00"), None)
    # The reserve list moves up; nobody else changes.
    assert (reserve.reserve_position, reserve.reason.count("reserve position 1")) == (1, 1)
    assert outcomes["A"] == by_id(selection)["A"]
    assert outcomes["E"] == by_id(selection)["E"]
    assert [o.id for o in after.proposals] == [o.id for o in selection.proposals]


def test_a_reserve_proposal_too_dear_for_the_freed_budget_is_passed_over(selection: Selection) -> None:
    dear = [proposal("C", "4", "4", "2200000.00") if c.id == "C" else c for c in CANDIDATES]
    after = promote(selection, dear, Release("A", "declined"))
    assert (after.selected, after.reserve) == (("B", "D"), ("C",))
    assert after.remaining_budget == D("1100000.00")  # 0.5M left + A's 1.0M, less D's 0.4M
    assert by_id(after)["C"].reserve_position == 1


def test_a_proposal_found_ineligible_leaves_the_ranking_for_the_ineligible_group(selection: Selection) -> None:
    after = promote(selection, CANDIDATES, Release("A", "ineligible"), previous_run=3)
    found = by_id(after)["A"]
    assert (found.status, found.rank, found.total, found.decided_by) == ("ineligible", None, None, None)
    assert (found.weighted_total, found.score_sum, found.reason_code) == (None, None, "ineligible")
    assert found.reason == "found ineligible after selection in run 3"
    # Ineligible proposals come last, by id, as the core lists them.
    assert [o.id for o in after.proposals][-2:] == ["A", "OUT"]


def test_without_a_budget_the_first_reserve_proposal_is_promoted() -> None:
    slots = rules(budget=None)
    previous = select(slots, CANDIDATES)
    after = promote(previous, CANDIDATES, Release("A", "declined"))
    assert (after.selected, after.reserve, after.remaining_budget) == (("B", "C"), ("D",), None)
    assert by_id(after)["C"].reason.endswith("after A declined the grant; selected (no budget limit)")
    assert by_id(after)["C"].budget_left is None


def test_when_no_reserve_proposal_fits_nobody_is_promoted_and_the_freed_budget_stays() -> None:
    dear = [proposal(c.id, str(c.scores.get("quality", 0)), str(c.scores.get("impact", 0)), "2900000.00")
            if c.id in {"C", "D"} else c for c in CANDIDATES]
    previous = select(rules(), dear)
    after = promote(previous, dear, Release("A", "declined"))
    assert after.selected == ("B",)
    assert after.reserve == previous.reserve
    assert after.remaining_budget == previous.remaining_budget + D("1000000.00")


@pytest.mark.parametrize("released", ["C", "LOW", "OUT", "NOBODY"])
def test_only_a_selected_proposal_can_leave(selection: Selection, released: str) -> None:
    with pytest.raises(PromotionError, match=f"{released} is not a selected proposal"):
        promote(selection, CANDIDATES, Release(released, "declined"))


def test_a_release_is_declined_or_ineligible() -> None:
    with pytest.raises(PromotionError, match="unknown release reason 'bored'"):
        Release("A", "bored")  # type: ignore[arg-type]
    assert issubclass(PromotionError, ScoringError)


def document(selection: Selection) -> dict[str, object]:
    first = json.loads(canonical_json(input_to_dict(rules(), CANDIDATES)))
    return promotion_document(first, json.loads(canonical_json(selection_to_dict(selection))), previous_run=1,
                              previous_output_sha256="0" * 64, release=Release("B", "declined"))


def test_a_promotion_document_re_runs_to_the_same_bytes(selection: Selection) -> None:
    data = document(selection)
    assert set(data) == {"kind", "rules", "proposals", "previous", "previous_run", "previous_output_sha256",
                         "release"}
    once = canonical_json(selection_to_dict(promote_document(data)))
    again = canonical_json(selection_to_dict(promote_document(json.loads(canonical_json(data)))))
    assert once == again
    assert once == canonical_json(selection_to_dict(promote(selection, CANDIDATES, Release("B", "declined"),
                                                            previous_run=1)))


def test_a_promotion_that_follows_an_output_stored_before_the_decision_fields_keeps_their_absence(
    selection: Selection,
) -> None:
    data = document(selection)
    for item in data["previous"]["proposals"]:  # type: ignore[index]
        for key in ("step", "budget_left", "reason_code"):
            del item[key]
    written = selection_to_dict(promote_document(data))["proposals"]
    decided = {item["id"]: item for item in written if "reason_code" in item}
    assert set(decided) == {"B", "C"}  # only what the promotion decided says how
    assert (decided["B"]["step"], decided["B"]["budget_left"]) == (None, "2000000.00")
    assert (decided["C"]["step"], decided["C"]["reason_code"]) == (None, "promoted")


@pytest.mark.parametrize(("change", "field"), [
    ({"kind": "selection"}, "kind"),
    ({"previous": []}, "previous"),
    ({"release": {"reason": "declined"}}, "release"),
    ({"previous_run": "three"}, "previous_run"),
])
def test_a_promotion_document_that_does_not_read_names_the_field(selection: Selection, change: dict[str, object],
                                                                   field: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_promotion({**document(selection), **change})
    assert error.value.field == field


def test_the_previous_output_is_read_back_as_the_selection_it_was(selection: Selection) -> None:
    promotion = parse_promotion(document(selection))
    assert promotion.previous == read_output(selection_to_dict(selection), rules(), CANDIDATES) == selection
    assert (promotion.release, promotion.previous_run) == (Release("B", "declined"), 1)
