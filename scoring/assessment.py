"""Selection by assessment: the rule of a call for expression of interest (a matchmaking mission, say), which has no
budget and no evaluators' scores. The programme officer screens the proposals for eligibility and assesses each
eligible one as suitable or not suitable for the mission, with a fit score (1 to 5: how well it serves the mission's
aims); the places go in order of that assessment.

Rules, in order:

1. **Eligibility.** An ineligible proposal takes no part (status `ineligible`).
2. **Verdict.** A proposal assessed not suitable takes no part (status `below_threshold`, reason code
   `not_suitable`): the assessment is the call's only threshold.
3. **Order.** The suitable ones by fit score, highest first; equal fit scores by submission time, earliest first
   (the call's tie-break); still equal, by id, so that the output is deterministic. `rank` is the position in this
   order, `total` the fit score.
4. **Places.** The first `max_awards` are `selected` (all of them when there is no limit); the next `reserve_size`
   are `reserve`, in order; the rest `not_funded` (reason code `award_cap`: no place left).

Input document (`python -m scoring select` reads it too, by its `kind`)::

    {"kind": "assessment",
     "rules": {"max_awards": 20, "reserve_size": 5},
     "proposals": [{"id": "KR-0001", "eligible": true, "verdict": "suitable", "fit": 4,
                    "submitted_at": "2022-03-01T10:00:00Z"}]}

An eligible proposal needs a verdict and a fit score; an ineligible one needs neither. Extra fields are kept. The
output is the output document of selection-rules.md, with `remaining_budget` null and no ties. For the readers of
that document (`read_output`, the web app's run pages), `assessment_view` gives the same call as `Rules` and
`Candidate` values: one criterion, the fit score, and no budget.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, Literal

from .errors import InvalidInput
from .model import Candidate, CriterionRule, ProposalOutcome, Rules, Selection

KIND: Final = "assessment"
Verdict = Literal["suitable", "not_suitable"]
VERDICTS: Final[tuple[Verdict, ...]] = ("suitable", "not_suitable")
FIT_KEY: Final = "fit"
FIT_MIN: Final = 1
FIT_MAX: Final = 5
_TOP_KEYS = frozenset({"kind", "rules", "proposals"})
_RULES_KEYS = frozenset({"max_awards", "reserve_size"})
_OWN_KEYS = frozenset({"id", "eligible", "verdict", "fit", "submitted_at"})


@dataclass(frozen=True, slots=True)
class AssessmentRules:
    """The places of the call (`max_awards`, None: no limit) and the length of its reserve list."""

    max_awards: int | None = None
    reserve_size: int = 0

    def __post_init__(self) -> None:
        for name in ("max_awards", "reserve_size"):
            value = getattr(self, name)
            if value is None and name == "max_awards":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidInput(f"must be a whole number of at least 0, got {value!r}", field=f"rules.{name}")


@dataclass(frozen=True, slots=True)
class Assessed:
    """A proposal as the assessment sees it: eligible or not, the officer's verdict and fit score, and when it was
    submitted (ISO 8601 in UTC, which sorts as time does)."""

    id: str
    eligible: bool
    verdict: Verdict | None = None
    fit: int | None = None
    submitted_at: str = ""
    fields: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise InvalidInput("a proposal id must be a non-empty string", field="id")
        if not isinstance(self.eligible, bool):
            raise InvalidInput("eligible must be true or false", field="eligible", proposal_id=self.id)
        if self.verdict is not None and self.verdict not in VERDICTS:
            raise InvalidInput(f"verdict must be suitable or not_suitable, got {self.verdict!r}", field="verdict",
                               proposal_id=self.id)
        if self.fit is not None and (isinstance(self.fit, bool) or not isinstance(self.fit, int)
                                     or not FIT_MIN <= self.fit <= FIT_MAX):
            raise InvalidInput(f"fit must be a whole number from {FIT_MIN} to {FIT_MAX}, got {self.fit!r}",
                               field="fit", proposal_id=self.id)
        if self.eligible and (self.verdict is None or self.fit is None):
            raise InvalidInput("an eligible proposal needs its assessment (verdict and fit)",
                               field="verdict" if self.verdict is None else "fit", proposal_id=self.id)
        if not isinstance(self.submitted_at, str):
            raise InvalidInput("submitted_at must be an ISO 8601 time in UTC", field="submitted_at",
                               proposal_id=self.id)


def select_by_assessment(rules: AssessmentRules, proposals: Sequence[Assessed]) -> Selection:
    """Give the call's places in the order of the assessment (module docstring, rules 1 to 4); every proposal gets
    one outcome and a reason: ranked ones in order first, then the not suitable, then the ineligible (each by id)."""
    seen: set[str] = set()
    for proposal in proposals:
        if proposal.id in seen:
            raise InvalidInput("duplicate id", field="id", proposal_id=proposal.id)
        seen.add(proposal.id)
    ineligible = sorted((p for p in proposals if not p.eligible), key=lambda p: p.id)
    unsuitable = sorted((p for p in proposals if p.eligible and p.verdict == "not_suitable"), key=lambda p: p.id)
    suitable = sorted((p for p in proposals if p.eligible and p.verdict == "suitable"),
                      key=lambda p: (-(p.fit or 0), p.submitted_at, p.id))
    places = len(suitable) if rules.max_awards is None else rules.max_awards
    outcomes: list[ProposalOutcome] = []
    selected: list[str] = []
    reserve: list[str] = []
    for rank, proposal in enumerate(suitable, start=1):
        fit = Decimal(proposal.fit or 0)
        decided_by = _decided_by(suitable, rank - 1)
        common: dict[str, Any] = {"rank": rank, "total": fit, "decided_by": decided_by, "step": rank,
                                  "weighted_total": fit, "score_sum": fit}
        if len(selected) < places:
            selected.append(proposal.id)
            outcomes.append(ProposalOutcome(proposal.id, "selected", reason=f"rank {rank}; suitable, fit {fit}: "
                                            f"place {len(selected)} of {_places(rules)}", selected_by="merit",
                                            reason_code="fits", **common))
        elif len(reserve) < rules.reserve_size:
            reserve.append(proposal.id)
            outcomes.append(ProposalOutcome(proposal.id, "reserve", reason=f"rank {rank}; suitable, fit {fit}, "
                                            f"beyond the {places} places: reserve position {len(reserve)}",
                                            reserve_position=len(reserve), reason_code="award_cap", **common))
        else:
            outcomes.append(ProposalOutcome(proposal.id, "not_funded", reason=f"rank {rank}; suitable, fit {fit}, "
                                            f"beyond the {places} places and the reserve list: not selected",
                                            reason_code="award_cap", **common))
    for proposal in unsuitable:
        fit = Decimal(proposal.fit or 0)
        outcomes.append(ProposalOutcome(proposal.id, "below_threshold", rank=None, total=None,
                                        reason="assessed not suitable for the mission", reason_code="not_suitable",
                                        weighted_total=fit, score_sum=fit))
    for proposal in ineligible:
        outcomes.append(ProposalOutcome(proposal.id, "ineligible", rank=None, total=None,
                                        reason="ineligible: not assessed", reason_code="ineligible"))
    return Selection(tuple(selected), tuple(reserve), None, (), tuple(outcomes))


def _places(rules: AssessmentRules) -> str:
    return "unlimited" if rules.max_awards is None else str(rules.max_awards)


def _decided_by(ordered: Sequence[Assessed], index: int) -> str:
    """What placed a suitable proposal against its neighbours: the fit score, the submission time, or the id."""
    proposal = ordered[index]
    neighbours = [ordered[i] for i in (index - 1, index + 1) if 0 <= i < len(ordered)]
    same_fit = [n for n in neighbours if n.fit == proposal.fit]
    if not same_fit:
        return "total"
    if all(n.submitted_at != proposal.submitted_at for n in same_fit):
        return "tie-break: submitted_at"
    return "id (residual tie)"


def assessment_view(rules: AssessmentRules, proposals: Sequence[Assessed]) -> tuple[Rules, list[Candidate]]:
    """The call as the readers of a selection's output see one: a single criterion (the fit score, 1 to 5), no budget
    and the same places; each proposal requests nothing, and keeps its verdict and submission time as fields."""
    core_rules = Rules(criteria=(CriterionRule(FIT_KEY, Decimal(FIT_MAX)),), max_awards=rules.max_awards,
                       reserve_size=rules.reserve_size)
    candidates = [Candidate(p.id, Decimal("0.00"), p.eligible,
                            {FIT_KEY: Decimal(p.fit)} if p.fit is not None else {},
                            {**p.fields, "verdict": p.verdict, "submitted_at": p.submitted_at}) for p in proposals]
    return core_rules, candidates


# ---------------------------------------------------------------------------------------------- documents


def is_assessment_document(data: Any) -> bool:
    return isinstance(data, Mapping) and data.get("kind") == KIND


def parse_assessment(data: Mapping[str, Any]) -> tuple[AssessmentRules, list[Assessed]]:
    """Check and convert an assessment document (module docstring); InvalidInput names the field."""
    if not isinstance(data, Mapping) or data.get("kind") != KIND:
        raise InvalidInput("expected an assessment document (kind: assessment)", field="kind")
    unknown = sorted(str(key) for key in data if key not in _TOP_KEYS)
    if unknown:
        raise InvalidInput("unknown field (expected one of: kind, proposals, rules)", field=unknown[0])
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, Mapping):
        raise InvalidInput("expected an object", field="rules")
    unknown = sorted(str(key) for key in raw_rules if key not in _RULES_KEYS)
    if unknown:
        raise InvalidInput("unknown field (expected one of: max_awards, reserve_size)", field=f"rules.{unknown[0]}")
    rules = AssessmentRules(_whole(raw_rules.get("max_awards"), "rules.max_awards", None),
                            _whole(raw_rules.get("reserve_size", 0), "rules.reserve_size", None) or 0)
    items = data.get("proposals")
    if not isinstance(items, list):
        raise InvalidInput("expected a list of proposals", field="proposals")
    proposals = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise InvalidInput("expected an object", field=f"proposals[{index}]")
        proposal_id = item.get("id")
        if not isinstance(proposal_id, str) or not proposal_id:
            raise InvalidInput("expected a non-empty string", field=f"proposals[{index}].id")
        proposals.append(Assessed(
            id=proposal_id, eligible=item.get("eligible"),  # type: ignore[arg-type]  # Assessed checks it
            verdict=item.get("verdict"), fit=_whole(item.get("fit"), "fit", proposal_id),
            submitted_at=item.get("submitted_at", ""),
            fields={key: value for key, value in item.items() if key not in _OWN_KEYS}))
    return rules, proposals


def _whole(value: Any, name: str, proposal_id: str | None) -> int | None:
    """A whole number as read_json gives it (a Decimal) or as Python writes it (an int); None stays None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or value != int(value):
        raise InvalidInput(f"expected a whole number, got {value!r}", field=name, proposal_id=proposal_id)
    return int(value)


def assessment_to_dict(rules: AssessmentRules, proposals: Sequence[Assessed]) -> dict[str, Any]:
    """The whole input document, every key explicit (what a run stores and re-runs)."""
    return {"kind": KIND, "rules": {"max_awards": rules.max_awards, "reserve_size": rules.reserve_size},
            "proposals": [{**p.fields, "id": p.id, "eligible": p.eligible, "verdict": p.verdict, "fit": p.fit,
                           "submitted_at": p.submitted_at} for p in proposals]}


def assess_document(data: Mapping[str, Any]) -> tuple[Rules, list[Candidate], Selection]:
    """Check and read an assessment document, then select: what `python -m scoring select` and the web app run on
    it; returns the selection with the call's `assessment_view`, as `select_document` does for a scored call."""
    rules, proposals = parse_assessment(data)
    core_rules, candidates = assessment_view(rules, proposals)
    return core_rules, candidates, select_by_assessment(rules, proposals)
