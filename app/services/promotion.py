"""Promotion from the reserve list: the rule, as a pure function of a JSON document (no Flask, no database).

When a selected consortium declines the grant or is found ineligible after a selection was finalised, the
programme officer promotes from the reserve list *in order*: the first reserve proposal whose requested grant
fits the budget that the departure frees (the budget left plus the departing proposal's grant) is selected.
Nobody else changes status; the reserve positions behind the promoted proposal move up by one.

`scoring.select` cannot express this (re-running it without the departing proposal would re-walk the whole merit
order and could also change who else is funded), so the rule lives here, written like the scoring core: the
input is a canonical JSON document and the output has the shape of `scoring.selection_to_dict`, so a promotion
run is stored, hashed and re-run exactly like a selection run. It imports only the standard library and could
move into `scoring/` unchanged.

Like the core, the output says for the proposals it decides the step of the decision (the release, then the
promotion, after the parent's last step; none when the parent's output has no steps), the budget left after it and
a reason code: "declined" or "ineligible" for the departing proposal, "promoted" for the promoted one.

Input document::

    {"kind": "promotion",
     "rules": {...}, "proposals": [...],           # the parent run's input (requested grants, scores)
     "previous": {...},                            # the parent run's output
     "previous_run": 3, "previous_output_sha256": "...",
     "release": {"id": "EC-0007", "reason": "declined" | "ineligible"}}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

RELEASE_REASONS = ("declined", "ineligible")
_RESERVE_POSITION = re.compile(r"reserve position \d+")


class PromotionError(ValueError):
    """The promotion document is inconsistent (the released proposal is not selected, an unknown id …)."""


def _money(value: Decimal) -> str:
    return format(value, ",.2f")


def promote(document: Mapping[str, Any]) -> dict[str, Any]:
    """Release one selected proposal and promote the first reserve proposal that fits the freed budget.

    Returns the new output document (same keys as a selection output); deterministic, so re-running a stored
    promotion input gives byte-identical canonical JSON.
    """
    previous, release = document["previous"], document["release"]
    requested = {item["id"]: Decimal(item["requested"]) for item in document["proposals"]}
    released_id, why = release["id"], release["reason"]
    if why not in RELEASE_REASONS:
        raise PromotionError(f"unknown release reason {why!r} (expected declined or ineligible)")
    outcomes = [dict(outcome) for outcome in previous["proposals"]]
    by_id = {outcome["id"]: outcome for outcome in outcomes}
    released = by_id.get(released_id)
    if released is None or released["status"] != "selected":
        raise PromotionError(f"{released_id} is not a selected proposal of the previous run")
    run_number = document.get("previous_run")
    in_run = f" in run {run_number}" if run_number is not None else ""

    remaining = None if previous["remaining_budget"] is None else Decimal(previous["remaining_budget"])
    freed = None if remaining is None else remaining + requested[released_id]
    promoted_id = next(
        (reference for reference in previous["reserve"] if freed is None or requested[reference] <= freed), None
    )
    left = None if freed is None else freed - (requested[promoted_id] if promoted_id is not None else 0)

    # The release and the promotion are the next steps of the decisions, after the parent's last one.
    steps = [outcome["step"] for outcome in outcomes if outcome.get("step") is not None]
    release_step = max(steps) + 1 if steps else None
    departure = "declined the grant" if why == "declined" else "was found ineligible"
    if why == "declined":
        released.update(status="declined", reserve_position=None, selected_by=None,
                        reason=f"rank {released['rank']}; selected{in_run}, then declined the grant")
    else:
        released.update(status="ineligible", rank=None, total=None, reserve_position=None, selected_by=None,
                        decided_by=None, reason=f"found ineligible after selection{in_run}")
    released.update(step=release_step, budget_left=None if freed is None else f"{freed:.2f}", reason_code=why)

    reserve = [reference for reference in previous["reserve"] if reference != promoted_id]
    if promoted_id is not None:
        promoted = by_id[promoted_id]
        fits = "selected (no budget limit)" if left is None else f"fits: {_money(left)} left after it"
        promoted.update(
            status="selected", selected_by="reserve", reserve_position=None,
            reason=(f"rank {promoted['rank']}; promoted from reserve position {promoted['reserve_position']} "
                    f"after {released_id} {departure}; {fits}"),
            step=None if release_step is None else release_step + 1,
            budget_left=None if left is None else f"{left:.2f}", reason_code="promoted",
        )
    for position, reference in enumerate(reserve, start=1):
        outcome = by_id[reference]
        if outcome["reserve_position"] != position:
            outcome["reason"] = _RESERVE_POSITION.sub(f"reserve position {position}", outcome["reason"], count=1)
            outcome["reserve_position"] = position

    if why == "ineligible":  # the output lists ineligible proposals last, by id
        outcomes.remove(released)
        tail = [outcome for outcome in outcomes if outcome["status"] == "ineligible"]
        outcomes = [outcome for outcome in outcomes if outcome["status"] != "ineligible"]
        outcomes.extend(sorted([*tail, released], key=lambda outcome: outcome["id"]))

    selected = [outcome["id"] for outcome in outcomes if outcome["status"] == "selected"]
    return {
        "selected": selected,
        "reserve": reserve,
        "remaining_budget": None if left is None else f"{left:.2f}",
        "ties": previous["ties"],
        "proposals": outcomes,
    }


def build_promotion_input(parent_input: Mapping[str, Any], parent_output: Mapping[str, Any], *,
                          parent_number: int, parent_output_sha256: str, released_id: str,
                          reason: str) -> dict[str, Any]:
    """The input document of a promotion that follows a run (whose input may itself be a promotion's)."""
    return {
        "kind": "promotion",
        "rules": parent_input["rules"],
        "proposals": parent_input["proposals"],
        "previous": parent_output,
        "previous_run": parent_number,
        "previous_output_sha256": parent_output_sha256,
        "release": {"id": released_id, "reason": reason},
    }
