"""The JSON side of selection-rules.md: input checks, defaults, the output document and snapshots."""

import copy
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from scoring import (
    Candidate,
    CriterionRule,
    InvalidInput,
    Rules,
    ScoringError,
    canonical_json,
    input_to_dict,
    parse_input,
    read_json,
    select,
    selection_to_dict,
)

D = Decimal


def document(**rules: Any) -> dict[str, Any]:
    """A small valid input (as read_json reads it) with two proposals; `rules` overrides rule fields."""
    data: dict[str, Any] = {
        "rules": {
            "criteria": [
                {"key": "relevance", "max": D(5), "weight": D(1), "threshold": D(3)},
                {"key": "quality", "max": D(5), "weight": D(1), "threshold": D(3)},
                {"key": "impact", "max": D(5), "weight": D("1.5"), "threshold": None},
            ],
            "overall_threshold": D(10),
            "tie_break": ["relevance", "impact"],
            "budget": "42000000.00",
            "max_awards": D(30),
            "budget_policy": "skip",
            "reserve_size": D(10),
            "coverage": "strand",
        },
        "proposals": [
            {
                "id": "EC-0001",
                "requested": "1400000.00",
                "eligible": True,
                "scores": {"relevance": D("4.5"), "quality": D(4), "impact": D("3.5")},
                "strand": "Tourism",
            },
            {
                "id": "EC-0002",
                "requested": D("900000.00"),
                "eligible": True,
                "scores": {"relevance": D(4), "quality": D(4), "impact": D(4)},
                "strand": "Digital",
            },
        ],
    }
    data["rules"].update(rules)
    return data


def test_parses_the_documents_example(document_example: str) -> None:
    rules, candidates = parse_input(read_json(document_example))
    assert rules == Rules(
        criteria=(
            CriterionRule("relevance", D(5), D(1), D(3)),
            CriterionRule("quality", D(5), D(1), D(3)),
            CriterionRule("impact", D(5), D("1.5"), None),
        ),
        overall_threshold=D(10),
        tie_break=("relevance", "impact"),
        budget=D("42000000.00"),
        max_awards=30,
        budget_policy="skip",
        reserve_size=10,
        coverage="strand",
    )
    scores = {"relevance": D("4.5"), "quality": D(4), "impact": D("3.5")}
    assert candidates == [Candidate("EC-0001", D("1400000.00"), True, scores, {"strand": "Tourism"})]


def test_applies_the_documents_defaults() -> None:
    data = {"rules": {"criteria": [{"key": "q", "max": "5"}]}, "proposals": []}
    rules, candidates = parse_input(data)
    assert rules == Rules(criteria=(CriterionRule("q", D(5), D(1), None),))
    assert (rules.overall_threshold, rules.tie_break, rules.budget, rules.max_awards) == (None, (), None, None)
    assert (rules.budget_policy, rules.reserve_size, rules.coverage) == ("skip", 0, None)
    assert candidates == []


def test_numbers_may_be_json_numbers_or_decimal_strings() -> None:
    as_numbers = parse_input(
        read_json(
            '{"rules": {"criteria": [{"key": "q", "max": 5, "weight": 1.5}]},'
            '"proposals": [{"id": "A", "requested": 10.5, "eligible": true,'
            '"scores": {"q": 4.5}}]}'
        )
    )
    as_strings = parse_input(
        read_json(
            '{"rules": {"criteria": [{"key": "q", "max": "5", "weight": "1.5"}]},'
            '"proposals": [{"id": "A", "requested": "10.5", "eligible": true,'
            '"scores": {"q": "4.5"}}]}'
        )
    )
    assert as_numbers == as_strings


def test_read_json_reads_numbers_by_their_decimal_text() -> None:
    assert read_json("[0.1, 1400000.00, 3]") == [D("0.1"), D("1400000.00"), D(3)]
    assert str(read_json("1400000.00")) == "1400000.00"


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", "-Infinity"])
def test_read_json_refuses_nan_and_infinity(text: str) -> None:
    with pytest.raises(ValueError, match="is not a number"):
        read_json(text)


def test_ineligible_proposal_may_omit_its_scores() -> None:
    data = document()
    data["proposals"][1] = {"id": "EC-0002", "requested": "0", "eligible": False}
    _, candidates = parse_input(data)
    assert candidates[1] == Candidate("EC-0002", D(0), False, {}, {})


def test_free_fields_of_a_proposal_are_kept() -> None:
    _, candidates = parse_input(document())
    assert candidates[0].fields == {"strand": "Tourism"}


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change to the document: set the value at a dotted path (list indices as numbers)."""

    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return change


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        del target[last]

    return change


INPUT_ERRORS = [
    # (test id, change, proposal named, field named, words of the message)
    ("missing criterion score", _delete("proposals.1.scores.quality"), "EC-0002", "scores.quality", "missing"),
    ("unknown criterion score", _set("proposals.1.scores.novelty", D(3)), "EC-0002", "scores.novelty", "unknown"),
    ("score above max", _set("proposals.1.scores.impact", D("5.5")), "EC-0002", "scores.impact", "out of range"),
    ("negative score", _set("proposals.1.scores.impact", D("-0.5")), "EC-0002", "scores.impact", "out of range"),
    (
        "score off the half steps",
        _set("proposals.0.scores.relevance", D("4.25")),
        "EC-0001",
        "scores.relevance",
        "not a multiple of 0.5",
    ),
    ("duplicate id", _set("proposals.1.id", "EC-0001"), "EC-0001", "id", "duplicate id"),
    ("negative requested", _set("proposals.0.requested", "-1.00"), "EC-0001", "requested", "negative amount"),
    ("fraction of a cent", _set("proposals.0.requested", "1.005"), "EC-0001", "requested", "fraction of a cent"),
    ("negative budget", _set("rules.budget", D(-1)), None, "rules.budget", "negative amount"),
    (
        "unknown budget_policy",
        _set("rules.budget_policy", "skipp"),
        None,
        "rules.budget_policy",
        "unknown budget_policy 'skipp'",
    ),
    ("budget_policy not a string", _set("rules.budget_policy", D(1)), None, "rules.budget_policy", "expected"),
    (
        "tie-break key not a criterion",
        _set("rules.tie_break", ["relevance", "novelty"]),
        None,
        "rules.tie_break[1]",
        "'novelty' is not a criterion",
    ),
    ("tie_break not a list", _set("rules.tie_break", "relevance"), None, "rules.tie_break", "expected a list"),
    ("malformed number", _set("proposals.1.requested", "1,400,000.00"), "EC-0002", "requested", "malformed number"),
    ("NaN string", _set("proposals.1.scores.impact", "NaN"), "EC-0002", "scores.impact", "malformed number"),
    ("number with too many digits", _set("rules.budget", "1." + "0" * 40), None, "rules.budget", "malformed number"),
    (
        "number below 1e-20",
        _set("rules.criteria.0.weight", D("1e-21")),
        None,
        "rules.criteria[0].weight",
        "malformed number",
    ),
    (
        "number beyond 1e20",
        _set("rules.overall_threshold", D("1e21")),
        None,
        "rules.overall_threshold",
        "malformed number",
    ),
    ("boolean for a number", _set("proposals.0.requested", True), "EC-0001", "requested", "got true"),
    ("list for a score", _set("proposals.0.scores.quality", [D(4)]), "EC-0001", "scores.quality", "got a list"),
    ("float for a score", _set("proposals.0.scores.quality", 4.0), "EC-0001", "scores.quality", "float"),
    ("null for a score", _set("proposals.0.scores.quality", None), "EC-0001", "scores.quality", "got null"),
    ("missing id", _delete("proposals.1.id"), None, "proposals[1].id", "missing required field"),
    ("id not a string", _set("proposals.1.id", D(2)), None, "proposals[1].id", "expected a non-empty string"),
    ("empty id", _set("proposals.1.id", ""), None, "proposals[1].id", "expected a non-empty string"),
    ("missing requested", _delete("proposals.1.requested"), "EC-0002", "requested", "missing required field"),
    ("missing eligible", _delete("proposals.1.eligible"), "EC-0002", "eligible", "missing required field"),
    ("eligible not a boolean", _set("proposals.1.eligible", "yes"), "EC-0002", "eligible", "expected true or false"),
    ("missing scores", _delete("proposals.1.scores"), "EC-0002", "scores", "missing required field"),
    ("scores not an object", _set("proposals.1.scores", [D(4)]), "EC-0002", "scores", "expected an object"),
    ("proposal not an object", _set("proposals.1", "EC-0002"), None, "proposals[1]", "expected an object"),
    ("proposals not a list", _set("proposals", {}), None, "proposals", "expected a list"),
    ("missing proposals", _delete("proposals"), None, "proposals", "missing required field"),
    ("missing rules", _delete("rules"), None, "rules", "missing required field"),
    ("unknown top-level field", _set("call", "X"), None, "call", "unknown field"),
    ("missing criteria", _delete("rules.criteria"), None, "rules.criteria", "missing required field"),
    ("no criteria", _set("rules.criteria", []), None, "rules.criteria", "at least one criterion"),
    ("duplicate criterion", _set("rules.criteria.2.key", "quality"), None, "rules.criteria", "duplicate criterion key"),
    ("criterion without max", _delete("rules.criteria.0.max"), None, "rules.criteria[0].max", "missing required field"),
    (
        "criterion max zero",
        _set("rules.criteria.0.max", D(0)),
        None,
        "rules.criteria.relevance.max",
        "max must be above 0",
    ),
    (
        "negative weight",
        _set("rules.criteria.0.weight", D(-1)),
        None,
        "rules.criteria.relevance.weight",
        "must not be negative",
    ),
    ("null weight", _set("rules.criteria.0.weight", None), None, "rules.criteria[0].weight", "got null"),
    (
        "unknown criterion field",
        _set("rules.criteria.0.minimum", D(1)),
        None,
        "rules.criteria[0].minimum",
        "unknown field",
    ),
    ("unknown rules field", _set("rules.budjet", "1.00"), None, "rules.budjet", "unknown field"),
    ("max_awards not whole", _set("rules.max_awards", D("2.5")), None, "rules.max_awards", "whole number"),
    ("negative reserve_size", _set("rules.reserve_size", D(-1)), None, "rules.reserve_size", "whole number"),
    ("null reserve_size", _set("rules.reserve_size", None), None, "rules.reserve_size", "got null"),
    ("coverage not a field name", _set("rules.coverage", D(1)), None, "rules.coverage", "field name"),
]


@pytest.mark.parametrize(
    ("change", "proposal_id", "field", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in INPUT_ERRORS],
)
def test_refuses_invalid_input_naming_the_proposal_and_the_field(
    change: Callable[[dict[str, Any]], None], proposal_id: str | None, field: str, words: str
) -> None:
    data = document()
    change(data)
    with pytest.raises(InvalidInput) as caught:
        parse_input(data)
    assert (caught.value.proposal_id, caught.value.field) == (proposal_id, field)
    assert words in str(caught.value)
    assert f"field {field!r}" in str(caught.value)
    if proposal_id is not None:
        assert str(caught.value).startswith(f"proposal {proposal_id!r}, field {field!r}: ")


def test_input_errors_are_scoring_errors() -> None:
    assert issubclass(InvalidInput, ScoringError)


def test_parse_input_refuses_a_document_that_is_not_an_object() -> None:
    with pytest.raises(InvalidInput, match="expected an object, got a list"):
        parse_input([])


def test_parse_input_does_not_change_its_argument() -> None:
    data = document()
    before = copy.deepcopy(data)
    parse_input(data)
    assert data == before


# The output document


def test_output_has_the_documents_keys_and_formats() -> None:
    result = selection_to_dict(select(*parse_input(document())))
    assert result == {
        "selected": ["EC-0002", "EC-0001"],
        "reserve": [],
        "remaining_budget": "39700000.00",
        "ties": [],
        "proposals": [
            {
                "id": "EC-0002",
                "status": "selected",
                "rank": 1,
                "total": "14",
                "reason": "rank 1; selected by coverage rule for strand 'Digital'; 41,100,000.00 left after it",
                "reserve_position": None,
                "decided_by": "total",
                "selected_by": "coverage",
                "failed": [],
                "step": 1,
                "budget_left": "41100000.00",
                "reason_code": "coverage",
                "weighted_total": "14",
                "score_sum": "12",
            },
            {
                "id": "EC-0001",
                "status": "selected",
                "rank": 2,
                "total": "13.75",
                "reason": "rank 2; selected by coverage rule for strand 'Tourism'; 39,700,000.00 left after it",
                "reserve_position": None,
                "decided_by": "total",
                "selected_by": "coverage",
                "failed": [],
                "step": 2,
                "budget_left": "39700000.00",
                "reason_code": "coverage",
                "weighted_total": "13.75",
                "score_sum": "12",
            },
        ],
    }


@pytest.mark.parametrize(
    ("weight", "total"), [("1", "12"), ("1.0", "12"), ("1.50", "13.75"), ("2.25", "16.375"), ("0", "8.5")]
)
def test_total_is_written_without_trailing_zeros(weight: str, total: str) -> None:
    data = document()
    data["rules"]["criteria"][2]["weight"] = weight
    proposals = selection_to_dict(select(*parse_input(data)))["proposals"]
    assert {item["id"]: item["total"] for item in proposals}["EC-0001"] == total


@pytest.mark.parametrize(("budget", "remaining"), [("42000000", "39700000.00"), ("2300000.00", "0.00"), (None, None)])
def test_remaining_budget_is_written_with_two_places_or_null(budget: str | None, remaining: str | None) -> None:
    assert selection_to_dict(select(*parse_input(document(budget=budget))))["remaining_budget"] == remaining


def test_below_threshold_proposal_is_written_with_its_failed_thresholds() -> None:
    data = document()
    data["proposals"][1]["scores"] = {"relevance": D("2.5"), "quality": D(4), "impact": D(3)}
    written = selection_to_dict(select(*parse_input(data)))["proposals"][1]
    assert written["status"] == "below_threshold"
    assert (written["rank"], written["total"]) == (None, None)
    assert written["reason"] == "below threshold: relevance 2.5 < 3; overall 9.5 < 10"
    assert written["failed"] == [
        {"criterion": "relevance", "score": "2.5", "threshold": "3"},
        {"criterion": None, "score": "9.5", "threshold": "10"},
    ]


# Snapshots


def test_a_snapshot_re_runs_byte_identically() -> None:
    data = document()
    data["proposals"][0]["portfolio"] = {"partners": [D("3"), "FR"], "budget_share": D("0.50")}
    rules, candidates = parse_input(data)
    snapshot = canonical_json(input_to_dict(rules, candidates))
    again = parse_input(read_json(snapshot))
    assert canonical_json(input_to_dict(*again)) == snapshot
    assert canonical_json(selection_to_dict(select(*again))) == canonical_json(
        selection_to_dict(select(rules, candidates))
    )


def test_canonical_json_sorts_keys_without_spaces_and_writes_decimals_as_text() -> None:
    assert canonical_json({"b": D("1.50"), "a": [None, True]}) == '{"a":[null,true],"b":"1.50"}'


def test_canonical_json_refuses_what_json_cannot_hold() -> None:
    with pytest.raises(TypeError, match="set is not JSON serialisable"):
        canonical_json({"a": {1}})


def test_snapshot_keeps_every_rule_explicit() -> None:
    rules, _ = parse_input({"rules": {"criteria": [{"key": "q", "max": 5}]}, "proposals": []})
    assert json.loads(canonical_json(input_to_dict(rules, []))) == {
        "rules": {
            "criteria": [{"key": "q", "max": "5", "weight": "1", "threshold": None}],
            "overall_threshold": None,
            "tie_break": [],
            "budget": None,
            "max_awards": None,
            "budget_policy": "skip",
            "reserve_size": 0,
            "coverage": None,
        },
        "proposals": [],
    }
