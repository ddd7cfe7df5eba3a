"""How the core words its outcomes: the sentences a programme officer can paste into a letter (selection-rules.md,
output `reason`), with the figures that decided, and the outcome of each ranked proposal that carries them."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING

from .decimals import money, plain
from .model import ProposalOutcome, Rules, ThresholdFailure

if TYPE_CHECKING:  # the rules module builds outcomes with these; only its types are needed here
    from .rules import Award, Miss, Ranked


def place_text(rules: Rules, ranked: Ranked) -> str:
    """Where a ranked proposal stands and what placed it there: "rank 3", "rank 4 (ex aequo on total 12, ordered
    by impact)" or its residual tie."""
    if ranked.decided_by == "total":
        return f"rank {ranked.rank}"
    if ranked.tie_group:
        return f"rank {ranked.rank} {residual_tie_text(len(ranked.tie_group), ranked.total, rules.tie_break)}"
    key = ranked.decided_by.removeprefix("tie-break: ")
    return f"rank {ranked.rank} (ex aequo on total {plain(ranked.total)}, ordered by {key})"


@lru_cache(maxsize=4096)  # every member of a residual tie shares it, and large calls have thousands of members
def residual_tie_text(size: int, total: Decimal, tie_break: tuple[str, ...]) -> str:
    """The words of a residual tie, which the web app rewords once an officer has ordered it."""
    keys = f" and on {', '.join(tie_break)}" if tie_break else ""
    return f"(residual tie of {size} proposals on total {plain(total)}{keys}, ordered by id for the officer to resolve)"


def award_text(rules: Rules, award: Award) -> str:
    """Why a proposal was selected, with the budget left after it."""
    left = "" if award.left_after is None else f"{money(award.left_after)} left after it"
    if award.by == "coverage":
        text = f"selected by coverage rule for {rules.coverage} '{award.coverage_value}'"
        return f"{text}; {left}" if left else text
    return f"fits: {left}" if left else "selected (no budget limit)"


def threshold_reason(failures: Iterable[ThresholdFailure]) -> str:
    """Every threshold a proposal missed: "below threshold: relevance 2.5 < 3; overall 9.5 < 10"."""
    return "below threshold: " + "; ".join(
        f"{'overall' if failure.criterion is None else failure.criterion} "
        f"{plain(failure.score)} < {plain(failure.threshold)}"
        for failure in failures
    )


def ranked_outcome(
    rules: Rules,
    ranked: Ranked,
    step: int,
    awards: dict[str, Award],
    misses: dict[str, Miss],
    reserve: dict[str, int],
    sums: tuple[Decimal, Decimal],
) -> ProposalOutcome:
    """The outcome of a ranked proposal: selected (by the coverage rule or in merit order), on the reserve list or
    not funded, with its reason, the step that decided it, the budget left after that step and its sums."""
    proposal_id = ranked.candidate.id
    weighted, unweighted = sums
    place = place_text(rules, ranked)
    award = awards.get(proposal_id)
    if award is not None:
        return ProposalOutcome(
            proposal_id,
            "selected",
            ranked.rank,
            ranked.total,
            f"{place}; {award_text(rules, award)}",
            decided_by=ranked.decided_by,
            selected_by=award.by,
            step=step,
            budget_left=award.left_after,
            reason_code="coverage" if award.by == "coverage" else "fits",
            weighted_total=weighted,
            score_sum=unweighted,
        )
    # Not selected: on the reserve list while there is room on it, else not funded; the miss says why.
    miss = misses[proposal_id]
    position = reserve.get(proposal_id)
    on_reserve = f"reserve position {position}; " if position is not None else ""
    return ProposalOutcome(
        proposal_id,
        "reserve" if position is not None else "not_funded",
        ranked.rank,
        ranked.total,
        f"{place}; {on_reserve}{miss.text}",
        reserve_position=position,
        decided_by=ranked.decided_by,
        step=step,
        budget_left=miss.left_after,
        reason_code=miss.code,
        weighted_total=weighted,
        score_sum=unweighted,
    )
