"""Every reason the scoring core can give, said again in French and in German from its code and figures
(app/manage/ranking_table.py), with no English left: the core words its reasons in English, as data kept in the runs
and the exports, and the officers' pages word them in the reader's language.

The outcomes come from the core itself (selection, promotion, an evaluation review, an assessment), so a code the
core starts to give without a wording here fails, and so does one of its codes that no scenario exercises.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from flask import Flask

from app.manage.ranking_table import REASON_WORDINGS, REVIEW_WORDINGS, reason_text, review_reason_text
from app.queries.outcomes import Outcome
from app.queries.ranking import outcome_entry
from app.translation import in_language
from scoring import (
    REASON_CODES,
    REVIEW_CODES,
    Assessed,
    AssessmentRules,
    Candidate,
    CriterionRule,
    NewResult,
    ProposalOutcome,
    Release,
    ReviewDecision,
    Rules,
    Standing,
    apply_review,
    decide_review,
    decision_to_dict,
    promote,
    select,
    select_by_assessment,
)
from tests.i18n_support import english_left

D = Decimal
STRAND = "strand"


def _candidate(proposal_id: str, score: str, requested: str, *, strand: str = "Alpha", eligible: bool = True,
               **fields: object) -> Candidate:
    return Candidate(proposal_id, D(requested), eligible, {"quality": D(score), "impact": D(score)},
                     {STRAND: strand, **fields})


def _rules(**overrides: object) -> Rules:
    settings: dict[str, object] = {
        "criteria": (CriterionRule("quality", D(5), D(1), D(3)), CriterionRule("impact", D(5), D(1), D(3))),
        "budget": D("3000000.00"), "max_awards": 2, "reserve_size": 2, "tie_break": ("quality",),
    }
    settings.update(overrides)
    return Rules(**settings)  # type: ignore[arg-type]


# A 3-million call with 2 awards and a reserve of 2 (P1 and P2 selected, P3 and P4 on the reserve list, P5 not
# funded, LOW below threshold, OUT ineligible); ZB by the coverage rule; T1 and T2 a tie the officer ordered.
CANDIDATES = [
    _candidate("P1", "5", "1000000.00"), _candidate("P2", "4.5", "1500000.00"), _candidate("P3", "4", "900000.00"),
    _candidate("P4", "3.5", "400000.00"), _candidate("P5", "3", "100000.00"), _candidate("LOW", "2.5", "100000.00"),
    _candidate("OUT", "5", "100000.00", eligible=False), _candidate("ZB", "3.5", "200000.00", strand="Beta"),
]


def _outcomes() -> Iterator[tuple[ProposalOutcome, Candidate]]:
    """What the core decides in every way it can decide, each outcome with the candidate it decided on."""
    by_id = {candidate.id: candidate for candidate in CANDIDATES}
    scenarios = [
        select(_rules(), CANDIDATES),  # fits, budget/award cap, threshold, ineligible
        select(_rules(coverage=STRAND, max_awards=None), CANDIDATES),  # the coverage rule
        select(_rules(budget_policy="stop", max_awards=None, budget=D("2600000.00")), CANDIDATES),  # stop policy
        select(_rules(max_awards=None, budget=None), CANDIDATES),  # no budget limit
    ]
    first = scenarios[0]
    scenarios += [promote(first, CANDIDATES, Release("P1", "declined"), previous_run=1),
                  promote(first, CANDIDATES, Release("P2", "ineligible"), previous_run=1),
                  promote(scenarios[3], CANDIDATES, Release("P1", "declined"), previous_run=4)]
    # An upheld evaluation review: P5 re-evaluated at rank 2, funded from the budget left; or at rank 3, on the list.
    for rank, status in ((2, "selected"), (3, "reserve")):
        standing = Standing(funded=(("P1", D("1000000.00")), ("P2", D("1500000.00"))), reserve=("P3", "P4"),
                            budget=D("3000000.00"), max_awards=None)
        result = NewResult("P5", D("100000.00"), status, rank, D("9"), reserve_ranks={"P3": 4, "P4": 5})
        rerun = ProposalOutcome("P5", status, rank, D("9"), "re-run")
        scenarios.append(apply_review(first, rerun, decide_review(standing, result), request="P5-R1"))
    for selection in scenarios:
        for outcome in selection.proposals:
            yield outcome, by_id[outcome.id]
    # A call selected by the officer's assessment (a call for expression of interest).
    assessed = [Assessed("M1", True, "suitable", 5, "2022-03-01T10:00:00Z"),
                Assessed("M2", True, "suitable", 4, "2022-03-01T11:00:00Z"),
                Assessed("M3", True, "suitable", 3, "2022-03-01T12:00:00Z"),
                Assessed("M4", True, "not_suitable", 2, "2022-03-01T13:00:00Z"), Assessed("M5", False)]
    for outcome in select_by_assessment(AssessmentRules(max_awards=1, reserve_size=1), assessed).proposals:
        yield outcome, Candidate(outcome.id, D("0.00"), outcome.status != "ineligible")
    # A residual tie the officer ordered: the web app gives the core ids that sort in the officer's order.
    tied = [_candidate(f"tie-7-{position}:T{position}", "4", "500000.00", reference=f"T{position}", tie_resolution=7)
            for position in (1, 2)]
    for outcome in select(_rules(), tied).proposals:
        yield outcome, tied[int(outcome.id[6]) - 1]


OUTCOMES = [Outcome.decided(outcome, candidate) for outcome, candidate in _outcomes()]


def test_every_reason_code_of_the_core_has_a_wording() -> None:
    assert set(REASON_CODES) == set(REASON_WORDINGS)
    assert set(REVIEW_CODES) == set(REVIEW_WORDINGS)


def test_the_scenarios_give_every_reason_code_of_the_core() -> None:
    assert {outcome.reason_code for outcome in OUTCOMES} == set(REASON_CODES)
    assert any(outcome.tie_resolution is not None for outcome in OUTCOMES)
    assert any(outcome.reason_code == "ineligible" and outcome.step is not None for outcome in OUTCOMES)


@pytest.fixture
def speaking(app: Flask) -> Iterator[None]:
    with app.test_request_context():
        yield


@pytest.mark.usefixtures("speaking")
@pytest.mark.parametrize("language", ["fr", "de"])
@pytest.mark.parametrize("outcome", OUTCOMES, ids=lambda o: f"{o.reference}-{o.reason_code}-{o.status}")
def test_each_reason_is_said_in_the_readers_language(outcome: Outcome, language: str) -> None:
    with in_language(language):
        said = reason_text(outcome_entry(outcome, STRAND), language)
    assert said != outcome.reason
    assert english_left(said, language, user_content=["Alpha", "Beta"]) == [], said
    if outcome.rank is not None:
        assert str(outcome.rank) in said


@pytest.mark.usefixtures("speaking")
def test_an_officer_ordered_tie_says_so_in_the_readers_language() -> None:
    tied = next(outcome for outcome in OUTCOMES if outcome.tie_resolution is not None)
    with in_language("fr"):
        said = reason_text(outcome_entry(tied, STRAND), "fr")
    assert "départagé par le gestionnaire de programme, départage 7" in said


@pytest.mark.usefixtures("speaking")
def test_english_readers_get_the_cores_own_words() -> None:
    for outcome in OUTCOMES:
        assert reason_text(outcome_entry(outcome, STRAND), "en") == outcome.reason


def _review_decisions() -> list[ReviewDecision]:
    """scoring.review's decision in each of its branches."""
    def standing(*, budget: str = "3000000.00", max_awards: int | None = None) -> Standing:
        return Standing(funded=(("P1", D("1000000.00")), ("P2", D("1500000.00"))), reserve=("P3", "P4"),
                        budget=D(budget), max_awards=max_awards)

    def result(reference: str, status: str, rank: int | None, grant: str = "100000.00") -> NewResult:
        return NewResult(reference, D(grant), status, rank, None if rank is None else D("9"),  # type: ignore[arg-type]
                         reserve_ranks={"P3": 4, "P4": 5})

    return [
        decide_review(standing(), result("P5", "selected", 2)),  # fits
        decide_review(standing(), result("P5", "selected", 2, grant="900000.00")),  # budget
        decide_review(standing(max_awards=2), result("P5", "selected", 2)),  # award cap
        decide_review(standing(), result("P5", "reserve", 3)),  # reserve, first
        decide_review(standing(), result("P5", "reserve", 6)),  # reserve, after the two ranked above it
        decide_review(standing(), result("P5", "below_threshold", None)),  # threshold
        decide_review(standing(), result("P5", "not_funded", 7)),  # not funded
        decide_review(standing(), result("P1", "selected", 1)),  # no better: already funded
        decide_review(standing(), result("P3", "reserve", 6)),  # no better: keeps its reserve position
    ]


REVIEW_DECISIONS = _review_decisions()


def test_the_review_scenarios_give_every_review_code() -> None:
    assert {decision.code for decision in REVIEW_DECISIONS} == set(REVIEW_CODES)


@pytest.mark.usefixtures("speaking")
@pytest.mark.parametrize("language", ["fr", "de"])
@pytest.mark.parametrize("decision", REVIEW_DECISIONS, ids=lambda d: f"{d.id}-{d.code}")
def test_each_review_outcome_is_said_in_the_readers_language(decision: ReviewDecision, language: str) -> None:
    with in_language(language):
        # As the preview holds it, and as the request records it (amounts as strings).
        said = [review_reason_text(decision, language), review_reason_text(decision_to_dict(decision), language)]
    assert said[0] == said[1]
    assert said[0] != decision.reason
    assert english_left(said[0], language) == [], said[0]
    with in_language("en"):
        assert review_reason_text(decision, "en") == decision.reason
