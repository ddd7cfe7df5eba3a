"""Selection by assessment (calls for expression of interest): places in the order of the officer's assessment."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scoring import (
    Assessed,
    AssessmentRules,
    InvalidInput,
    assess_document,
    assessment_to_dict,
    describe_assessment,
    read_json,
    read_output,
    select_by_assessment,
    selection_to_dict,
)

ROOT = Path(__file__).resolve().parents[2]


def suitable(pid: str, fit: int = 3, at: str = "2022-03-01T10:00:00Z") -> Assessed:
    return Assessed(pid, True, "suitable", fit, at)


def statuses(selection):  # noqa: ANN001, ANN201
    return {outcome.id: outcome.status for outcome in selection.proposals}


@pytest.mark.parametrize("count", [2, 3, 4])
def test_gives_the_places_then_the_reserve_list_at_the_boundary(count: int) -> None:
    proposals = [suitable(f"KR-{i}", fit=5 - i) for i in range(count)]
    selection = select_by_assessment(AssessmentRules(max_awards=3, reserve_size=1), proposals)
    assert selection.selected == tuple(f"KR-{i}" for i in range(min(count, 3)))
    assert selection.reserve == (("KR-3",) if count == 4 else ())
    assert selection.remaining_budget is None
    assert selection.ties == ()


def test_exactly_as_many_suitable_proposals_as_places_are_all_selected() -> None:
    selection = select_by_assessment(AssessmentRules(max_awards=2, reserve_size=5),
                                     [suitable("A", 2), suitable("B", 4)])
    assert selection.selected == ("B", "A")
    assert selection.reserve == ()


def test_beyond_the_places_and_the_reserve_list_is_not_selected_with_the_reason() -> None:
    proposals = [suitable(f"P{i}", fit=5 - i) for i in range(4)]
    selection = select_by_assessment(AssessmentRules(max_awards=1, reserve_size=2), proposals)
    outcome = selection.proposals[3]
    assert (outcome.id, outcome.status, outcome.reason_code) == ("P3", "not_funded", "award_cap")
    assert outcome.reason == "rank 4; suitable, fit 2, beyond the 1 places and the reserve list: not selected"
    assert selection.proposals[1].reason == "rank 2; suitable, fit 4, beyond the 1 places: reserve position 1"
    assert selection.proposals[1].reserve_position == 1


def test_equal_fit_scores_are_ordered_by_submission_time_earliest_first() -> None:
    late, early = suitable("A", 4, "2022-03-02T09:00:00Z"), suitable("B", 4, "2022-03-01T09:00:00Z")
    selection = select_by_assessment(AssessmentRules(max_awards=1), [late, early])
    assert selection.selected == ("B",)
    assert selection.proposals[0].decided_by == "tie-break: submitted_at"
    assert statuses(selection)["A"] == "not_funded"


def test_equal_fit_and_time_are_ordered_by_id_deterministically() -> None:
    proposals = [suitable("B", 4), suitable("A", 4)]
    first = select_by_assessment(AssessmentRules(max_awards=1), proposals)
    again = select_by_assessment(AssessmentRules(max_awards=1), list(reversed(proposals)))
    assert first == again
    assert first.selected == ("A",)
    assert first.proposals[0].decided_by == "id (residual tie)"


def test_zero_suitable_proposals_select_nobody() -> None:
    proposals = [Assessed("A", True, "not_suitable", 1), Assessed("B", False)]
    selection = select_by_assessment(AssessmentRules(max_awards=20, reserve_size=5), proposals)
    assert selection.selected == ()
    assert selection.reserve == ()
    assert statuses(selection) == {"A": "below_threshold", "B": "ineligible"}
    assert selection.proposals[0].reason == "assessed not suitable for the mission"
    assert selection.proposals[0].reason_code == "not_suitable"


def test_an_ineligible_proposal_assessed_suitable_takes_no_place() -> None:
    proposals = [Assessed("A", False, "suitable", 5), suitable("B", 1)]
    selection = select_by_assessment(AssessmentRules(max_awards=1), proposals)
    assert selection.selected == ("B",)
    assert statuses(selection)["A"] == "ineligible"


def test_without_a_limit_every_suitable_proposal_is_selected() -> None:
    selection = select_by_assessment(AssessmentRules(), [suitable("A"), suitable("B", 1)])
    assert selection.selected == ("A", "B")


@pytest.mark.parametrize(("proposal", "field"), [
    ({"id": "A", "eligible": True, "fit": 3}, "verdict"),
    ({"id": "A", "eligible": True, "verdict": "suitable"}, "fit"),
    ({"id": "A", "eligible": True, "verdict": "maybe", "fit": 3}, "verdict"),
    ({"id": "A", "eligible": True, "verdict": "suitable", "fit": 6}, "fit"),
    ({"id": "A", "eligible": True, "verdict": "suitable", "fit": 0}, "fit"),
    ({"id": "A", "eligible": "yes"}, "eligible"),
])
def test_refuses_an_eligible_proposal_without_a_valid_assessment(proposal: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        assess_document({"kind": "assessment", "rules": {"max_awards": 1}, "proposals": [proposal]})
    assert (caught.value.proposal_id, caught.value.field) == ("A", field)


def test_refuses_duplicate_ids() -> None:
    with pytest.raises(InvalidInput, match="duplicate id"):
        select_by_assessment(AssessmentRules(), [suitable("A"), suitable("A")])


def test_the_output_reads_back_with_the_documents_reader() -> None:
    rules = AssessmentRules(max_awards=1, reserve_size=1)
    document = assessment_to_dict(rules, [suitable("A", 5), suitable("B", 3), Assessed("C", False)])
    core_rules, candidates, selection = assess_document(read_json(json.dumps(document)))
    output = selection_to_dict(selection)
    assert read_output(output, core_rules, candidates) == selection
    assert output["remaining_budget"] is None


def test_the_command_line_selects_an_assessment_document(tmp_path: Path) -> None:
    document = assessment_to_dict(AssessmentRules(max_awards=1, reserve_size=1),
                                  [suitable("A", 3), suitable("B", 5), Assessed("C", True, "not_suitable", 2)])
    path = tmp_path / "mission.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "scoring", "select", str(path)], capture_output=True, text=True,
                            cwd=ROOT, timeout=30, check=False)
    assert (result.returncode, result.stderr) == (0, "")
    output = json.loads(result.stdout)
    assert (output["selected"], output["reserve"]) == (["B"], ["A"])
    assert [item["status"] for item in output["proposals"]] == ["selected", "reserve", "below_threshold"]


def test_describes_the_places_and_the_reserve_list() -> None:
    words = describe_assessment(AssessmentRules(max_awards=20, reserve_size=5))
    assert "The first 20 suitable proposals in that order are selected" in words[3]
    assert words[4].startswith("The next 5 suitable proposals form the reserve list")
    assert describe_assessment(AssessmentRules(max_awards=20))[4].startswith("There is no reserve list")
