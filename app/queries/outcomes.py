"""What the scoring core decided, read back by proposal reference: the one reader of a run's (or a preview's)
outcomes, for the ranking page, the run pages, the exports, the charts, the letters and the API.

Everything a page or a letter shows about a decision is a field of the core's output, read here and never worked
out again: the weighted total (or none: not ranked) and the unweighted sum, the thresholds missed, the rank, the
status, the reason, the step that decided it and the budget left after that step, the reason code. The run's rules
come back as the core's typed `Rules` (the budget, the award cap, the weights and thresholds), read once.

Runs stored by an earlier version of the core lack the fields it added since (`scoring.ADDED_FIELDS`). They verify
as they are, and their readers get those fields from a re-run of their stored input when the re-run reproduces every
stored field; otherwise the stored output as it is, whose order of the decisions is then unknown (None).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from app.enums import Decision
from app.languages import N_
from app.models import SelectionRun
from app.services.errors import InvalidInput
from scoring import (
    ADDED_FIELDS,
    DECISION_FIELDS,
    Candidate,
    ProposalOutcome,
    Rules,
    ScoringError,
    Selection,
    ThresholdFailure,
    assess_document,
    assessment_to_dict,
    assessment_view,
    canonical_json,
    input_to_dict,
    is_assessment_document,
    parse_assessment,
    parse_input,
    parse_promotion,
    parse_review,
    promote_document,
    read_json,
    read_output,
    review_document_run,
    select_document,
    selection_to_dict,
)
from scoring import InvalidInput as ScoringInvalidInput

# The decision a finalised run gives each status of its output.
DECISIONS = {
    "selected": Decision.SELECTED,
    "reserve": Decision.RESERVE,
    "not_funded": Decision.REJECTED,
    "below_threshold": Decision.REJECTED,
    "ineligible": Decision.INELIGIBLE,
    "declined": Decision.DECLINED,
}
STATUS_LABELS = {
    "selected": N_("Selected"), "reserve": N_("Reserve"), "not_funded": N_("Not funded"),
    "below_threshold": N_("Below threshold"), "ineligible": N_("Ineligible"), "declined": N_("Declined"),
    "not_ready": N_("Not ready"),
}
# The rule that decided a status, as the ranking and its exports name it beside the status (the core's reason
# codes). Empty where the status alone says it.
REASON_LABELS = {
    "coverage": N_("coverage rule"), "fits": "", "budget": N_("budget"), "stop_policy": N_("stop policy"),
    "award_cap": N_("award cap"), "threshold": "", "ineligible": "", "promoted": N_("promoted"), "declined": "",
    "review": N_("evaluation review"),
    "not_suitable": N_("assessed not suitable"),
}
# How the core words a residual tie (scoring.reasons.residual_tie_text), to word it again once an officer ordered it.
_RESIDUAL_TIE_TEXT = re.compile(
    r"\(residual tie of (\d+) proposals on (.*?), ordered by id for the officer to resolve\)"
)
_INPUT_FIELDS = frozenset({"reference", "tie_resolution"})  # the web app's own fields of a proposal's input


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Outcome:
    """One proposal of a run's output, by reference: what the core decided (its `ProposalOutcome`, with the reason
    as the officer and the letter read it) and what it decided on (the proposal's input)."""

    reference: str
    status: str
    rank: int | None = None
    total: Decimal | None = None
    reason: str = ""
    reserve_position: int | None = None
    decided_by: str | None = None
    selected_by: str | None = None
    failed: tuple[ThresholdFailure, ...] = ()
    # The order of the decisions (None in an output that predates these fields and cannot be re-run): the step that
    # decided the proposal, the budget left after that step, the rule that decided it.
    step: int | None = None
    budget_left: Decimal | None = None
    reason_code: str | None = None
    weighted_total: Decimal | None = None
    score_sum: Decimal | None = None
    requested: Decimal | None = None
    eligible: bool = True
    scores: Mapping[str, Decimal] = field(default_factory=dict)
    fields: Mapping[str, object] = field(default_factory=dict)
    tie_resolution: int | None = None

    @classmethod
    def decided(cls, decided: ProposalOutcome, candidate: Candidate) -> Outcome:
        """The core's outcome of `candidate`, by its reference (the id of a resolved tie maps back to it)."""
        resolution = candidate.fields.get("tie_resolution")
        reason = decided.reason if resolution is None else _officer_order_reason(decided.reason, int(str(resolution)))
        return cls(
            reference=str(candidate.fields.get("reference", candidate.id)), status=decided.status, rank=decided.rank,
            total=decided.total, reason=reason, reserve_position=decided.reserve_position,
            decided_by=decided.decided_by, selected_by=decided.selected_by, failed=decided.failed_thresholds,
            step=decided.step, budget_left=decided.budget_left, reason_code=decided.reason_code,
            weighted_total=decided.weighted_total, score_sum=decided.score_sum, requested=candidate.requested,
            eligible=candidate.eligible, scores=candidate.scores,
            fields={key: value for key, value in candidate.fields.items() if key not in _INPUT_FIELDS},
            tie_resolution=None if resolution is None else int(str(resolution)),
        )

    @classmethod
    def screened_out(cls, reference: str) -> Outcome:
        """A proposal excluded at the eligibility screening that the run did not score (it still gets a letter)."""
        return cls(reference, "ineligible", reason="excluded at the eligibility screening", eligible=False)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def decision(self) -> Decision:
        return DECISIONS[self.status]

    @property
    def failed_criteria(self) -> frozenset[str]:
        """The criteria whose threshold the proposal missed (the overall threshold is not a criterion)."""
        return frozenset(failure.criterion for failure in self.failed if failure.criterion is not None)


def _officer_order_reason(reason: str, resolution_id: int) -> str:
    """The core's reason of a proposal in a tie the officer ordered, reworded: the id order the core reports is the
    officer's (app.queries.selection)."""
    worded, found = _RESIDUAL_TIE_TEXT.subn(
        lambda m: f"(tie of {m.group(1)} proposals on {m.group(2)}, in the order set by the programme officer, "
                  f"tie resolution {resolution_id})", reason, count=1)
    return worded if found else f"{reason} (order set by the programme officer, tie resolution {resolution_id})"


@dataclass(frozen=True)
class TieGroup:
    references: list[str]
    total: Decimal | None
    resolution_id: int | None = None

    @property
    def is_resolved(self) -> bool:
        return self.resolution_id is not None


@dataclass(frozen=True)
class RunOutcomes:
    """A run's (or a preview's) output read back: the rules it ran with, the outcomes in output order, the ties."""

    rules: Rules
    outcomes: tuple[Outcome, ...]
    ties: tuple[TieGroup, ...]
    remaining_budget: Decimal | None

    def by_reference(self) -> dict[str, Outcome]:
        return self._by_reference

    @cached_property
    def _by_reference(self) -> dict[str, Outcome]:
        return {outcome.reference: outcome for outcome in self.outcomes}

    @property
    def unresolved_ties(self) -> list[TieGroup]:
        return [tie for tie in self.ties if not tie.is_resolved]

    @property
    def selected(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.status == "selected"]

    @property
    def reserve(self) -> list[Outcome]:
        return sorted((o for o in self.outcomes if o.status == "reserve"), key=lambda o: o.reserve_position or 0)

    @property
    def selected_total(self) -> Decimal:
        """The grants of the selected proposals."""
        return sum((outcome.requested or Decimal(0) for outcome in self.selected), Decimal("0.00"))

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("selected", "reserve", "not_funded", "below_threshold", "ineligible"), 0)
        for outcome in self.outcomes:
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        return counts

    def summary(self) -> dict[str, Any]:
        """The counts and sums a run stores beside its output (for lists of runs)."""
        return {
            **self.counts(),
            "selected_total": f"{self.selected_total:.2f}",
            "remaining_budget": None if self.remaining_budget is None else f"{self.remaining_budget:.2f}",
            "ties": len(self.ties),
            "unresolved_ties": len(self.unresolved_ties),
        }


def read_outcomes(rules: Rules, candidates: Sequence[Candidate], selection: Selection) -> RunOutcomes:
    """The core's selection (or promotion) by proposal reference, ids of resolved ties mapped back and their
    reasons reworded."""
    by_id = {candidate.id: candidate for candidate in candidates}
    outcomes = tuple(Outcome.decided(decided, by_id[decided.id]) for decided in selection.proposals)
    totals = {outcome.reference: outcome.total for outcome in outcomes}
    ties = []
    for group in selection.ties:
        references = [str(by_id[i].fields.get("reference", i)) for i in group]
        resolutions = {by_id[i].fields.get("tie_resolution") for i in group}
        resolved = int(str(next(iter(resolutions)))) if len(resolutions) == 1 and None not in resolutions else None
        ties.append(TieGroup(references, totals.get(references[0]), resolved))
    return RunOutcomes(rules, outcomes, tuple(ties), selection.remaining_budget)


def select_any(document: Mapping[str, Any]) -> tuple[Rules, list[Candidate], Selection]:
    """Select on an input document of either kind, as `python -m scoring select` does: a scored call's
    (`scoring.select_document`) or, for a call for expression of interest, an assessment document
    (`scoring.assess_document`, read back through the same `Rules` and `Candidate` values)."""
    if is_assessment_document(document):
        return assess_document(document)
    return select_document(document)


def _canonical_input(document: Mapping[str, Any], rules: Rules, candidates: Sequence[Candidate]) -> str:
    if is_assessment_document(document):
        return canonical_json(assessment_to_dict(*parse_assessment(document)))
    return canonical_json(input_to_dict(rules, candidates))


def _scored(document: Mapping[str, Any]) -> tuple[Rules, list[Candidate], dict[str, Any], RunOutcomes]:
    try:
        rules, candidates, selection = select_any(document)
    except ScoringInvalidInput as error:
        raise InvalidInput(N_("The selection input is invalid: %(problem)s"), problem=str(error),
                           details={"proposal": error.proposal_id, "field": error.field}) from error
    output = selection_to_dict(selection)
    # Read back from the output document, as a stored run is: a page shows the figures as the output writes them.
    return rules, candidates, output, read_outcomes(rules, candidates, read_output(output, rules, candidates))


def score_document(document: Mapping[str, Any]) -> tuple[str, str, RunOutcomes]:
    """Score an input document: (canonical input JSON, canonical output JSON, the outcomes). The web app, the
    re-run check and `python -m scoring select` all run `scoring.select_document` (or, for an assessment document,
    `scoring.assess_document`) on the same document."""
    rules, candidates, output, outcomes = _scored(document)
    return _canonical_input(document, rules, candidates), canonical_json(output), outcomes


def preview_outcomes(document: Mapping[str, Any]) -> RunOutcomes:
    """The outcomes of an input document, exactly as `score_document` reads them, without writing the canonical
    JSON a stored run keeps: a live preview stores nothing, and at 5,000 proposals that JSON costs a tenth of a
    second of the ranking page."""
    return _scored(document)[3]


def documents_outcomes(input_document: Mapping[str, Any], output_document: Mapping[str, Any]) -> RunOutcomes:
    """The outcomes of a stored input (a selection's, a promotion's or a review's) and its output document."""
    if input_document.get("kind") == "promotion":
        promotion = parse_promotion(input_document)
        rules, candidates = promotion.rules, list(promotion.candidates)
    elif input_document.get("kind") == "review":
        review = parse_review(input_document)
        rules, candidates = review.rules, list(review.candidates)
    elif is_assessment_document(input_document):
        rules, candidates = assessment_view(*parse_assessment(input_document))
    else:
        rules, candidates = parse_input(input_document)
    return read_outcomes(rules, candidates, read_output(output_document, rules, candidates))


def run_outcomes(run: SelectionRun) -> RunOutcomes:
    """The stored output of a run, read back (for a run stored before some fields existed, see `decided_output`)."""
    return documents_outcomes(read_json(run.input_json), decided_output(run))


# ---------------------------------------------------------------------------------------------- re-running


def rerun(run: SelectionRun) -> str:
    """Re-run a stored run from its stored input alone; returns the canonical output JSON."""
    document = read_json(run.input_json)
    if document.get("kind") == "promotion":
        return canonical_json(selection_to_dict(promote_document(document)))
    if document.get("kind") == "review":
        return canonical_json(selection_to_dict(review_document_run(document)))
    return canonical_json(selection_to_dict(select_any(document)[2]))


def missing_fields(output: Mapping[str, Any]) -> tuple[str, ...]:
    """The fields the core added to each proposal's output since this output was stored: those no proposal has."""
    present: set[str] = set()
    for item in output["proposals"]:
        present.update(item)
    return tuple(name for name in ADDED_FIELDS if name not in present)


def predates_decision_fields(output: Mapping[str, Any]) -> bool:
    """True for an output stored before the core reported step, budget left and reason code."""
    return set(DECISION_FIELDS) <= set(missing_fields(output))


def _without(output: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    return {**output, "proposals": [{key: value for key, value in item.items() if key not in names}
                                    for item in output["proposals"]]}


def decided_output(run: SelectionRun) -> dict[str, Any]:
    """The run's stored output; for a run stored before the core added some fields, the re-run of its stored input,
    which carries them, provided it reproduces every stored field exactly (otherwise the stored output as it is:
    its readers then show no step, budget left or reason code rather than guess them)."""
    output: dict[str, Any] = json.loads(run.output_json)
    missing = missing_fields(output)
    if not missing:
        return output
    try:
        again: dict[str, Any] = json.loads(rerun(run))
    except (ScoringError, LookupError, TypeError, ValueError):  # an input that cannot be re-run
        return output
    return again if _without(again, missing) == output else output


def verify_run(run: SelectionRun) -> bool:
    """True when the stored hashes match and re-running the stored input gives byte-identical output — for a run
    stored before the core added some fields, once those are left out."""
    if sha256_text(run.input_json) != run.input_sha256 or sha256_text(run.output_json) != run.output_sha256:
        return False
    again = rerun(run)
    if again == run.output_json:
        return True
    missing = missing_fields(json.loads(run.output_json))
    return bool(missing) and canonical_json(_without(json.loads(again), missing)) == run.output_json
