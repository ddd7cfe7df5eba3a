"""Promotion from the reserve list: the rule that follows a finalised selection when a selected consortium leaves.

When a selected consortium declines the grant or is found ineligible after the selection, the programme officer
promotes from the reserve list *in order*: the first reserve proposal whose requested grant fits the budget that the
departure frees (the budget left plus the departing proposal's grant) is selected. Nobody else changes status; the
reserve positions behind the promoted proposal move up by one.

`select` cannot express this (re-running it without the departing proposal would re-walk the whole merit order and
could also change who else is funded), so the rule takes the previous `Selection` and gives the next one, in the
same shape: a promotion run is stored, hashed and re-run exactly like a selection run (`python -m scoring promote`).

Like `select`, it says for the proposals it decides the step of the decision (the release, then the promotion,
after the previous selection's last step; none when the previous output has no steps), the budget left after it and
a reason code: "declined" or "ineligible" for the departing proposal, "promoted" for the promoted one.

Input document::

    {"kind": "promotion",
     "rules": {...}, "proposals": [...],           # the first run's input (requested grants, scores)
     "previous": {...},                            # the previous run's output
     "previous_run": 3, "previous_output_sha256": "...",
     "release": {"id": "EC-0007", "reason": "declined" | "ineligible"}}
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, localcontext
from typing import Any, Literal, cast

from .decimals import EXACT, money
from .errors import InvalidInput, ScoringError
from .io import parse_input
from .model import Candidate, ProposalOutcome, Rules, Selection
from .output import read_output

ReleaseReason = Literal["declined", "ineligible"]
RELEASE_REASONS: tuple[ReleaseReason, ...] = ("declined", "ineligible")
_RESERVE_POSITION = re.compile(r"reserve position \d+")


class PromotionError(ScoringError):
    """The promotion cannot follow the previous selection (the released proposal is not selected in it …)."""


@dataclass(frozen=True, slots=True)
class Release:
    """A selected proposal that leaves: it declined the grant, or was found ineligible after the selection."""

    id: str
    reason: ReleaseReason

    def __post_init__(self) -> None:
        if self.reason not in RELEASE_REASONS:
            raise PromotionError(f"unknown release reason {self.reason!r} (expected declined or ineligible)")


@dataclass(frozen=True, slots=True)
class Promotion:
    """A promotion's input: the first run's rules and proposals, the previous run's output, and the release."""

    rules: Rules
    candidates: tuple[Candidate, ...]
    previous: Selection
    release: Release
    previous_run: int | None = None


def promote(
    previous: Selection, candidates: Sequence[Candidate], release: Release, *, previous_run: int | None = None
) -> Selection:
    """Release one selected proposal and promote the first reserve proposal that fits the freed budget.

    Deterministic: the same previous selection and release give the same selection, so re-running a stored
    promotion gives byte-identical output. Raises PromotionError when the released proposal is not selected.
    """
    requested = {candidate.id: candidate.requested for candidate in candidates}
    by_id = {outcome.id: outcome for outcome in previous.proposals}
    released = by_id.get(release.id)
    if released is None or released.status != "selected":
        raise PromotionError(f"{release.id} is not a selected proposal of the previous run")
    with localcontext(EXACT):
        remaining = previous.remaining_budget
        freed = None if remaining is None else remaining + requested[release.id]
        promoted_id = next((ref for ref in previous.reserve if freed is None or requested[ref] <= freed), None)
        left = freed if freed is None or promoted_id is None else freed - requested[promoted_id]

    # The release and the promotion are the next steps of the decisions, after the previous selection's last one.
    steps = [outcome.step for outcome in previous.proposals if outcome.step is not None]
    release_step = max(steps) + 1 if steps else None
    changed = {release.id: _released(released, release, previous_run, step=release_step, freed=freed)}
    if promoted_id is not None:
        promoted = by_id[promoted_id]
        departure = "declined the grant" if release.reason == "declined" else "was found ineligible"
        fits = "selected (no budget limit)" if left is None else f"fits: {money(left)} left after it"
        changed[promoted_id] = replace(
            promoted, status="selected", selected_by="reserve", reserve_position=None,
            reason=(f"rank {promoted.rank}; promoted from reserve position {promoted.reserve_position} "
                    f"after {release.id} {departure}; {fits}"),
            step=None if release_step is None else release_step + 1, budget_left=left, reason_code="promoted",
        )
    reserve = tuple(reference for reference in previous.reserve if reference != promoted_id)
    for position, reference in enumerate(reserve, start=1):
        outcome = by_id[reference]
        if outcome.reserve_position != position:
            reason = _RESERVE_POSITION.sub(f"reserve position {position}", outcome.reason, count=1)
            changed[reference] = replace(outcome, reserve_position=position, reason=reason)

    outcomes = [changed.get(outcome.id, outcome) for outcome in previous.proposals]
    if release.reason == "ineligible":  # the output lists ineligible proposals last, by id
        tail = sorted((o for o in outcomes if o.status == "ineligible"), key=lambda outcome: outcome.id)
        outcomes = [outcome for outcome in outcomes if outcome.status != "ineligible"] + tail
    return Selection(
        selected=tuple(outcome.id for outcome in outcomes if outcome.status == "selected"),
        reserve=reserve,
        remaining_budget=left,
        ties=previous.ties,
        proposals=tuple(outcomes),
    )


def _released(
    outcome: ProposalOutcome, release: Release, previous_run: int | None, *, step: int | None, freed: Decimal | None
) -> ProposalOutcome:
    """The departing proposal's new outcome: declined keeps its rank and total; found ineligible loses them, and
    its sums, as an ineligible proposal is not scored."""
    in_run = f" in run {previous_run}" if previous_run is not None else ""
    decided = replace(outcome, step=step, budget_left=freed, reason_code=release.reason, reserve_position=None,
                      selected_by=None)
    if release.reason == "declined":
        reason = f"rank {outcome.rank}; selected{in_run}, then declined the grant"
        return replace(decided, status="declined", reason=reason)
    return replace(decided, status="ineligible", rank=None, total=None, decided_by=None, weighted_total=None,
                   score_sum=None, reason=f"found ineligible after selection{in_run}")


# ---------------------------------------------------------------------------------------------- documents


def parse_promotion(data: Mapping[str, Any]) -> Promotion:
    """Check and read a promotion's input document (module docstring); InvalidInput names the field."""
    if not isinstance(data, Mapping) or data.get("kind") != "promotion":
        raise InvalidInput('expected a promotion document ("kind": "promotion")', field="kind")
    rules, candidates = parse_input({"rules": data.get("rules"), "proposals": data.get("proposals")})
    previous = data.get("previous")
    if not isinstance(previous, Mapping):
        raise InvalidInput("expected the previous run's output", field="previous")
    release = data.get("release")
    if not isinstance(release, Mapping) or not isinstance(release.get("id"), str):
        raise InvalidInput('expected {"id": ..., "reason": "declined" or "ineligible"}', field="release")
    previous_run = data.get("previous_run")
    if previous_run is not None and (isinstance(previous_run, bool) or not isinstance(previous_run, int | Decimal)):
        raise InvalidInput("expected the previous run's number", field="previous_run")
    return Promotion(
        rules=rules,
        candidates=tuple(candidates),
        previous=read_output(previous, rules, candidates),
        release=Release(release["id"], cast(ReleaseReason, release.get("reason"))),
        previous_run=None if previous_run is None else int(previous_run),
    )


def promotion_document(
    first_input: Mapping[str, Any], previous_output: Mapping[str, Any], *, previous_run: int,
    previous_output_sha256: str, release: Release,
) -> dict[str, Any]:
    """The input document of a promotion that follows a run (whose input may itself be a promotion's: the rules and
    proposals are always the first run's)."""
    return {
        "kind": "promotion",
        "rules": first_input["rules"],
        "proposals": first_input["proposals"],
        "previous": previous_output,
        "previous_run": previous_run,
        "previous_output_sha256": previous_output_sha256,
        "release": {"id": release.id, "reason": release.reason},
    }


def promote_document(data: Mapping[str, Any]) -> Selection:
    """Read a promotion's input document and promote: what the web app stores and `python -m scoring promote`
    prints."""
    promotion = parse_promotion(data)
    return promote(promotion.previous, promotion.candidates, promotion.release, previous_run=promotion.previous_run)
