"""The JSON form of selection-rules.md: reading and checking the input, writing the output and snapshots."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, localcontext
from typing import Any, cast

from .decimals import EXACT, plain
from .errors import InvalidInput
from .model import (
    PROPOSAL_KEYS,
    BudgetPolicy,
    Candidate,
    CriterionRule,
    Rules,
    Selection,
    check_candidates,
)
from .rules import select_checked

# A decimal string as a person writes it; Decimal() alone would also take "NaN", "1_000" and non-ASCII digits.
_DECIMAL_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
# Bounds that keep every sum and product of the inputs exact in decimals.EXACT (100 digits).
MAX_LENGTH = 40
MAX_MAGNITUDE = 20

_TOP_KEYS = frozenset({"rules", "proposals"})
_RULES_KEYS = frozenset(
    {
        "criteria",
        "overall_threshold",
        "tie_break",
        "budget",
        "max_awards",
        "budget_policy",
        "reserve_size",
        "coverage",
    }
)
_CRITERION_KEYS = frozenset({"key", "max", "weight", "threshold"})
_MISSING = object()


def read_json(text: str | bytes) -> Any:
    """Parse JSON so that every number is a Decimal read from its text; NaN and Infinity are refused."""
    return json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=_refuse_constant)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def canonical_json(obj: Any) -> str:
    """The one serialisation of a snapshot: sorted keys, no spaces, Decimals as their text."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_json_default, allow_nan=False)


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# ---------------------------------------------------------------------------------------------- reading


def parse_input(data: Mapping[str, Any]) -> tuple[Rules, list[Candidate]]:
    """Check and convert a document {"rules": ..., "proposals": [...]}; InvalidInput names the field."""
    document = _object(data, field="input")
    _refuse_unknown(document, _TOP_KEYS, prefix="")
    rules = parse_rules(_required(document, "rules", field="rules"))
    proposals = _required(document, "proposals", field="proposals")
    if not isinstance(proposals, list):
        raise InvalidInput(f"expected a list of proposals, got {_describe(proposals)}", field="proposals")
    with localcontext(EXACT):
        candidates = _parse_proposals_quickly(proposals)
        if candidates is None:  # something is wrong: read proposal by proposal, to name the first one at fault
            numbers = _Numbers()
            candidates = [_parse_proposal(item, index, numbers) for index, item in enumerate(proposals)]
        check_candidates(rules, candidates)
    return rules, candidates


def select_document(data: Mapping[str, Any]) -> tuple[Rules, list[Candidate], Selection]:
    """Check and read an input document, then select: what `python -m scoring select` and the web app run. Each
    proposal is checked once (by `parse_input`); InvalidInput names the field."""
    rules, candidates = parse_input(data)
    return rules, candidates, select_checked(rules, candidates)


def parse_rules(data: Any) -> Rules:
    """Check and convert the "rules" object of the input, applying the document's defaults."""
    raw = _object(data, field="rules")
    _refuse_unknown(raw, _RULES_KEYS, prefix="rules.")
    criteria = _required(raw, "criteria", field="rules.criteria")
    if not isinstance(criteria, list):
        raise InvalidInput(f"expected a list, got {_describe(criteria)}", field="rules.criteria")
    tie_break = raw.get("tie_break", [])
    if not isinstance(tie_break, list):
        raise InvalidInput(f"expected a list of criterion keys, got {_describe(tie_break)}", field="rules.tie_break")
    for index, key in enumerate(tie_break):
        if not isinstance(key, str):
            raise InvalidInput(f"expected a criterion key, got {_describe(key)}", field=f"rules.tie_break[{index}]")
    policy = raw.get("budget_policy", "skip")
    if not isinstance(policy, str):
        raise InvalidInput(f"expected 'skip' or 'stop', got {_describe(policy)}", field="rules.budget_policy")
    coverage = raw.get("coverage")
    if coverage is not None and not isinstance(coverage, str):
        raise InvalidInput(f"expected a field name or null, got {_describe(coverage)}", field="rules.coverage")
    return Rules(
        criteria=tuple(_parse_criterion(item, index) for index, item in enumerate(criteria)),
        overall_threshold=_optional_number(raw, "overall_threshold", field="rules.overall_threshold"),
        tie_break=tuple(tie_break),
        budget=_optional_number(raw, "budget", field="rules.budget"),
        max_awards=_optional_count(raw, "max_awards", field="rules.max_awards"),
        budget_policy=cast(BudgetPolicy, policy),  # Rules refuses anything but "skip" and "stop"
        reserve_size=_count(raw.get("reserve_size", 0), field="rules.reserve_size"),
        coverage=coverage,
    )


def _parse_criterion(data: Any, index: int) -> CriterionRule:
    where = f"rules.criteria[{index}]"
    raw = _object(data, field=where)
    _refuse_unknown(raw, _CRITERION_KEYS, prefix=f"{where}.")
    key = _required(raw, "key", field=f"{where}.key")
    if not isinstance(key, str) or not key:
        raise InvalidInput(f"expected a non-empty string, got {_describe(key)}", field=f"{where}.key")
    return CriterionRule(
        key=key,
        max=parse_number(_required(raw, "max", field=f"{where}.max"), field=f"{where}.max"),
        weight=parse_number(raw.get("weight", Decimal(1)), field=f"{where}.weight"),
        threshold=_optional_number(raw, "threshold", field=f"{where}.threshold"),
    )


def _parse_proposals_quickly(proposals: list[Any]) -> list[Candidate] | None:
    """The proposals of a well-formed document, read in one tight loop (a large call has thousands; each number
    text is read once); None as soon as one does not look right, for `_parse_proposal` to say what is wrong."""
    numbers = _Numbers()
    candidates: list[Candidate] = []
    append = candidates.append
    try:
        for raw in proposals:
            if type(raw) is not dict:
                return None
            proposal_id, requested, eligible = raw.get("id"), raw.get("requested"), raw.get("eligible")
            scores = raw.get("scores", _MISSING)
            if type(proposal_id) is not str or not proposal_id or type(eligible) is not bool or requested is None:
                return None
            if type(scores) is not dict:
                if eligible or (scores is not _MISSING and scores is not None):
                    return None
                scores = {}
            read = {key: numbers[value] if value in numbers else numbers.read(value, field="", proposal_id=None)
                    for key, value in scores.items()}
            amount = numbers[requested] if requested in numbers else numbers.read(requested, field="", proposal_id=None)
            fields = {} if raw.keys() <= PROPOSAL_KEYS else {k: v for k, v in raw.items() if k not in PROPOSAL_KEYS}
            append(Candidate(proposal_id, amount, eligible, read, fields))
    except (InvalidInput, TypeError):  # TypeError: an unhashable number, such as a list
        return None
    return candidates


class _Numbers(dict[str, Decimal]):
    """The decimal strings of one document already read: scores repeat a lot (a few dozen distinct ones across
    thousands of proposals), so each distinct text is read and checked once."""

    def read(self, value: Any, *, field: str, proposal_id: str | None) -> Decimal:
        if type(value) is str:
            number = self.get(value)
            if number is None:
                number = self[value] = parse_number(value, field=field, proposal_id=proposal_id)
            return number
        return parse_number(value, field=field, proposal_id=proposal_id)


def _parse_proposal(data: Any, index: int, numbers: _Numbers) -> Candidate:
    where = f"proposals[{index}]"
    raw = _object(data, field=where)
    proposal_id = _required(raw, "id", field=f"{where}.id")
    if not isinstance(proposal_id, str) or not proposal_id:
        raise InvalidInput(f"expected a non-empty string, got {_describe(proposal_id)}", field=f"{where}.id")
    requested = numbers.read(
        _required(raw, "requested", field="requested", proposal_id=proposal_id),
        field="requested",
        proposal_id=proposal_id,
    )
    eligible = _required(raw, "eligible", field="eligible", proposal_id=proposal_id)
    if not isinstance(eligible, bool):
        raise InvalidInput(
            f"expected true or false, got {_describe(eligible)}", field="eligible", proposal_id=proposal_id
        )
    raw_scores = raw.get("scores", _MISSING)
    if raw_scores is _MISSING or (raw_scores is None and not eligible):
        if eligible:
            raise InvalidInput(
                "missing required field (an eligible proposal needs its scores)",
                field="scores",
                proposal_id=proposal_id,
            )
        raw_scores = {}
    scores_object = _object(raw_scores, field="scores", proposal_id=proposal_id)
    read = numbers.read
    scores = {key: read(value, field=f"scores.{key}", proposal_id=proposal_id) for key, value in scores_object.items()}
    fields = {key: value for key, value in raw.items() if key not in PROPOSAL_KEYS}
    return Candidate(proposal_id, requested, eligible, scores, fields)


def parse_number(value: Any, *, field: str, proposal_id: str | None = None) -> Decimal:
    """Read a JSON number (a Decimal, as read_json gives) or a decimal string; refuse floats, booleans and
    anything else, and numbers beyond 1e20 or below 1e-20, or written with more than 40 characters."""
    result: Decimal
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, str):
        if not _DECIMAL_TEXT.fullmatch(value):
            raise InvalidInput(f"malformed number {value!r}", field=field, proposal_id=proposal_id)
        result = Decimal(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        result = Decimal(value)
    else:
        raise InvalidInput(
            f"expected a number (a JSON number or a decimal string), got {_describe(value)}",
            field=field,
            proposal_id=proposal_id,
        )
    if not result.is_finite():
        raise InvalidInput(f"malformed number {str(result)!r}", field=field, proposal_id=proposal_id)
    if result.is_zero():
        return result.copy_abs()  # no "-0.00" in letters
    if not -MAX_MAGNITUDE <= result.adjusted() <= MAX_MAGNITUDE or len(str(result)) > MAX_LENGTH:
        raise InvalidInput(
            f"malformed number {str(result)!r}: beyond 1e{MAX_MAGNITUDE}, below 1e-{MAX_MAGNITUDE} "
            f"or longer than {MAX_LENGTH} characters",
            field=field,
            proposal_id=proposal_id,
        )
    return result


def _count(value: Any, *, field: str) -> int:
    amount = parse_number(value, field=field)
    if amount != amount.to_integral_value() or amount < 0:
        raise InvalidInput(f"expected a whole number of at least 0, got {plain(amount)}", field=field)
    return int(amount)


def _optional_number(raw: Mapping[str, Any], key: str, *, field: str) -> Decimal | None:
    value = raw.get(key)
    return None if value is None else parse_number(value, field=field)


def _optional_count(raw: Mapping[str, Any], key: str, *, field: str) -> int | None:
    value = raw.get(key)
    return None if value is None else _count(value, field=field)


def _object(value: Any, *, field: str, proposal_id: str | None = None) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInput(f"expected an object, got {_describe(value)}", field=field, proposal_id=proposal_id)
    return value


def _required(raw: Mapping[str, Any], key: str, *, field: str, proposal_id: str | None = None) -> Any:
    if key not in raw:
        raise InvalidInput("missing required field", field=field, proposal_id=proposal_id)
    return raw[key]


def _refuse_unknown(raw: Mapping[str, Any], allowed: frozenset[str], *, prefix: str) -> None:
    unknown = sorted(str(key) for key in raw if key not in allowed)
    if unknown:
        raise InvalidInput(f"unknown field (expected one of: {', '.join(sorted(allowed))})", field=prefix + unknown[0])


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"the float {value!r} (read JSON with parse_float=Decimal)"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, Decimal | int):
        return f"the number {value}"
    return f"a {type(value).__name__}"


# ---------------------------------------------------------------------------------------------- writing


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def rules_to_dict(rules: Rules) -> dict[str, Any]:
    """The rules as input JSON, every key explicit and numbers as their exact decimal text."""
    return {
        "criteria": [
            {
                "key": criterion.key,
                "max": str(criterion.max),
                "weight": str(criterion.weight),
                "threshold": _text(criterion.threshold),
            }
            for criterion in rules.criteria
        ],
        "overall_threshold": _text(rules.overall_threshold),
        "tie_break": list(rules.tie_break),
        "budget": _text(rules.budget),
        "max_awards": rules.max_awards,
        "budget_policy": rules.budget_policy,
        "reserve_size": rules.reserve_size,
        "coverage": rules.coverage,
    }


def candidates_to_dict(candidates: Sequence[Candidate]) -> list[dict[str, Any]]:
    """The proposals as input JSON, in the given order; free fields keep their place beside id and scores."""
    return [
        {
            **{key: _jsonable(value) for key, value in candidate.fields.items()},
            "id": candidate.id,
            "requested": str(candidate.requested),
            "eligible": candidate.eligible,
            "scores": {key: str(score) for key, score in candidate.scores.items()},
        }
        for candidate in candidates
    ]


def input_to_dict(rules: Rules, candidates: Sequence[Candidate]) -> dict[str, Any]:
    """The whole input document; `canonical_json(input_to_dict(...))` is the snapshot to store and re-run."""
    return {"rules": rules_to_dict(rules), "proposals": candidates_to_dict(candidates)}


def _jsonable(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value
