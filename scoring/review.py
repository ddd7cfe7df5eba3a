"""Funding after an upheld evaluation review: where a re-evaluated proposal stands against the outcome in force.

When the review committee upholds a request, the proposal is re-evaluated by new experts and the ranking and
selection are re-run with the new consensus. The re-run is a what-if: finalising it would re-walk the whole merit
order and could unseat consortia whose grants were offered. The EU's rule is that funds come from the reserve or the
budget left if the proposal now qualifies, so this rule takes the finalised outcome in force and the proposal's new
result, and decides for that proposal alone (nobody else changes status):

1. **Threshold.** The re-evaluation fails a threshold: the decision stands (the reason names every threshold failed).
2. **Funded.** The re-run selects it (its new rank puts it among the funded under the call's rules), the budget
   left (budget - the grants of the proposals funded in force) covers its grant, and fewer than `max_awards` are
   funded: it is funded from the budget left.
3. **First reserve place.** The re-run selects it but the budget left is short of its grant, or the award cap is
   reached: it takes the first reserve place, ahead of the reserve in force (it outranks them), and is funded when
   money frees, as a promotion from the reserve list (`scoring.promotion`) funds the first reserve proposal that fits.
4. **Reserve at its rank.** The re-run puts it on the reserve list: it is placed on the reserve in force after the
   reserve proposals ranked above it in the re-run.
5. **Not funded.** Otherwise (beyond the reserve list in the re-run): the decision stands, with the reason.

Already-funded proposals are never unseated; the reserve in force keeps everyone it had (positions behind the
proposal move down by one). A review never lowers the proposal's place: one already on the reserve list that would
not move up keeps its position (the decision stands).

`decide_review` is the rule on plain data (`Standing`, `NewResult`); `apply_review` writes its decision into the
selection in force, giving the next selection in the same shape (stored, hashed and re-run like a promotion, with
`python -m scoring review`). Input document::

    {"kind": "review",
     "rules": {...}, "proposals": [...],   # the first run's input, the reviewed proposal with its new scores
     "previous": {...},                    # the output of the run in force
     "previous_run": 3, "previous_output_sha256": "...",
     "reviewed": {"id": "EC-0007", "request": "EC-0007-R1",
                  "rerun": {...},          # the reviewed proposal's outcome in the re-run (an output proposal)
                  "rerun_run": 4, "rerun_output_sha256": "...",
                  "reserve_ranks": {"EC-0012": 5}}}   # the re-run ranks of the reserve in force
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, localcontext
from typing import Any, Literal, get_args

from .decimals import EXACT, money, plain
from .errors import InvalidInput, ScoringError
from .io import parse_input
from .model import Candidate, ProposalOutcome, Rules, Selection, Status, ThresholdFailure
from .output import outcome_to_dict, read_output
from .promotion import _RESERVE_POSITION

ReviewOutcome = Literal["funded", "reserve", "unchanged"]
# Which branch decided: "fits" (funded from the budget left), "budget" / "award_cap" (would have been funded, but the
# budget left is short or the cap is reached: first reserve place), "reserve" (placed at its rank), "threshold"
# (fails a threshold), "not_funded" (beyond the reserve list), "no_better" (its place in force is as good or better).
ReviewCode = Literal["fits", "budget", "award_cap", "reserve", "threshold", "not_funded", "no_better"]
REVIEW_CODES: tuple[ReviewCode, ...] = get_args(ReviewCode)
REVIEWABLE: frozenset[Status] = frozenset({"selected", "reserve", "not_funded", "below_threshold"})


class ReviewError(ScoringError):
    """The review cannot follow the outcome in force (the proposal is not in it, a re-run status it cannot read …)."""


@dataclass(frozen=True, slots=True)
class Standing:
    """The finalised outcome in force: the funded proposals with their grants, the reserve list in order, the
    budget and the award cap (None: no limit)."""

    funded: tuple[tuple[str, Decimal], ...]
    reserve: tuple[str, ...]
    budget: Decimal | None
    max_awards: int | None

    @property
    def budget_used(self) -> Decimal:
        with localcontext(EXACT):
            return sum((grant for _, grant in self.funded), Decimal(0))

    @property
    def budget_left(self) -> Decimal | None:
        if self.budget is None:
            return None
        with localcontext(EXACT):
            return self.budget - self.budget_used

    @property
    def cap_reached(self) -> bool:
        return self.max_awards is not None and len(self.funded) >= self.max_awards


@dataclass(frozen=True, slots=True)
class NewResult:
    """The re-evaluated proposal's result: its grant, its status, rank and total in the re-run, the thresholds it
    failed there, and the re-run ranks of the proposals on the reserve in force (to place it among them)."""

    id: str
    grant: Decimal
    status: Status
    rank: int | None
    total: Decimal | None
    failed: tuple[ThresholdFailure, ...] = ()
    reserve_ranks: Mapping[str, int] | None = None
    rerun_reason: str = ""


@dataclass(frozen=True, slots=True)
class ReviewDecision:
    """What the rule decided for the reviewed proposal, and why (`reason` is a sentence for the officer)."""

    id: str
    outcome: ReviewOutcome
    code: ReviewCode
    reason: str
    rank: int | None
    total: Decimal | None
    grant: Decimal
    budget_left: Decimal | None  # before the decision
    budget_left_after: Decimal | None
    reserve_position: int | None  # on the reserve list after the decision (None when funded or not on it)


def decide_review(standing: Standing, result: NewResult) -> ReviewDecision:
    """Decide where the re-evaluated proposal stands (module docstring, rules 1 to 5): deterministic, and the
    decision says which rule decided with the figures. Raises ReviewError for a re-run status it cannot place."""
    if result.status not in REVIEWABLE:
        raise ReviewError(f"{result.id} is {result.status} in the re-run: only a scored proposal is placed")
    left = standing.budget_left
    funded_ids = {ref for ref, _ in standing.funded}
    position = standing.reserve.index(result.id) + 1 if result.id in standing.reserve else None
    rank_text = f"rank {result.rank} in the re-run" if result.rank is not None else "not ranked in the re-run"

    def decided(outcome: ReviewOutcome, code: ReviewCode, reason: str, *, after: Decimal | None = left,
                reserve_position: int | None = position) -> ReviewDecision:
        return ReviewDecision(result.id, outcome, code, reason, result.rank, result.total, result.grant, left,
                              after, reserve_position)

    if result.id in funded_ids:
        return decided("unchanged", "no_better", "already funded in the outcome in force; the decision stands")
    if result.status == "below_threshold":
        reason = result.rerun_reason or "below threshold in the re-evaluation"
        return decided("unchanged", "threshold", f"{reason}; the decision stands")
    if result.status == "selected":
        short = left is not None and result.grant > left
        if not short and not standing.cap_reached:
            with localcontext(EXACT):
                after = None if left is None else left - result.grant
            fits = "no budget limit" if left is None or after is None else \
                f"its grant {money(result.grant)} fits the {money(left)} left; {money(after)} left after it"
            return decided("funded", "fits", f"{rank_text} puts it among the funded; {fits}; funded from the "
                                             "budget left", after=after, reserve_position=None)
        if standing.cap_reached:
            why: ReviewCode = "award_cap"
            detail = f"the {standing.max_awards} awards of the call are reached"
        else:
            why = "budget"
            detail = f"its grant {money(result.grant)} exceeds the {money(left or Decimal(0))} left"
        return decided("reserve", why, f"{rank_text} puts it among the funded, but {detail}: it takes reserve "
                                       "position 1, ahead of the reserve list, and is funded when money frees",
                       reserve_position=1)
    if result.status == "reserve":
        ranks = result.reserve_ranks or {}
        above = sum(1 for ref in standing.reserve if ref != result.id and result.rank is not None
                    and ranks.get(ref, result.rank + 1) < result.rank)
        new_position = above + 1
        if position is not None and position <= new_position:
            return decided("unchanged", "no_better", f"{rank_text} would place it at reserve position "
                                                     f"{new_position}; it keeps reserve position {position}")
        return decided("reserve", "reserve", f"{rank_text} puts it on the reserve list: reserve position "
                                             f"{new_position}, after the {above} reserve proposals ranked above it",
                       reserve_position=new_position)
    if position is not None:
        return decided("unchanged", "no_better", f"{rank_text} is beyond the reserve list; it keeps reserve "
                                                 f"position {position}")
    return decided("unchanged", "not_funded", f"{rank_text} is beyond the reserve list: not funded; the decision "
                                              "stands")


def standing_of(previous: Selection, candidates: Sequence[Candidate], rules: Rules) -> Standing:
    """The outcome in force as `decide_review` reads it, from the selection in force."""
    requested = {candidate.id: candidate.requested for candidate in candidates}
    return Standing(funded=tuple((ref, requested[ref]) for ref in previous.selected), reserve=previous.reserve,
                    budget=rules.budget, max_awards=rules.max_awards)


def apply_review(previous: Selection, rerun: ProposalOutcome, decision: ReviewDecision, *,
                 request: str | None = None) -> Selection:
    """The selection in force with the decision applied to the reviewed proposal (its new rank, total and status;
    the reserve positions behind it renumbered); the same selection when the decision stands."""
    if decision.outcome == "unchanged":
        return previous
    by_id = {outcome.id: outcome for outcome in previous.proposals}
    if decision.id not in by_id:
        raise ReviewError(f"{decision.id} is not a proposal of the outcome in force")
    steps = [outcome.step for outcome in previous.proposals if outcome.step is not None]
    of_request = f" after the evaluation review {request}" if request else " after an evaluation review"
    reviewed = replace(
        by_id[decision.id], rank=rerun.rank, total=rerun.total, decided_by=rerun.decided_by, failed_thresholds=(),
        weighted_total=rerun.weighted_total, score_sum=rerun.score_sum, step=max(steps) + 1 if steps else None,
        reason_code="review", reason=f"re-evaluated{of_request}: {decision.reason}",
    )
    reserve = [ref for ref in previous.reserve if ref != decision.id]
    if decision.outcome == "funded":
        reviewed = replace(reviewed, status="selected", selected_by="review", reserve_position=None,
                           budget_left=decision.budget_left_after)
        remaining = decision.budget_left_after
    else:
        position = decision.reserve_position or 1
        reserve.insert(position - 1, decision.id)
        reviewed = replace(reviewed, status="reserve", selected_by=None, reserve_position=position,
                           budget_left=previous.remaining_budget)
        remaining = previous.remaining_budget
    changed = {decision.id: reviewed}
    for position, reference in enumerate(reserve, start=1):
        outcome = by_id[reference] if reference != decision.id else reviewed
        if reference != decision.id and outcome.reserve_position != position:
            reason = _RESERVE_POSITION.sub(f"reserve position {position}", outcome.reason, count=1)
            changed[reference] = replace(outcome, reserve_position=position, reason=reason)
    # The reviewed proposal is now ranked: listed among the ranked ones at its re-run rank, the others in place.
    others = [changed.get(outcome.id, outcome) for outcome in previous.proposals if outcome.id != decision.id]
    ranked = [outcome for outcome in others if outcome.rank is not None]
    at = next((index for index, outcome in enumerate(ranked) if (outcome.rank or 0) > (reviewed.rank or 0)),
              len(ranked))
    outcomes = [*ranked[:at], reviewed, *ranked[at:], *(outcome for outcome in others if outcome.rank is None)]
    return Selection(
        selected=tuple(outcome.id for outcome in outcomes if outcome.status == "selected"),
        reserve=tuple(reserve), remaining_budget=remaining, ties=previous.ties, proposals=tuple(outcomes),
    )


# ---------------------------------------------------------------------------------------------- documents


@dataclass(frozen=True, slots=True)
class Review:
    """A review's input: the rules and proposals (the reviewed one with its new scores), the selection in force,
    the reviewed proposal's re-run outcome and the re-run ranks of the reserve in force."""

    rules: Rules
    candidates: tuple[Candidate, ...]
    previous: Selection
    rerun: ProposalOutcome
    reserve_ranks: Mapping[str, int]
    request: str | None


def parse_review(data: Mapping[str, Any]) -> Review:
    """Check and read a review's input document (module docstring); InvalidInput names the field."""
    if not isinstance(data, Mapping) or data.get("kind") != "review":
        raise InvalidInput('expected a review document ("kind": "review")', field="kind")
    rules, candidates = parse_input({"rules": data.get("rules"), "proposals": data.get("proposals")})
    previous = data.get("previous")
    if not isinstance(previous, Mapping):
        raise InvalidInput("expected the output of the run in force", field="previous")
    reviewed = data.get("reviewed")
    if not isinstance(reviewed, Mapping) or not isinstance(reviewed.get("rerun"), Mapping):
        raise InvalidInput('expected {"id": ..., "rerun": {...}, "reserve_ranks": {...}}', field="reviewed")
    ranks = reviewed.get("reserve_ranks") or {}
    if not isinstance(ranks, Mapping) or not all(isinstance(v, int | Decimal) for v in ranks.values()):
        raise InvalidInput("expected the re-run rank of each reserve proposal", field="reviewed.reserve_ranks")
    [rerun] = read_output({"selected": [], "reserve": [], "remaining_budget": None, "ties": [],
                           "proposals": [reviewed["rerun"]]}, rules, candidates).proposals
    request = reviewed.get("request")
    return Review(rules=rules, candidates=tuple(candidates), previous=read_output(previous, rules, candidates),
                  rerun=rerun, reserve_ranks={str(k): int(v) for k, v in ranks.items()},
                  request=request if isinstance(request, str) else None)


def decide_review_document(data: Mapping[str, Any]) -> tuple[ReviewDecision, Selection]:
    """Read a review's input document and decide: the decision, and the selection that follows it (the one in
    force when the decision stands)."""
    review = parse_review(data)
    requested = {candidate.id: candidate.requested for candidate in review.candidates}
    rerun = review.rerun
    if rerun.id not in requested:  # not reached: read_output refuses an id that is not an input proposal
        raise ReviewError(f"{rerun.id} is not a proposal of the input")
    result = NewResult(id=rerun.id, grant=requested[rerun.id], status=rerun.status, rank=rerun.rank,
                       total=rerun.total, failed=rerun.failed_thresholds, reserve_ranks=review.reserve_ranks,
                       rerun_reason=rerun.reason)
    decision = decide_review(standing_of(review.previous, review.candidates, review.rules), result)
    return decision, apply_review(review.previous, rerun, decision, request=review.request)


def review_document_run(data: Mapping[str, Any]) -> Selection:
    """What the web app stores and `python -m scoring review` prints: the selection after the review."""
    return decide_review_document(data)[1]


def review_document(
    first_input: Mapping[str, Any], previous_output: Mapping[str, Any], *, previous_run: int,
    previous_output_sha256: str, reviewed_id: str, new_scores: Mapping[str, Any], rerun_outcome: ProposalOutcome,
    rerun_run: int, rerun_output_sha256: str, reserve_ranks: Mapping[str, int], request: str,
) -> dict[str, Any]:
    """The input document of a review that follows the run in force (whose input may be a promotion's or a
    review's: the rules and proposals are always the first run's, the reviewed proposal's scores its new ones)."""
    proposals = [{**item, "scores": dict(new_scores)} if item["id"] == reviewed_id else item
                 for item in first_input["proposals"]]
    return {
        "kind": "review",
        "rules": first_input["rules"],
        "proposals": proposals,
        "previous": previous_output,
        "previous_run": previous_run,
        "previous_output_sha256": previous_output_sha256,
        "reviewed": {"id": reviewed_id, "request": request, "rerun": outcome_to_dict(replace(rerun_outcome,
                                                                                             id=reviewed_id)),
                     "rerun_run": rerun_run, "rerun_output_sha256": rerun_output_sha256,
                     "reserve_ranks": dict(sorted(reserve_ranks.items()))},
    }


def decision_to_dict(decision: ReviewDecision) -> dict[str, Any]:
    """The decision as the web app records it beside the request: amounts as strings with 2 places."""
    def amount(value: Decimal | None) -> str | None:
        return None if value is None else f"{value:.2f}"

    return {"id": decision.id, "outcome": decision.outcome, "code": decision.code, "reason": decision.reason,
            "rank": decision.rank, "total": None if decision.total is None else plain(decision.total),
            "grant": amount(decision.grant), "budget_left": amount(decision.budget_left),
            "budget_left_after": amount(decision.budget_left_after), "reserve_position": decision.reserve_position}
