"""The ranking and selection rules of selection-rules.md, one function per rule, run in order by `select`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, DecimalException, localcontext
from operator import attrgetter, itemgetter

from .decimals import EXACT, ZERO, money
from .errors import ScoringError
from .model import (
    Candidate,
    MissCode,
    ProposalOutcome,
    Rules,
    SelectedBy,
    Selection,
    ThresholdFailure,
    check_candidates,
)
from .reasons import ranked_outcome, threshold_reason

RESIDUAL_TIE = "id (residual tie)"


@dataclass(frozen=True, slots=True)
class Ranked:
    """A passing proposal in the merit order.

    `decided_by` is the deepest key needed to place it against its neighbours; `tie_group` lists the ids of
    its residual tie (itself included, by id) and is empty when it has none.
    """

    candidate: Candidate
    total: Decimal
    rank: int
    decided_by: str
    tie_group: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Award:
    """Why a ranked proposal was selected: by which rule, and the budget left after it (None: no budget)."""

    by: SelectedBy
    left_after: Decimal | None
    coverage_value: str | None = None


@dataclass(frozen=True, slots=True)
class Miss:
    """Why the merit-order walk did not select a ranked proposal: the rule (`code`), its wording and the budget
    left when the walk decided it (unchanged by it; None: no budget). Every proposal after the cap, or after a
    stop, shares one."""

    code: MissCode
    text: str
    left_after: Decimal | None


def apply_eligibility(candidates: Iterable[Candidate]) -> tuple[list[Candidate], list[Candidate]]:
    """Rule 1: a proposal marked ineligible is neither scored nor ranked. Returns (eligible, ineligible)."""
    eligible: list[Candidate] = []
    ineligible: list[Candidate] = []
    for candidate in candidates:
        (eligible if candidate.eligible else ineligible).append(candidate)
    return eligible, ineligible


def threshold_failures(rules: Rules, candidate: Candidate) -> tuple[ThresholdFailure, ...]:
    """Rule 2 for one proposal: each criterion threshold it misses, then the overall one (unweighted sum)."""
    failures: list[ThresholdFailure] = []
    unweighted = score_sum(rules, candidate)
    for criterion in rules.criteria:
        score = candidate.scores[criterion.key]
        if criterion.threshold is not None and score < criterion.threshold:
            failures.append(ThresholdFailure(criterion.key, score, criterion.threshold))
    if rules.overall_threshold is not None and unweighted < rules.overall_threshold:
        failures.append(ThresholdFailure(None, unweighted, rules.overall_threshold))
    return tuple(failures)


def apply_thresholds(
    rules: Rules, candidates: Iterable[Candidate]
) -> tuple[list[Candidate], list[tuple[Candidate, tuple[ThresholdFailure, ...]]]]:
    """Rule 2: a proposal below any criterion threshold, or whose unweighted score sum is below the overall
    threshold, is not ranked. Returns (passing, [(failing, its failures)])."""
    score_vector = _score_vector([criterion.key for criterion in rules.criteria])
    # Proposals with the same scores fail the same thresholds, and half-point scores repeat a lot: decide each
    # distinct score vector once (the failures are immutable, so sharing them is safe).
    decided: dict[tuple[Decimal, ...], tuple[ThresholdFailure, ...]] = {}
    passing: list[Candidate] = []
    failing: list[tuple[Candidate, tuple[ThresholdFailure, ...]]] = []
    for candidate in candidates:
        vector = score_vector(candidate.scores)
        failures = decided.get(vector)
        if failures is None:
            failures = decided[vector] = threshold_failures(rules, candidate)
        if failures:
            failing.append((candidate, failures))
        else:
            passing.append(candidate)
    return passing, failing


def _score_vector(keys: list[str]) -> Callable[[Mapping[str, Decimal]], tuple[Decimal, ...]]:
    """A function giving a proposal's scores in criterion order: a cheap key under which proposals with equal scores
    meet (operator.itemgetter does it in C; with one key it returns the bare score, so that case gets a tuple)."""
    if len(keys) == 1:
        (key,) = keys
        return lambda scores: (scores[key],)
    getter: Callable[[Mapping[str, Decimal]], tuple[Decimal, ...]] = itemgetter(*keys)
    return getter


def weighted_total(rules: Rules, candidate: Candidate) -> Decimal:
    """Rule 3: the ranking total is the sum of weight x score over the criteria (weights rank, not filter)."""
    with localcontext(EXACT):
        return _weighted_total(rules, candidate.scores)


def score_sum(rules: Rules, candidate: Candidate) -> Decimal:
    """The unweighted sum of a proposal's scores: what rule 2 holds against the overall threshold."""
    with localcontext(EXACT):
        return sum((candidate.scores[criterion.key] for criterion in rules.criteria), ZERO)


def _weighted_total(rules: Rules, scores: Mapping[str, Decimal]) -> Decimal:
    total = ZERO
    for criterion in rules.criteria:
        total += criterion.weight * scores[criterion.key]
    return total


def merit_order(rules: Rules, candidates: Iterable[Candidate]) -> list[Ranked]:
    """Rule 4: highest total first; equal totals by each tie-break criterion in turn (higher score first);
    proposals equal on all of these are a residual tie, ordered by id and reported for the officer."""
    tie_break = rules.tie_break
    score_vector = _score_vector([criterion.key for criterion in rules.criteria])
    # The merit key (-total, -tie-break scores...) sorts ascending into merit order. Proposals sharing a key are
    # a residual tie; half-point scores repeat a lot, so the key is computed once per distinct score vector and
    # only the distinct keys are sorted (then each group by id): O(n log n) on cheap comparisons.
    merit_of: dict[tuple[Decimal, ...], tuple[Decimal, ...]] = {}
    groups: dict[tuple[Decimal, ...], list[Candidate]] = {}
    with localcontext(EXACT):  # negation rounds to the context's precision, so keep it exact too
        for candidate in candidates:
            vector = score_vector(candidate.scores)
            merit = merit_of.get(vector)
            if merit is None:
                scores = candidate.scores
                merit = (-_weighted_total(rules, scores), *(-scores[key] for key in tie_break))
                merit_of[vector] = merit
            groups.setdefault(merit, []).append(candidate)
        ordered = sorted(groups)
        labels = ["total", *(f"tie-break: {key}" for key in tie_break)]
        order: list[Ranked] = []
        for position, merit in enumerate(ordered):
            members = sorted(groups[merit], key=_by_id)
            total = -merit[0]
            if len(members) > 1:
                decided, tie_group = RESIDUAL_TIE, tuple(member.id for member in members)
            else:
                # The deepest key that separates it from the proposal before or after it.
                above = _first_difference(ordered[position - 1], merit) if position > 0 else 0
                below = _first_difference(merit, ordered[position + 1]) if position + 1 < len(ordered) else 0
                decided, tie_group = labels[max(above, below)], ()
            for member in members:
                order.append(Ranked(member, total, len(order) + 1, decided, tie_group))
    return order


# Sort keys called once per proposal: attribute getters run in C.
_by_id: Callable[[Candidate], str] = attrgetter("id")


def _first_difference(before: tuple[Decimal, ...], after: tuple[Decimal, ...]) -> int:
    return next(position for position, (left, right) in enumerate(zip(before, after, strict=True)) if left != right)


def coverage_text(value: object) -> str:
    """How a coverage value is compared and shown: a string as is, a number by its decimal text."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    return json.dumps(value, default=str, sort_keys=True, separators=(",", ":"))


def _cap_reached(rules: Rules, selected: int) -> bool:
    return rules.max_awards is not None and selected >= rules.max_awards


def apply_coverage(
    rules: Rules, order: Sequence[Ranked], remaining: Decimal | None
) -> tuple[dict[str, Award], Decimal | None]:
    """Rule 5 (portfolio): for each value of the coverage field, taken in the order its best-ranked
    proposal appears in the merit order, select the best-ranked proposal with that value that fits the
    remaining budget, while fewer than max_awards are selected. Proposals without the field, or with null,
    take no part. Returns the awards and the budget left."""
    awards: dict[str, Award] = {}
    if rules.coverage is None:
        return awards, remaining
    groups: dict[str, list[Ranked]] = {}
    for ranked in order:
        value = ranked.candidate.fields.get(rules.coverage)
        if value is not None:
            groups.setdefault(coverage_text(value), []).append(ranked)
    with localcontext(EXACT):
        for value_text, members in groups.items():
            if _cap_reached(rules, len(awards)):
                break
            for ranked in members:
                requested = ranked.candidate.requested
                if remaining is None or requested <= remaining:
                    remaining = None if remaining is None else remaining - requested
                    awards[ranked.candidate.id] = Award("coverage", remaining, value_text)
                    break
    return awards, remaining


def fund_in_merit_order(
    rules: Rules, order: Sequence[Ranked], awards: dict[str, Award], remaining: Decimal | None
) -> tuple[dict[str, Award], dict[str, Miss], Decimal | None]:
    """Rule 6: walk the merit order over the proposals not yet selected, until max_awards are selected
    (coverage awards count). One that fits the remaining budget is selected; one that does not is passed over
    ("skip") or ends the walk ("stop"). Returns all awards, why each other passing proposal was not selected,
    and the budget left. The proposals after the cap or the stop are decided there too, the budget left unchanged."""
    awards = dict(awards)
    misses: dict[str, Miss] = {}
    cap: Miss | None = None
    stopped: Miss | None = None
    with localcontext(EXACT):
        for ranked in order:
            candidate = ranked.candidate
            if candidate.id in awards:
                continue
            if stopped is not None:
                misses[candidate.id] = stopped
            elif _cap_reached(rules, len(awards)):
                cap = cap or Miss("award_cap", f"the award cap of {rules.max_awards} was reached", remaining)
                misses[candidate.id] = cap
            elif remaining is None:
                awards[candidate.id] = Award("merit", None)
            elif candidate.requested <= remaining:
                remaining -= candidate.requested
                awards[candidate.id] = Award("merit", remaining)
            else:
                shortfall = f"requested {money(candidate.requested)} exceeds the {money(remaining)} left"
                if rules.budget_policy == "skip":
                    misses[candidate.id] = Miss("budget", f"{shortfall} (skip policy)", remaining)
                else:
                    text = f"{shortfall}; the budget walk stopped here (stop policy)"
                    misses[candidate.id] = Miss("budget", text, remaining)
                    walk_end = f"budget walk stopped at rank {ranked.rank} (stop policy)"
                    stopped = Miss("stop_policy", walk_end, remaining)
    return awards, misses, remaining


def build_reserve_list(rules: Rules, order: Sequence[Ranked], awards: dict[str, Award]) -> dict[str, int]:
    """Rule 7: the passing proposals not selected, in merit order; the first reserve_size of them form the
    reserve list (the rest are not funded). Returns each reserve proposal's position, from 1."""
    positions: dict[str, int] = {}
    for ranked in order:
        if len(positions) >= rules.reserve_size:
            break
        if ranked.candidate.id not in awards:
            positions[ranked.candidate.id] = len(positions) + 1
    return positions


def select(rules: Rules, candidates: Sequence[Candidate]) -> Selection:
    """Run rules 1 to 7 on the proposals of a call: who is selected, who is on the reserve list, and why."""
    try:
        check_candidates(rules, candidates)
        return _select(rules, candidates)
    except DecimalException as error:  # only numbers far beyond what parse_input accepts get here
        raise _inexact(error) from error


def select_checked(rules: Rules, candidates: Sequence[Candidate]) -> Selection:
    """`select` for proposals that `check_candidates` has accepted already (`parse_input` checks them), so that
    reading a document and selecting checks each proposal once."""
    try:
        return _select(rules, candidates)
    except DecimalException as error:
        raise _inexact(error) from error


def _inexact(error: DecimalException) -> ScoringError:
    return ScoringError(f"numbers too large or too precise to compute exactly: {error!r}")


def _select(rules: Rules, candidates: Sequence[Candidate]) -> Selection:
    eligible, ineligible = apply_eligibility(candidates)
    passing, failing = apply_thresholds(rules, eligible)
    order = merit_order(rules, passing)
    awards, remaining = apply_coverage(rules, order, rules.budget)
    awards, misses, remaining = fund_in_merit_order(rules, order, awards, remaining)
    reserve = build_reserve_list(rules, order, awards)
    sums = _sums(rules)

    # The order of the decisions: the coverage picks (the first awards, in the order rule 5 made them), then every
    # other ranked proposal in merit order, as rule 6 walks it.
    picks = [proposal_id for proposal_id, award in awards.items() if award.by == "coverage"]
    steps = {proposal_id: position for position, proposal_id in enumerate(picks, start=1)}
    step = len(picks)
    outcomes = []
    for ranked in order:
        proposal_step = steps.get(ranked.candidate.id)
        if proposal_step is None:
            step += 1
            proposal_step = step
        outcomes.append(ranked_outcome(rules, ranked, proposal_step, awards, misses, reserve, sums(ranked.candidate)))
    # Proposals with equal scores share one failures tuple (apply_thresholds): word each distinct one once.
    worded: dict[int, str] = {}
    for candidate, failures in sorted(failing, key=lambda pair: pair[0].id):
        reason = worded.get(id(failures))
        if reason is None:
            reason = worded[id(failures)] = threshold_reason(failures)
        weighted, unweighted = sums(candidate)
        outcomes.append(
            ProposalOutcome(
                candidate.id,
                "below_threshold",
                None,
                None,
                reason,
                failed_thresholds=failures,
                reason_code="threshold",
                weighted_total=weighted,
                score_sum=unweighted,
            )
        )
    outcomes.extend(
        ProposalOutcome(candidate.id, "ineligible", None, None, "ineligible", reason_code="ineligible")
        for candidate in sorted(ineligible, key=_by_id)
    )
    return Selection(
        selected=tuple(ranked.candidate.id for ranked in order if ranked.candidate.id in awards),
        reserve=tuple(reserve),
        remaining_budget=remaining,
        ties=tuple(ranked.tie_group for ranked in order if ranked.tie_group[:1] == (ranked.candidate.id,)),
        proposals=tuple(outcomes),
    )


def _sums(rules: Rules) -> Callable[[Candidate], tuple[Decimal, Decimal]]:
    """A function giving a scored proposal's (weighted total, unweighted sum), computed once per distinct score
    vector (half-point scores repeat a lot)."""
    score_vector = _score_vector([criterion.key for criterion in rules.criteria])
    known: dict[tuple[Decimal, ...], tuple[Decimal, Decimal]] = {}

    def sums(candidate: Candidate) -> tuple[Decimal, Decimal]:
        vector = score_vector(candidate.scores)
        found = known.get(vector)
        if found is None:
            with localcontext(EXACT):
                found = known[vector] = (_weighted_total(rules, candidate.scores), sum(vector, ZERO))
        return found

    return sums
