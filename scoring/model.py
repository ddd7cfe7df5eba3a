"""The inputs and outputs of selection, as frozen dataclasses; each input checks its own invariants."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, get_args

from .decimals import is_half_step, is_whole_cents, plain
from .errors import InvalidInput

# A selection gives the first five; a promotion from the reserve list (scoring.promotion) adds "declined".
Status = Literal["selected", "reserve", "not_funded", "below_threshold", "ineligible", "declined"]
BudgetPolicy = Literal["skip", "stop"]
# "reserve": selected by a promotion from the reserve list; "review": funded from the budget left after an upheld
# evaluation review (scoring.review).
SelectedBy = Literal["coverage", "merit", "reserve", "review"]
# Which rule decided a proposal's status, for letters and exports to read instead of parsing `reason`:
# selected by the coverage rule or in merit order within the budget ("fits"); passed over because its grant did not
# fit the budget left ("budget"), because an earlier proposal ended the walk under the stop policy ("stop_policy")
# or because max_awards were already selected ("award_cap"); not ranked ("threshold", "ineligible"). A promotion
# adds "promoted" (selected from the reserve list) and "declined" (a selected consortium that declined the grant;
# one found ineligible after selection gets "ineligible"). A review (scoring.review) adds "review": the re-evaluated
# proposal funded from the budget left or placed on the reserve list. Selection by assessment (scoring.assessment)
# adds "not_suitable": the programme officer assessed the proposal not suitable for the call's aims.
ReasonCode = Literal[
    "coverage", "fits", "budget", "stop_policy", "award_cap", "threshold", "ineligible", "promoted", "declined",
    "review", "not_suitable",
]
MissCode = Literal["budget", "stop_policy", "award_cap"]
# Every reason code the core can give, in one place for its readers (the web app words each one in its languages).
REASON_CODES: tuple[ReasonCode, ...] = get_args(ReasonCode)

BUDGET_POLICIES: tuple[BudgetPolicy, ...] = ("skip", "stop")
# Keys of a proposal that are not free fields: `Candidate.fields` holds everything else (such as the strand).
PROPOSAL_KEYS = frozenset({"id", "requested", "eligible", "scores"})


def _check_finite(value: Decimal, *, field: str, proposal_id: str | None = None) -> None:
    if not value.is_finite():
        raise InvalidInput(f"malformed number {value}", field=field, proposal_id=proposal_id)


def _check_amount(value: Decimal, *, field: str, proposal_id: str | None = None) -> None:
    _check_finite(value, field=field, proposal_id=proposal_id)
    if value < 0:
        raise InvalidInput(f"negative amount {plain(value)}", field=field, proposal_id=proposal_id)
    if not is_whole_cents(value):
        raise InvalidInput(
            f"amount {value} has a fraction of a cent (at most 2 decimal places)",
            field=field,
            proposal_id=proposal_id,
        )


def _check_count(value: int | None, *, field: str) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise InvalidInput(f"must be a whole number of at least 0, got {value!r}", field=field)


@dataclass(frozen=True, slots=True)
class CriterionRule:
    """An award criterion: scores run from 0 to `max` in steps of 0.5; `threshold` None means none."""

    key: str
    max: Decimal
    weight: Decimal = Decimal(1)
    threshold: Decimal | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not self.key:
            raise InvalidInput("a criterion key must be a non-empty string", field="rules.criteria.key")
        where = f"rules.criteria.{self.key}"
        _check_finite(self.max, field=f"{where}.max")
        if self.max <= 0:
            raise InvalidInput(f"max must be above 0, got {plain(self.max)}", field=f"{where}.max")
        _check_finite(self.weight, field=f"{where}.weight")
        if self.weight < 0:
            raise InvalidInput(f"weight must not be negative, got {plain(self.weight)}", field=f"{where}.weight")
        if self.threshold is not None:
            _check_finite(self.threshold, field=f"{where}.threshold")


@dataclass(frozen=True, slots=True)
class Rules:
    """The selection settings of a call; `None` for a threshold, budget or cap means there is none."""

    criteria: tuple[CriterionRule, ...]
    overall_threshold: Decimal | None = None
    tie_break: tuple[str, ...] = ()
    budget: Decimal | None = None
    max_awards: int | None = None
    budget_policy: BudgetPolicy = "skip"
    reserve_size: int = 0
    coverage: str | None = None

    def __post_init__(self) -> None:
        # Accept any sequence but keep tuples, so a Rules value cannot change after it was checked.
        object.__setattr__(self, "criteria", tuple(self.criteria))
        object.__setattr__(self, "tie_break", tuple(self.tie_break))
        if not self.criteria:
            raise InvalidInput("a call needs at least one criterion", field="rules.criteria")
        keys: set[str] = set()
        for criterion in self.criteria:
            if criterion.key in keys:
                raise InvalidInput(f"duplicate criterion key {criterion.key!r}", field="rules.criteria")
            keys.add(criterion.key)
        if self.overall_threshold is not None:
            _check_finite(self.overall_threshold, field="rules.overall_threshold")
        for index, key in enumerate(self.tie_break):
            if key not in keys:
                raise InvalidInput(
                    f"tie-break key {key!r} is not a criterion (criteria: {', '.join(sorted(keys))})",
                    field=f"rules.tie_break[{index}]",
                )
        if self.budget is not None:
            _check_amount(self.budget, field="rules.budget")
        _check_count(self.max_awards, field="rules.max_awards")
        if self.budget_policy not in BUDGET_POLICIES:
            raise InvalidInput(
                f"unknown budget_policy {self.budget_policy!r} (expected 'skip' or 'stop')",
                field="rules.budget_policy",
            )
        _check_count(self.reserve_size, field="rules.reserve_size")
        if self.coverage is not None and (not isinstance(self.coverage, str) or not self.coverage):
            raise InvalidInput("coverage must name a proposal field, or be null", field="rules.coverage")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A proposal as selection sees it; `fields` holds its other fields (such as the coverage field)."""

    id: str
    requested: Decimal
    eligible: bool
    scores: Mapping[str, Decimal] = field(default_factory=dict)
    fields: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise InvalidInput("a proposal id must be a non-empty string", field="id")
        _check_amount(self.requested, field="requested", proposal_id=self.id)
        if not isinstance(self.eligible, bool):
            raise InvalidInput("eligible must be true or false", field="eligible", proposal_id=self.id)
        if self.fields and not PROPOSAL_KEYS.isdisjoint(self.fields):
            clashing = PROPOSAL_KEYS & self.fields.keys()
            raise InvalidInput(
                "a free field may not be called id, requested, eligible or scores",
                field=min(clashing),
                proposal_id=self.id,
            )


def check_candidates(rules: Rules, candidates: Sequence[Candidate]) -> None:
    """Check what proposals owe the call's rules: unique ids and, when eligible, a valid score per criterion.

    Scores of an ineligible proposal are optional, but the ones given must be valid too.
    """
    maxima = {criterion.key: criterion.max for criterion in rules.criteria}
    # Fast path: thousands of proposals share a few hundred half-point score sets, so each distinct set is
    # checked once; only a failing input is walked proposal by proposal, to name the first one at fault.
    try:
        unique_ids = len({candidate.id for candidate in candidates}) == len(candidates)
        signatures = {(candidate.eligible, tuple(candidate.scores.items())) for candidate in candidates}
    except TypeError:  # an unhashable score, or a signalling NaN
        unique_ids, signatures = False, set()
    if unique_ids and not any(_score_problem(eligible, dict(items), maxima) for eligible, items in signatures):
        return
    seen: set[str] = set()
    for candidate in candidates:
        if candidate.id in seen:
            raise InvalidInput("duplicate id", field="id", proposal_id=candidate.id)
        seen.add(candidate.id)
        problem = _score_problem(candidate.eligible, candidate.scores, maxima)
        if problem is not None:
            field, detail = problem
            raise InvalidInput(detail, field=field, proposal_id=candidate.id)


def _score_problem(
    eligible: bool, scores: Mapping[str, Decimal], maxima: Mapping[str, Decimal]
) -> tuple[str, str] | None:
    """The first thing wrong with a proposal's scores, as (field, detail), or None."""
    if eligible:
        for key in maxima:
            if key not in scores:
                return f"scores.{key}", "missing criterion score (an eligible proposal needs one per criterion)"
    for key, score in scores.items():
        maximum = maxima.get(key)
        if maximum is None:
            return f"scores.{key}", f"unknown criterion (criteria: {', '.join(maxima)})"
        if not isinstance(score, Decimal) or not score.is_finite():
            return f"scores.{key}", f"score {score!r} is not a finite Decimal"
        if score < 0 or score > maximum:
            return f"scores.{key}", f"score {plain(score)} is out of range 0 to {plain(maximum)}"
        if not is_half_step(score):
            return f"scores.{key}", f"score {plain(score)} is not a multiple of 0.5"
    return None


@dataclass(frozen=True, slots=True)
class ThresholdFailure:
    """One threshold a proposal failed; `criterion` None is the overall (unweighted sum) threshold."""

    criterion: str | None
    score: Decimal
    threshold: Decimal


@dataclass(frozen=True, slots=True)
class ProposalOutcome:
    """What selection decided for one proposal, and why (`reason` is a sentence for the letter).

    `decided_by` says what placed a ranked proposal against its neighbours: "total", "tie-break: <key>" or
    "id (residual tie)". `selected_by` is "coverage" or "merit" for selected proposals ("reserve" after a
    promotion). `reason_code` names the rule that decided its status (see ReasonCode).

    `step` is the ranked proposal's place in the order in which selection decides (1-based): the coverage rule's
    picks first, in the order of rule 5, then every other ranked proposal in merit order (rule 6), including those
    the walk no longer funds once the cap is reached or the walk stopped. `budget_left` is the budget left after that
    step: lower than the step before when the proposal is selected, the same otherwise. Both are None for
    proposals that are not ranked, and `budget_left` is None without a budget.

    `weighted_total` (rule 3's sum of weight x score) and `score_sum` (the unweighted sum that rule 2 holds against
    the overall threshold) are given for every proposal that was scored, ranked or not: the Evaluation Summary of a
    proposal below threshold shows them too. Both are None for an ineligible proposal, which is not scored. `total`
    stays the ranking total: None for every proposal that is not ranked.
    """

    id: str
    status: Status
    rank: int | None
    total: Decimal | None
    reason: str
    reserve_position: int | None = None
    decided_by: str | None = None
    selected_by: SelectedBy | None = None
    failed_thresholds: tuple[ThresholdFailure, ...] = ()
    step: int | None = None
    budget_left: Decimal | None = None
    reason_code: ReasonCode | None = None
    weighted_total: Decimal | None = None
    score_sum: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Selection:
    """The result of a selection: ids in merit and reserve order, and one outcome per input proposal."""

    selected: tuple[str, ...]
    reserve: tuple[str, ...]
    remaining_budget: Decimal | None
    ties: tuple[tuple[str, ...], ...]
    proposals: tuple[ProposalOutcome, ...]
