"""The output document read back (`scoring.read_output`), and the sums the core gives every scored proposal: what
pages and letters show, so that they work nothing out again."""

import json
from decimal import Decimal

import pytest

from scoring import (
    ADDED_FIELDS,
    Candidate,
    CriterionRule,
    InvalidInput,
    Rules,
    canonical_json,
    input_to_dict,
    parse_input,
    read_json,
    read_output,
    select,
    selection_to_dict,
)

D = Decimal

RULES = Rules(
    criteria=(
        CriterionRule("relevance", D(5), D(1), D(3)),
        CriterionRule("quality", D(5), D(1), D(3)),
        CriterionRule("impact", D(5), D("1.5"), None),
    ),
    overall_threshold=D(10),
    budget=D("1000000.00"),
    reserve_size=1,
)


def proposal(proposal_id: str, relevance: str, quality: str, impact: str, requested: str = "400000.00") -> Candidate:
    scores = {"relevance": D(relevance), "quality": D(quality), "impact": D(impact)}
    return Candidate(proposal_id, D(requested), True, scores)


CANDIDATES = [
    proposal("TOP", "5", "4.5", "4.5"),
    proposal("NEXT", "4", "4", "4"),
    proposal("LAST", "3.5", "3.5", "3", requested="900000.00"),
    proposal("LOW", "2.5", "4", "4"),  # below the relevance threshold
    proposal("SUM", "3", "3", "3.5"),  # below the overall threshold: 9.5 < 10
    Candidate("OUT", D("100000.00"), False),
]


def outcomes() -> dict[str, object]:
    return {outcome.id: outcome for outcome in select(RULES, CANDIDATES).proposals}


def test_every_scored_proposal_has_its_weighted_total_and_unweighted_sum_ranked_or_not() -> None:
    found = outcomes()
    assert (found["TOP"].total, found["TOP"].weighted_total, found["TOP"].score_sum) == (D("16.25"), D("16.25"), D(14))
    # Whatever the walk decided for a ranked proposal: selected, on the reserve list or not funded.
    assert [(found[i].status, found[i].weighted_total, found[i].score_sum) for i in ("NEXT", "LAST")] == [
        ("selected", D(14), D(12)), ("reserve", D("11.5"), D(10))]
    not_funded = select(Rules(criteria=RULES.criteria, budget=D("400000.00")), CANDIDATES).proposals[1]
    assert (not_funded.id, not_funded.status) == ("NEXT", "not_funded")
    assert (not_funded.total, not_funded.weighted_total, not_funded.score_sum) == (D(14), D(14), D(12))
    # Not ranked: no ranking total, but the sums its Evaluation Summary shows, as the core computed them.
    assert (found["LOW"].status, found["LOW"].total) == ("below_threshold", None)
    assert (found["LOW"].weighted_total, found["LOW"].score_sum) == (D("12.5"), D("10.5"))
    assert (found["SUM"].weighted_total, found["SUM"].score_sum) == (D("11.25"), D("9.5"))
    # An ineligible proposal is not scored.
    assert (found["OUT"].weighted_total, found["OUT"].score_sum) == (None, None)


def test_the_sums_are_written_like_the_total() -> None:
    written = {item["id"]: item for item in selection_to_dict(select(RULES, CANDIDATES))["proposals"]}
    assert (written["TOP"]["weighted_total"], written["TOP"]["score_sum"]) == ("16.25", "14")
    assert (written["LOW"]["total"], written["LOW"]["weighted_total"], written["LOW"]["score_sum"]) == (
        None, "12.5", "10.5")
    assert (written["OUT"]["weighted_total"], written["OUT"]["score_sum"]) == (None, None)


def test_an_output_reads_back_as_the_selection_that_wrote_it() -> None:
    selection = select(RULES, CANDIDATES)
    output = selection_to_dict(selection)
    assert read_output(output, RULES, CANDIDATES) == selection
    # ... and from its stored text, whose numbers read_json reads as Decimals.
    again = read_output(read_json(canonical_json(output)), *parse_input(read_json(canonical_json(
        input_to_dict(RULES, CANDIDATES)))))
    assert selection_to_dict(again) == output


def stored_before(output: dict[str, object], *fields: str) -> dict[str, object]:
    return {**output, "proposals": [{k: v for k, v in item.items() if k not in fields}
                                    for item in output["proposals"]]}  # type: ignore[attr-defined]


def test_an_output_stored_before_the_added_fields_reads_with_the_sums_from_its_input() -> None:
    output = selection_to_dict(select(RULES, CANDIDATES))
    old = stored_before(output, *ADDED_FIELDS)
    found = {outcome.id: outcome for outcome in read_output(old, RULES, CANDIDATES).proposals}
    assert (found["LOW"].weighted_total, found["LOW"].score_sum) == (D("12.5"), D("10.5"))
    assert (found["OUT"].weighted_total, found["OUT"].score_sum) == (None, None)
    # The order of the decisions only a re-run can tell: unknown, and written back as it was read.
    assert {(o.step, o.budget_left, o.reason_code) for o in found.values()} == {(None, None, None)}
    assert selection_to_dict(read_output(old, RULES, CANDIDATES)) == stored_before(output, "step", "budget_left",
                                                                                     "reason_code")


@pytest.mark.parametrize(("change", "field"), [
    ({"id": "NOBODY"}, "output.proposals[0].id"),
    ({"status": "funded"}, "output.proposals[0].status"),
    ({"total": "many"}, "output.proposals[0].total"),
    ({"rank": 0}, "output.proposals[0].rank"),
    ({"failed": [[]]}, "output.proposals[0].failed"),
])
def test_an_output_that_does_not_read_names_the_field(change: dict[str, object], field: str) -> None:
    output = json.loads(canonical_json(selection_to_dict(select(RULES, CANDIDATES))))
    output["proposals"][0].update(change)
    with pytest.raises(InvalidInput) as error:
        read_output(output, RULES, CANDIDATES)
    assert error.value.field == field


def test_an_output_without_its_lists_does_not_read() -> None:
    with pytest.raises(InvalidInput, match="expected a list"):
        read_output({"selected": [], "reserve": [], "remaining_budget": None, "ties": []}, RULES, CANDIDATES)
