"""The output document of selection-rules.md: writing a `Selection`, and reading one back.

One reader for every output the core has written: the web app reads a stored run through `read_output`, never
field by field. Outputs written by earlier versions of the core lack the fields added since (see `ADDED_FIELDS`);
reading them gives None for the order of the decisions (`step`, `budget_left`, `reason_code`, which only a re-run
can tell), and the two sums (`weighted_total`, `score_sum`), which depend on the input alone, computed from it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, cast

from .decimals import plain
from .errors import InvalidInput
from .model import Candidate, ProposalOutcome, ReasonCode, Rules, SelectedBy, Selection, Status, ThresholdFailure
from .rules import score_sum, weighted_total

# The fields each proposal's output gained after the first outputs were stored, in the order they came: the order of
# the decisions, then the two sums. A reader of an older output finds them missing.
DECISION_FIELDS = ("step", "budget_left", "reason_code")
ADDED_FIELDS = (*DECISION_FIELDS, "weighted_total", "score_sum")
STATUSES = frozenset({"selected", "reserve", "not_funded", "below_threshold", "ineligible", "declined"})


def selection_to_dict(selection: Selection) -> dict[str, Any]:
    """The output document: `total` without trailing zeros ("14.75", "12"); `remaining_budget` and each
    proposal's `budget_left` with 2 places."""
    remaining = selection.remaining_budget
    return {
        "selected": list(selection.selected),
        "reserve": list(selection.reserve),
        "remaining_budget": None if remaining is None else f"{remaining:.2f}",
        "ties": [list(group) for group in selection.ties],
        "proposals": [outcome_to_dict(outcome) for outcome in selection.proposals],
    }


def outcome_to_dict(outcome: ProposalOutcome) -> dict[str, Any]:
    """One proposal of the output document; `weighted_total` and `score_sum` are written like `total`.

    An outcome without a reason code was read from an output written before the core reported the order of its
    decisions: it is written back without `step`, `budget_left` and `reason_code`, as it was read, so that a
    promotion that follows such a run re-runs to the same bytes.
    """
    item: dict[str, Any] = {
        "id": outcome.id,
        "status": outcome.status,
        "rank": outcome.rank,
        "total": None if outcome.total is None else plain(outcome.total),
        "reason": outcome.reason,
        "reserve_position": outcome.reserve_position,
        "decided_by": outcome.decided_by,
        "selected_by": outcome.selected_by,
        "failed": [_failure_to_dict(failure) for failure in outcome.failed_thresholds] if outcome.failed_thresholds
        else [],
    }
    if outcome.reason_code is not None:
        item["step"] = outcome.step
        item["budget_left"] = None if outcome.budget_left is None else f"{outcome.budget_left:.2f}"
        item["reason_code"] = outcome.reason_code
    item["weighted_total"] = None if outcome.weighted_total is None else plain(outcome.weighted_total)
    item["score_sum"] = None if outcome.score_sum is None else plain(outcome.score_sum)
    return item


def _failure_to_dict(failure: ThresholdFailure) -> dict[str, Any]:
    return {
        "criterion": failure.criterion,
        "score": plain(failure.score),
        "threshold": plain(failure.threshold),
    }


# ---------------------------------------------------------------------------------------------- reading


def read_output(data: Mapping[str, Any], rules: Rules, candidates: Sequence[Candidate]) -> Selection:
    """The output document `data` that selection (or a promotion) wrote for the input `rules` and `candidates`,
    read back as a `Selection`; InvalidInput names the field of an output that does not read.

    Fields an older output lacks are None, but for `weighted_total` and `score_sum`, which are computed from the
    input for every proposal that is not ineligible.
    """
    by_id = {candidate.id: candidate for candidate in candidates}
    items = _list(data, "proposals")
    remaining = data.get("remaining_budget")
    return Selection(
        selected=tuple(_ids(data, "selected")),
        reserve=tuple(_ids(data, "reserve")),
        remaining_budget=None if remaining is None else _number(remaining, "remaining_budget"),
        ties=tuple(tuple(_strings(group, "ties")) for group in _list(data, "ties")),
        proposals=tuple(_read_outcome(item, index, rules, by_id) for index, item in enumerate(items)),
    )


def _read_outcome(item: Any, index: int, rules: Rules, by_id: Mapping[str, Candidate]) -> ProposalOutcome:
    where = f"output.proposals[{index}]"
    if not isinstance(item, Mapping):
        raise InvalidInput("expected an object", field=where)
    proposal_id, status = item.get("id"), item.get("status")
    candidate = by_id.get(proposal_id) if isinstance(proposal_id, str) else None
    if candidate is None:
        raise InvalidInput(f"{proposal_id!r} is not a proposal of the input", field=f"{where}.id")
    if status not in STATUSES:
        raise InvalidInput(f"unknown status {status!r}", field=f"{where}.status")
    weighted, unweighted = item.get("weighted_total"), item.get("score_sum")
    scored = status != "ineligible"
    if "weighted_total" not in item and scored:
        weighted = weighted_total(rules, candidate)
    if "score_sum" not in item and scored:
        unweighted = score_sum(rules, candidate)
    return ProposalOutcome(
        id=candidate.id,
        status=cast(Status, status),
        rank=_optional_count(item.get("rank"), f"{where}.rank"),
        total=_optional_number(item.get("total"), f"{where}.total"),
        reason=str(item.get("reason", "")),
        reserve_position=_optional_count(item.get("reserve_position"), f"{where}.reserve_position"),
        decided_by=item.get("decided_by"),
        selected_by=cast("SelectedBy | None", item.get("selected_by")),
        failed_thresholds=tuple(_failure(failure, f"{where}.failed") for failure in item.get("failed") or ()),
        step=_optional_count(item.get("step"), f"{where}.step"),
        budget_left=_optional_number(item.get("budget_left"), f"{where}.budget_left"),
        reason_code=cast("ReasonCode | None", item.get("reason_code")),
        weighted_total=_optional_number(weighted, f"{where}.weighted_total"),
        score_sum=_optional_number(unweighted, f"{where}.score_sum"),
    )


def _failure(data: Any, where: str) -> ThresholdFailure:
    if not isinstance(data, Mapping):
        raise InvalidInput("expected an object", field=where)
    return ThresholdFailure(
        data.get("criterion"), _number(data.get("score"), f"{where}.score"),
        _number(data.get("threshold"), f"{where}.threshold"),
    )


def _number(value: Any, where: str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str | int) and not isinstance(value, bool):
        try:
            number = Decimal(value)
        except ArithmeticError:
            number = Decimal("NaN")
        if number.is_finite():
            return number
    raise InvalidInput(f"expected a decimal number, got {value!r}", field=where)


def _optional_number(value: Any, where: str) -> Decimal | None:
    return None if value is None else _number(value, where)


def _optional_count(value: Any, where: str) -> int | None:
    """A rank, position or step: a whole number, as json.loads reads it (an int) or read_json does (a Decimal)."""
    if value is None:
        return None
    whole = isinstance(value, int) or (isinstance(value, Decimal) and value.is_finite() and value % 1 == 0)
    if whole and not isinstance(value, bool) and value > 0:
        return int(value)
    raise InvalidInput(f"expected a whole number above 0, got {value!r}", field=where)


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        raise InvalidInput("expected a list", field=f"output.{key}")
    return value


def _ids(data: Mapping[str, Any], key: str) -> list[str]:
    return _strings(_list(data, key), key)


def _strings(values: Any, key: str) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        raise InvalidInput("expected a list of proposal ids", field=f"output.{key}")
    return values
