"""Ranking and selection runs: the web side of `scoring`.

The scoring core decides; this module feeds it and records what it decided:

- `load_call_data` reads everything the ranking needs of a call in a constant number of queries;
- `build_selection_input` turns it into the JSON document of selection-rules.md (the exact input of a run);
- `run_selection` stores a run with that input, `scoring.select`'s output and the SHA-256 of both;
- `resolve_tie` records an officer's explicit order for a residual tie (see "Tie resolutions" below);
- `finalise_preview` / `finalise_run` move the proposals to selected / reserve / rejected, in two steps;
- `promote_from_reserve` records a promotion from the reserve list as a new run (app/services/promotion.py).

Tie resolutions. The rules document has no input for an officer's order: the core orders a residual tie by `id`
and reports it. To keep the contract unchanged (and `python -m scoring select` running the very same code on a
stored input), an active resolution is applied by the *ids* it gives the tied proposals: inside a resolved group
each id becomes `tie-<resolution>-<position>:<reference>` (e.g. `tie-3-001:SMP-0009`), so ordering the group by
id is the officer's order. Nothing else depends on the id of a passing proposal (rules 5 to 7 walk the merit
order), so the result is exactly the officer's order, and the input records it: such proposals also carry the
free fields `reference` and `tie_resolution`. The output still lists the group under `ties`; `read_outcomes`
maps ids back to references, marks the group resolved and words the reason accordingly. A resolution applies
only while its proposals still form exactly one residual tie; when scores change it is reported as stale.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import defer, joinedload, selectinload

from app.clock import utcnow
from app.enums import (
    CallState,
    Decision,
    Eligibility,
    ProposalStatus,
    ReportStatus,
    RunStatus,
)
from app.extensions import db
from app.models import (
    Call,
    ConsensusReport,
    ConsensusScore,
    Criterion,
    Partner,
    Proposal,
    SelectionRun,
    Submission,
    TieResolution,
    User,
)
from app.models.limits import MAX_RESERVE_SIZE, MIN_JUSTIFICATION
from app.queries.access import require_officer
from app.services.audit import record_event
from app.services.errors import InvalidInput, InvalidTransition, NotReady, StalePreview
from app.services.promotion import RELEASE_REASONS, PromotionError, build_promotion_input, promote
from scoring import (
    InvalidInput as ScoringInvalidInput,
)
from scoring import (
    ScoringError,
    apply_eligibility,
    apply_thresholds,
    canonical_json,
    input_to_dict,
    merit_order,
    parse_input,
    read_json,
    select,
    selection_to_dict,
)

POLICIES = ("skip", "stop")
TIE_ID = re.compile(r"^tie-(\d+)-(\d{3}):(.+)$")
_RESIDUAL_TIE_TEXT = re.compile(
    r"\(residual tie of (\d+) proposals on (.*?), ordered by id for the officer to resolve\)"
)

# The decision a finalised run gives each status of its output.
DECISIONS = {
    "selected": Decision.SELECTED,
    "reserve": Decision.RESERVE,
    "not_funded": Decision.REJECTED,
    "below_threshold": Decision.REJECTED,
    "ineligible": Decision.INELIGIBLE,
    "declined": Decision.DECLINED,
}
# The rule that decided a status, as the ranking and its exports name it beside the status (see scoring's
# ReasonCode; "promoted", "declined" come from a promotion). Empty where the status alone says it.
REASON_LABELS = {
    "coverage": "coverage rule", "fits": "", "budget": "budget", "stop_policy": "stop policy",
    "award_cap": "award cap", "threshold": "", "ineligible": "", "promoted": "promoted", "declined": "",
}
STATUS_LABELS = {
    "selected": "Selected", "reserve": "Reserve", "not_funded": "Not funded", "below_threshold": "Below threshold",
    "ineligible": "Ineligible", "declined": "Declined", "not_ready": "Not ready",
}


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------- options


@dataclass(frozen=True)
class SelectionOptions:
    """What an officer may choose for a run; the call gives the defaults."""

    budget_policy: str
    reserve_size: int
    coverage: bool

    @classmethod
    def defaults(cls, call: Call) -> SelectionOptions:
        return cls(call.budget_policy.value, call.reserve_size, call.coverage_field is not None)

    @classmethod
    def from_values(cls, call: Call, *, budget_policy: str | None = None, reserve_size: int | None = None,
                    coverage: bool | None = None) -> SelectionOptions:
        """The call's defaults overridden by the given values, checked (InvalidInput names the field)."""
        base = cls.defaults(call)
        policy = base.budget_policy if budget_policy is None else budget_policy
        size = base.reserve_size if reserve_size is None else reserve_size
        cover = base.coverage if coverage is None else coverage
        if policy not in POLICIES:
            raise InvalidInput("The budget policy is skip or stop.", details={"field": "budget_policy"})
        if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= MAX_RESERVE_SIZE:
            raise InvalidInput(f"The reserve list holds 0 to {MAX_RESERVE_SIZE} proposals.",
                               details={"field": "reserve_size"})
        if cover and call.coverage_field is None:
            raise InvalidInput("This call has no coverage rule (no field to cover).", details={"field": "coverage"})
        return cls(policy, size, bool(cover))

    def to_dict(self) -> dict[str, Any]:
        return {"budget_policy": self.budget_policy, "reserve_size": self.reserve_size, "coverage": self.coverage}


# ---------------------------------------------------------------------------------------------- loading


@dataclass
class ProposalRow:
    """What the ranking shows and scores of one proposal (read as plain columns, not ORM objects)."""

    id: int
    reference: str
    acronym: str
    title: str
    strand: str | None
    requested: Decimal | None
    eligibility: Eligibility
    decision: Decision | None
    reserve_position: int | None
    coordinator: str
    country: str
    consensus_status: ReportStatus | None
    scores: dict[str, Decimal | None] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    overall_comment: str = ""


@dataclass
class CallData:
    call: Call
    rows: list[ProposalRow]
    resolutions: list[TieResolution]

    def by_reference(self) -> dict[str, ProposalRow]:
        return {row.reference: row for row in self.rows}


def load_call_data(call: Call, *, with_comments: bool = False) -> CallData:
    """Every submitted, not withdrawn proposal of the call with its approved consensus scores, and the active
    tie resolutions: three queries whatever the number of proposals (the call's criteria are loaded with it)."""
    has_submission = sa.exists().where(Submission.proposal_id == Proposal.id)
    coordinator = sa.orm.aliased(Partner)
    columns = [
        Proposal.id, Proposal.reference, Proposal.acronym, Proposal.title, Proposal.strand,
        Proposal.requested_grant, Proposal.eligibility, Proposal.decision, Proposal.reserve_position,
        coordinator.name, coordinator.country, ConsensusReport.status,
    ]
    if with_comments:
        columns.append(ConsensusReport.overall_comment)
    statement = (
        sa.select(*columns)
        .outerjoin(coordinator, sa.and_(coordinator.proposal_id == Proposal.id, coordinator.is_coordinator.is_(True)))
        .outerjoin(ConsensusReport, ConsensusReport.proposal_id == Proposal.id)
        .where(Proposal.call_id == call.id, Proposal.status != ProposalStatus.WITHDRAWN, has_submission)
        .order_by(Proposal.reference)
    )
    rows: dict[int, ProposalRow] = {}
    for record in db.session.execute(statement):
        if record[0] in rows:  # two partners flagged coordinator: keep the first
            continue
        rows[record[0]] = ProposalRow(
            id=record[0], reference=record[1], acronym=record[2] or "", title=record[3] or "", strand=record[4],
            requested=record[5], eligibility=record[6], decision=record[7], reserve_position=record[8],
            coordinator=record[9] or "", country=record[10] or "", consensus_status=record[11],
            overall_comment=(record[12] or "") if with_comments else "",
        )
    score_columns = [ConsensusReport.proposal_id, Criterion.key, ConsensusScore.score]
    if with_comments:
        score_columns.append(ConsensusScore.comment)
    scores = (
        sa.select(*score_columns)
        .join(ConsensusReport, ConsensusScore.report_id == ConsensusReport.id)
        .join(Criterion, ConsensusScore.criterion_id == Criterion.id)
        .join(Proposal, ConsensusReport.proposal_id == Proposal.id)
        .where(Proposal.call_id == call.id, ConsensusReport.status == ReportStatus.APPROVED,
               Criterion.call_id == call.id)
    )
    for record in db.session.execute(scores):
        row = rows.get(record[0])
        if row is not None:
            row.scores[record[1]] = record[2]
            if with_comments:
                row.comments[record[1]] = record[3] or ""
    resolutions = list(db.session.scalars(
        sa.select(TieResolution).options(joinedload(TieResolution.created_by).lazyload(User.role_links))
        .where(TieResolution.call_id == call.id, TieResolution.revoked_at.is_(None)).order_by(TieResolution.id)
    ))
    return CallData(call, sorted(rows.values(), key=lambda row: row.reference), resolutions)


# ---------------------------------------------------------------------------------------------- input


@dataclass
class Readiness:
    """Whether the call can be ranked for real: closed, every proposal screened, every eligible one with an
    approved consensus (a score for every criterion) and, for grants, a requested amount."""

    call_open: bool = False
    pending_screening: list[str] = field(default_factory=list)
    missing_consensus: list[str] = field(default_factory=list)
    missing_amount: list[str] = field(default_factory=list)
    proposals: int = 0

    @property
    def missing(self) -> set[str]:
        return {*self.pending_screening, *self.missing_consensus, *self.missing_amount}

    @property
    def is_ready(self) -> bool:
        return not self.call_open and not self.missing and self.proposals > 0

    def message(self) -> str:
        parts = []
        if self.call_open:
            parts.append("the call is still open")
        if self.proposals == 0:
            parts.append("no proposal was submitted")
        if self.pending_screening:
            parts.append(f"{len(self.pending_screening)} proposal(s) still wait for the eligibility screening")
        if self.missing_consensus:
            parts.append(f"{len(self.missing_consensus)} eligible proposal(s) have no approved consensus report")
        if self.missing_amount:
            parts.append(f"{len(self.missing_amount)} proposal(s) request no grant amount")
        return "The call is not ready for selection: " + "; ".join(parts) + "."

    def details(self) -> dict[str, Any]:
        return {"call_open": self.call_open, "pending_screening": self.pending_screening,
                "missing_consensus": self.missing_consensus, "missing_amount": self.missing_amount}


@dataclass
class PreparedInput:
    """The input document of a run, with what the web layer needs to read its output."""

    document: dict[str, Any]
    readiness: Readiness
    applied: list[TieResolution]
    stale: list[TieResolution]
    options: SelectionOptions


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _rules(call: Call, options: SelectionOptions) -> dict[str, Any]:
    return {
        "criteria": [
            {"key": c.key, "max": str(c.max_score), "weight": str(c.weight), "threshold": _text(c.threshold)}
            for c in call.criteria
        ],
        "overall_threshold": _text(call.overall_threshold),
        "tie_break": list(call.tie_break or []),
        "budget": None if call.budget is None else f"{call.budget:.2f}",
        "max_awards": call.max_awards,
        "budget_policy": options.budget_policy,
        "reserve_size": options.reserve_size,
        "coverage": call.coverage_field if options.coverage else None,
    }


def _coverage_value(row: ProposalRow, field_name: str) -> Any:
    value = getattr(row, field_name, None)
    return value if isinstance(value, str | int | bool) or value is None else str(value)


def prepare_input(data: CallData, options: SelectionOptions) -> PreparedInput:
    """The selection-rules.md document for the call with these options and its active tie resolutions.

    Proposals that are not ready (screening pending, no approved consensus, no amount) are left out and listed
    in `readiness`; a run refuses to start while any are.
    """
    call = data.call
    keys = [criterion.key for criterion in call.criteria]
    readiness = Readiness(call_open=call.state() is not CallState.CLOSED, proposals=len(data.rows))
    proposals: list[dict[str, Any]] = []
    for row in data.rows:
        item: dict[str, Any] = {"id": row.reference}
        if call.coverage_field:
            item[call.coverage_field] = _coverage_value(row, call.coverage_field)
        if call.budget is None:
            requested: Decimal | None = Decimal("0.00")  # event calls award slots, not money
        else:
            requested = row.requested
        if row.eligibility is Eligibility.INELIGIBLE:
            item.update(requested=f"{requested or 0:.2f}", eligible=False)
            proposals.append(item)
            continue
        if row.eligibility is Eligibility.PENDING:
            readiness.pending_screening.append(row.reference)
            continue
        scores = {key: row.scores.get(key) for key in keys}
        if row.consensus_status is not ReportStatus.APPROVED or any(v is None for v in scores.values()):
            readiness.missing_consensus.append(row.reference)
            continue
        if requested is None:
            readiness.missing_amount.append(row.reference)
            continue
        item.update(requested=f"{requested:.2f}", eligible=True, scores={k: str(v) for k, v in scores.items()})
        proposals.append(item)
    document = {"rules": _rules(call, options), "proposals": proposals}
    applied, stale = _apply_tie_resolutions(document, data.resolutions)
    return PreparedInput(document, readiness, applied, stale, options)


def build_selection_input(call: Call, *, options: SelectionOptions | None = None) -> dict[str, Any]:
    """The exact input document a run of this call with these options would score (see `prepare_input`)."""
    return prepare_input(load_call_data(call), options or SelectionOptions.defaults(call)).document


def residual_ties(document: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """The residual tie groups of an input document, by id in the core's order (rules 1, 2 and 4 only)."""
    rules, candidates = parse_input(document)
    eligible, _ = apply_eligibility(candidates)
    passing, _ = apply_thresholds(rules, eligible)
    return [ranked.tie_group for ranked in merit_order(rules, passing)
            if ranked.tie_group and ranked.tie_group[0] == ranked.candidate.id]


def _apply_tie_resolutions(document: dict[str, Any],
                           resolutions: Sequence[TieResolution]) -> tuple[list[TieResolution], list[TieResolution]]:
    """Give the proposals of each resolved residual tie ids that sort in the officer's order (module docstring).

    Returns the resolutions applied and the stale ones (whose proposals no longer form one residual tie).
    """
    if not resolutions:
        return [], []
    try:
        groups = {frozenset(group) for group in residual_ties(document)}
    except ScoringInvalidInput:
        return [], list(resolutions)  # the run reports the input error itself
    by_id = {item["id"]: item for item in document["proposals"]}
    applied, stale = [], []
    for resolution in resolutions:
        order = list(resolution.ordered_references)
        if frozenset(order) not in groups:
            stale.append(resolution)
            continue
        for position, reference in enumerate(order, start=1):
            item = by_id[reference]
            item["id"] = f"tie-{resolution.id}-{position:03d}:{reference}"
            item["reference"] = reference
            item["tie_resolution"] = str(resolution.id)
        applied.append(resolution)
    return applied, stale


# ---------------------------------------------------------------------------------------------- reading outcomes


@dataclass
class Outcome:
    """One proposal of a run's output, by reference, with the reason as the officer (and letter) reads it."""

    reference: str
    status: str
    rank: int | None
    total: Decimal | None
    reason: str
    reserve_position: int | None
    decided_by: str | None
    selected_by: str | None
    failed: list[dict[str, Any]]
    requested: Decimal
    eligible: bool
    scores: dict[str, Decimal]
    fields: dict[str, Any]
    tie_resolution: int | None = None
    # The order of the decisions, as the core reports it (None in an output that predates these fields and cannot
    # be re-run): the step that decided the proposal, the budget left after that step, the rule that decided it.
    step: int | None = None
    budget_left: Decimal | None = None
    reason_code: str | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def decision(self) -> Decision:
        return DECISIONS[self.status]


@dataclass
class TieGroup:
    references: list[str]
    total: Decimal | None
    resolution_id: int | None = None

    @property
    def is_resolved(self) -> bool:
        return self.resolution_id is not None


@dataclass
class Outcomes:
    """A run's (or a preview's) output read back: outcomes in output order, ties, money."""

    rules: dict[str, Any]
    outcomes: list[Outcome]
    ties: list[TieGroup]
    remaining_budget: Decimal | None

    def by_reference(self) -> dict[str, Outcome]:
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
        return sum((outcome.requested for outcome in self.selected), Decimal("0.00"))

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("selected", "reserve", "not_funded", "below_threshold", "ineligible"), 0)
        for outcome in self.outcomes:
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        return counts


def _human_reason(reason: str, resolution_id: int) -> str:
    worded, found = _RESIDUAL_TIE_TEXT.subn(
        lambda m: f"(tie of {m.group(1)} proposals on {m.group(2)}, in the order set by the programme officer, "
                  f"tie resolution {resolution_id})", reason, count=1)
    return worded if found else f"{reason} (order set by the programme officer, tie resolution {resolution_id})"


def read_outcomes(input_document: Mapping[str, Any], output_document: Mapping[str, Any]) -> Outcomes:
    """The output of a run by proposal reference, ids of resolved ties mapped back and their reasons reworded.

    Letters and exports read outcomes through this function, never the raw output ids.
    """
    inputs: dict[str, Mapping[str, Any]] = {item["id"]: item for item in input_document["proposals"]}
    outcomes = []
    for raw in output_document["proposals"]:
        item = inputs[raw["id"]]
        resolution = int(item["tie_resolution"]) if "tie_resolution" in item else None
        reference = item.get("reference", raw["id"])
        reason = raw["reason"] if resolution is None else _human_reason(raw["reason"], resolution)
        budget_left = raw.get("budget_left")
        outcomes.append(Outcome(
            reference=reference, status=raw["status"], rank=raw["rank"],
            total=None if raw["total"] is None else Decimal(raw["total"]), reason=reason,
            reserve_position=raw.get("reserve_position"), decided_by=raw.get("decided_by"),
            selected_by=raw.get("selected_by"), failed=list(raw.get("failed") or []),
            requested=Decimal(str(item["requested"])), eligible=bool(item["eligible"]),
            scores={key: Decimal(str(value)) for key, value in (item.get("scores") or {}).items()},
            fields={k: v for k, v in item.items()
                    if k not in {"id", "requested", "eligible", "scores", "reference", "tie_resolution"}},
            tie_resolution=resolution, step=raw.get("step"),
            budget_left=None if budget_left is None else Decimal(budget_left), reason_code=raw.get("reason_code"),
        ))
    totals = {outcome.reference: outcome.total for outcome in outcomes}
    ties = []
    for group in output_document["ties"]:
        references = [inputs[i].get("reference", i) for i in group]
        resolution_ids = {inputs[i].get("tie_resolution") for i in group}
        resolved = int(next(iter(resolution_ids))) if len(resolution_ids) == 1 and None not in resolution_ids \
            else None
        ties.append(TieGroup(references, totals.get(references[0]), resolved))
    remaining = output_document["remaining_budget"]
    return Outcomes(dict(input_document["rules"]), outcomes, ties, None if remaining is None else Decimal(remaining))


def run_outcomes(run: SelectionRun) -> Outcomes:
    """The stored output of a run, read back (see `read_outcomes` and `decided_output`)."""
    return read_outcomes(json.loads(run.input_json), decided_output(run))


def summarise(outcomes: Outcomes) -> dict[str, Any]:
    counts = outcomes.counts()
    return {
        **counts,
        "selected_total": f"{outcomes.selected_total:.2f}",
        "remaining_budget": None if outcomes.remaining_budget is None else f"{outcomes.remaining_budget:.2f}",
        "ties": len(outcomes.ties),
        "unresolved_ties": len(outcomes.unresolved_ties),
    }


# ---------------------------------------------------------------------------------------------- runs


def score(document: Mapping[str, Any]) -> dict[str, Any]:
    """Run the scoring core on an input document; returns the output document (InvalidInput on bad input)."""
    try:
        return selection_to_dict(select(*parse_input(document)))
    except ScoringInvalidInput as error:
        raise InvalidInput(f"The selection input is invalid: {error}",
                           details={"proposal": error.proposal_id, "field": error.field}) from error


def score_document(document: Mapping[str, Any]) -> tuple[str, str]:
    """Score an input document: (canonical input JSON, canonical output JSON). The web app, the re-run check and
    `python -m scoring select` all run `scoring.parse_input` then `scoring.select` on the same document."""
    try:
        rules, candidates = parse_input(document)
        selection = select(rules, candidates)
    except ScoringInvalidInput as error:
        raise InvalidInput(f"The selection input is invalid: {error}",
                           details={"proposal": error.proposal_id, "field": error.field}) from error
    return canonical_json(input_to_dict(rules, candidates)), canonical_json(selection_to_dict(selection))


def rerun(run: SelectionRun) -> str:
    """Re-run a stored run from its stored input alone; returns the canonical output JSON."""
    document = json.loads(run.input_json)
    if document.get("kind") == "promotion":
        return canonical_json(promote(document))
    rules, candidates = parse_input(read_json(run.input_json))
    return canonical_json(selection_to_dict(select(rules, candidates)))


# Runs stored before the core reported the order of its decisions. The core added these fields to each proposal of
# its output and changed nothing else, so such a run re-runs to its stored output plus these fields: that is how
# it is verified, and how its readers get them (`decided_output`).
DECISION_FIELDS = ("step", "budget_left", "reason_code")


def predates_decision_fields(output: Mapping[str, Any]) -> bool:
    """True for an output stored before the core reported step, budget left and reason code."""
    return not any("reason_code" in item for item in output["proposals"])


def _without_decision_fields(output: Mapping[str, Any]) -> dict[str, Any]:
    return {**output, "proposals": [{key: value for key, value in item.items() if key not in DECISION_FIELDS}
                                    for item in output["proposals"]]}


def decided_output(run: SelectionRun) -> dict[str, Any]:
    """The run's stored output; for a run stored before the core reported the order of its decisions, the re-run
    of its stored input, which carries them, provided it reproduces every stored field exactly (otherwise the stored
    output as it is: its readers then show no step, budget left or reason code rather than guess them)."""
    output: dict[str, Any] = json.loads(run.output_json)
    if not predates_decision_fields(output):
        return output
    try:
        again: dict[str, Any] = json.loads(rerun(run))
    except (ScoringError, PromotionError, LookupError, TypeError, ValueError):  # an input that cannot be re-run
        return output
    return again if _without_decision_fields(again) == output else output


def verify_run(run: SelectionRun) -> bool:
    """True when the stored hashes match and re-running the stored input gives byte-identical output — for a run
    stored before the core reported the order of its decisions, once those added fields are left out."""
    if sha256_text(run.input_json) != run.input_sha256 or sha256_text(run.output_json) != run.output_sha256:
        return False
    again = rerun(run)
    if again == run.output_json:
        return True
    return predates_decision_fields(json.loads(run.output_json)) and \
        canonical_json(_without_decision_fields(json.loads(again))) == run.output_json


def _lock_call(call_id: int) -> None:
    """Serialise the selection writes of one call (run numbers, finalisation): a row lock on PostgreSQL that still
    lets other rows reference the call; SQLite has one writer at a time anyway."""
    db.session.execute(sa.select(Call.id).where(Call.id == call_id).with_for_update(key_share=True))


def _next_number(call: Call) -> int:
    _lock_call(call.id)
    latest = db.session.scalar(sa.select(sa.func.max(SelectionRun.number)).where(SelectionRun.call_id == call.id))
    return (latest or 0) + 1


def run_selection(call: Call, *, actor: User | None, options: SelectionOptions | None = None,
                  note: str = "") -> SelectionRun:
    """Rank and select the call's proposals and record the run (input, output, both hashes).

    Refuses (NotReady, 409) while the call is open or any proposal lacks screening or an approved consensus.
    Side effects: a SelectionRun, an audit event; flushes.
    """
    require_officer(actor, to="rank and select proposals")
    options = options or SelectionOptions.defaults(call)
    prepared = prepare_input(load_call_data(call), options)
    if not prepared.readiness.is_ready:
        raise NotReady(prepared.readiness.message(), details=prepared.readiness.details())
    input_json, output_json = score_document(prepared.document)
    outcomes = read_outcomes(json.loads(input_json), json.loads(output_json))
    run = SelectionRun(
        call_id=call.id, number=_next_number(call), status=RunStatus.DRAFT,
        options={**options.to_dict(), "tie_resolutions": [r.id for r in prepared.applied]},
        input_json=input_json, output_json=output_json, input_sha256=sha256_text(input_json),
        output_sha256=sha256_text(output_json), note=note.strip(), summary=summarise(outcomes),
        created_by_id=actor.id if actor else None, created_at=utcnow(),
    )
    db.session.add(run)
    db.session.flush()
    record_event(actor, "selection.run", object_type="selection_run", object_id=run.id, call=call.code,
                 number=run.number, options=run.options, input_sha256=run.input_sha256,
                 output_sha256=run.output_sha256, selected=run.summary["selected"])
    return run


def list_runs(call: Call) -> list[SelectionRun]:
    """The call's runs, newest first, without their (large) input and output."""
    return list(db.session.scalars(
        sa.select(SelectionRun).options(
            defer(SelectionRun.input_json), defer(SelectionRun.output_json), joinedload(SelectionRun.created_by),
            selectinload(SelectionRun.parent_run).load_only(SelectionRun.number),
        ).where(SelectionRun.call_id == call.id).order_by(SelectionRun.number.desc())
    ))

def run_in_force(call: Call) -> SelectionRun | None:
    """The finalised run whose decisions stand (at most one per call)."""
    return db.session.scalar(sa.select(SelectionRun).options(
        defer(SelectionRun.input_json), defer(SelectionRun.output_json)
    ).where(SelectionRun.call_id == call.id, SelectionRun.status == RunStatus.FINALISED,
            SelectionRun.superseded_at.is_(None)))


# ---------------------------------------------------------------------------------------------- ties


def resolve_tie(call: Call, *, actor: User | None, ordered_references: Sequence[str],
                justification: str) -> TieResolution:
    """Record the officer's explicit order for one current residual tie, with a written justification.

    The order must name exactly the proposals of one residual tie of the current ranking. A previous resolution
    of the same proposals is revoked. Takes effect in the next run. Side effects: rows, audit events; flushes.
    """
    require_officer(actor, to="rank and select proposals")
    order = [reference.strip() for reference in ordered_references if reference.strip()]
    justification = " ".join(justification.split())
    if len(justification) < MIN_JUSTIFICATION:
        raise InvalidInput(f"Write a justification of at least {MIN_JUSTIFICATION} characters.",
                           details={"field": "justification"})
    if len(set(order)) != len(order) or len(order) < 2:
        raise InvalidInput("Give each tied proposal once, in the order you decide.", details={"field": "order"})
    data = load_call_data(call)
    # The ties of the plain input (no resolution applied), by reference.
    plain = prepare_input(CallData(call, data.rows, []), SelectionOptions.defaults(call)).document
    try:
        groups = [frozenset(group) for group in residual_ties(plain)]
    except ScoringInvalidInput as error:
        raise InvalidInput(f"The selection input is invalid: {error}") from error
    if frozenset(order) not in groups:
        raise InvalidInput("These proposals are not one residual tie of the current ranking.",
                           details={"field": "order", "ties": [sorted(group) for group in groups]})
    previous = db.session.scalars(sa.select(TieResolution).where(
        TieResolution.call_id == call.id, TieResolution.revoked_at.is_(None))).all()
    for old in previous:
        if frozenset(old.ordered_references) == frozenset(order):
            _revoke(old, actor)
    resolution = TieResolution(call_id=call.id, ordered_references=order, justification=justification,
                               created_by_id=actor.id if actor else 0, created_at=utcnow())
    db.session.add(resolution)
    db.session.flush()
    record_event(actor, "selection.tie_resolved", object_type="tie_resolution", object_id=resolution.id,
                 call=call.code, order=order, justification=justification)
    return resolution


def _revoke(resolution: TieResolution, actor: User | None) -> None:
    resolution.revoked_at = utcnow()
    resolution.revoked_by_id = actor.id if actor else None
    record_event(actor, "selection.tie_resolution_revoked", object_type="tie_resolution",
                 object_id=resolution.id, order=list(resolution.ordered_references))


def revoke_tie_resolution(resolution: TieResolution, *, actor: User | None) -> None:
    """Withdraw a resolution (runs already made keep it in their input). Side effects: audit; flushes."""
    require_officer(actor, to="rank and select proposals")
    if resolution.revoked_at is not None:
        raise InvalidTransition("This tie resolution was already revoked.")
    _revoke(resolution, actor)
    db.session.flush()


def list_tie_resolutions(call: Call) -> list[TieResolution]:
    return list(db.session.scalars(
        sa.select(TieResolution).options(sa.orm.joinedload(TieResolution.created_by))
        .where(TieResolution.call_id == call.id).order_by(TieResolution.id.desc())
    ))


# ---------------------------------------------------------------------------------------------- finalisation


@dataclass
class Change:
    reference: str
    acronym: str
    before: Decision | None
    before_position: int | None
    after: Decision
    after_position: int | None


@dataclass
class FinalisePreview:
    run: SelectionRun
    outcomes: Outcomes
    changes: list[Change]
    counts: dict[str, int]
    references: dict[str, list[str]]
    selected_total: Decimal
    token: str
    blockers: list[str]

    @property
    def can_finalise(self) -> bool:
        return not self.blockers


def _blockers(run: SelectionRun, in_force: SelectionRun | None, data: CallData) -> list[str]:
    """Why this run cannot be finalised now (empty when it can)."""
    if run.status is RunStatus.FINALISED:
        return [f"Run {run.number} is already final."]
    if run.is_promotion:
        if in_force is None or in_force.id != run.parent_run_id:
            return [f"Run {run.number} promotes from a run that is no longer in force; promote again from the "
                    "run in force."]
        return []
    if in_force is not None:
        return [f"Run {in_force.number} is final and in force. To change its outcome, promote from its reserve "
                "list."]
    try:
        options = SelectionOptions.from_values(data.call, **{k: run.options.get(k) for k in
                                                              ("budget_policy", "reserve_size", "coverage")})
    except InvalidInput as error:
        return [f"The call's rules changed since run {run.number} was made ({error.message}); run the selection "
                "again."]
    prepared = prepare_input(data, options)
    if not prepared.readiness.is_ready:
        return [prepared.readiness.message()]
    input_json, _ = score_document(prepared.document)
    if sha256_text(input_json) != run.input_sha256:
        return [f"Scores, screening, rules or tie resolutions changed since run {run.number} was made: run the "
                "selection again and finalise the new run."]
    return []


def _token(run: SelectionRun, data: CallData, in_force: SelectionRun | None) -> str:
    state = sorted((row.reference, row.decision.value if row.decision else None, row.reserve_position)
                   for row in data.rows)
    material = canonical_json({"run": run.id, "output": run.output_sha256, "status": run.status.value,
                               "in_force": in_force.id if in_force else None, "proposals": state})
    return sha256_text(material)


def finalise_preview(run: SelectionRun) -> FinalisePreview:
    """What finalising the run would change (counts, references, total amount) and the token that confirms it."""
    data = load_call_data(run.call)
    in_force = run_in_force(run.call)
    outcomes = run_outcomes(run)
    rows = data.by_reference()
    changes, references = [], {decision.value: [] for decision in Decision}
    for outcome in outcomes.outcomes:
        row = rows.get(outcome.reference)
        after = outcome.decision
        references[after.value].append(outcome.reference)
        before = row.decision if row else None
        before_position = row.reserve_position if row else None
        if (before, before_position) != (after, outcome.reserve_position):
            changes.append(Change(outcome.reference, row.acronym if row else "", before, before_position, after,
                                  outcome.reserve_position))
    counts = {decision: len(items) for decision, items in references.items()}
    return FinalisePreview(run, outcomes, changes, counts, references, outcomes.selected_total,
                           _token(run, data, in_force), _blockers(run, in_force, data))


def finalise_run(run: SelectionRun, *, actor: User | None, token: str) -> FinalisePreview:
    """Make the run final: each proposal gets its decision (selected, reserve with position, rejected, ineligible,
    declined), the run is locked, and a promotion run supersedes its parent.

    `token` must be the one of a fresh preview (StalePreview, 409, otherwise). Side effects: proposals' decision
    columns, the run, one audit event per proposal and one for the run; flushes.
    """
    require_officer(actor, to="rank and select proposals")
    _lock_call(run.call_id)
    db.session.refresh(run)
    preview = finalise_preview(run)
    if preview.blockers:
        raise InvalidTransition(preview.blockers[0], details={"blockers": preview.blockers})
    if token != preview.token:
        raise StalePreview("The preview is out of date (the proposals or runs changed since it was shown); "
                           "open the preview again and confirm it.")
    now = utcnow()
    outcomes = preview.outcomes.by_reference()
    proposals = db.session.scalars(sa.select(Proposal).where(Proposal.call_id == run.call_id,
                                                             Proposal.reference.in_(list(outcomes)))).all()
    for proposal in proposals:
        outcome = outcomes[proposal.reference]
        proposal.decision = outcome.decision
        proposal.reserve_position = outcome.reserve_position
        proposal.decided_at = now
        record_event(actor, "proposal.decided", object_type="proposal", object_id=proposal.reference,
                     run=run.number, decision=outcome.decision.value, reserve_position=outcome.reserve_position,
                     reason=outcome.reason)
    run.status = RunStatus.FINALISED
    run.finalised_at = now
    run.finalised_by_id = actor.id if actor else None
    if run.parent_run is not None:
        run.parent_run.superseded_at = now
    record_event(actor, "selection.finalised", object_type="selection_run", object_id=run.id,
                 call=run.call.code, number=run.number, output_sha256=run.output_sha256,
                 counts=preview.counts, selected_total=f"{preview.selected_total:.2f}",
                 supersedes=run.parent_run.number if run.parent_run is not None else None)
    db.session.flush()
    return preview


# ---------------------------------------------------------------------------------------------- promotion


def promote_from_reserve(run: SelectionRun, *, actor: User | None, reference: str, reason: str,
                         note: str) -> SelectionRun:
    """Record that a selected proposal of the run in force declined or was found ineligible, and promote the
    first reserve proposal that fits the freed budget, as a new (draft) run whose parent is `run`.

    Side effects: a SelectionRun, an audit event; flushes. Finalising the new run makes it the one in force.
    """
    require_officer(actor, to="rank and select proposals")
    if not run.is_in_force:
        raise InvalidTransition(f"Run {run.number} is not the finalised run in force; promote from that one.")
    if reason not in RELEASE_REASONS:
        raise InvalidInput("The reason is declined or ineligible.", details={"field": "reason"})
    note = " ".join(note.split())
    if len(note) < 10:
        raise InvalidInput("Say what happened in a short note (at least 10 characters).", details={"field": "note"})
    parent_input, parent_output = json.loads(run.input_json), json.loads(run.output_json)
    outcomes = read_outcomes(parent_input, parent_output)
    released = outcomes.by_reference().get(reference)
    if released is None or released.status != "selected":
        raise InvalidInput(f"{reference} is not selected in run {run.number}.", details={"field": "reference"})
    ids = {item.get("reference", item["id"]): item["id"] for item in parent_input["proposals"]}
    document = build_promotion_input(parent_input, parent_output, parent_number=run.number,
                                     parent_output_sha256=run.output_sha256, released_id=ids[reference],
                                     reason=reason)
    try:
        output = promote(document)
    except PromotionError as error:
        raise InvalidInput(str(error)) from error
    input_json, output_json = canonical_json(document), canonical_json(output)
    promoted = [o.reference for o in read_outcomes(document, output).selected
                if o.selected_by == "reserve" and o.reference not in {s.reference for s in outcomes.selected}]
    child = SelectionRun(
        call_id=run.call_id, number=_next_number(run.call), status=RunStatus.DRAFT,
        options={**{k: v for k, v in run.options.items() if k != "promotion"},
                 "promotion": {"released": reference, "reason": reason, "promoted": promoted[0] if promoted else None}},
        input_json=input_json, output_json=output_json, input_sha256=sha256_text(input_json),
        output_sha256=sha256_text(output_json), note=note, parent_run_id=run.id,
        summary=summarise(read_outcomes(document, output)), created_by_id=actor.id if actor else None,
        created_at=utcnow(),
    )
    db.session.add(child)
    db.session.flush()
    record_event(actor, "selection.promotion", object_type="selection_run", object_id=child.id,
                 call=run.call.code, number=child.number, parent=run.number, released=reference, reason=reason,
                 promoted=promoted[0] if promoted else None, note=note)
    return child


# ---------------------------------------------------------------------------------------------- comparison


@dataclass
class ComparedProposal:
    reference: str
    acronym: str
    a: Outcome | None
    b: Outcome | None

    @property
    def status_changed(self) -> bool:
        return (self.a.status if self.a else None) != (self.b.status if self.b else None) or \
            (self.a.reserve_position if self.a else None) != (self.b.reserve_position if self.b else None)

    @property
    def rank_changed(self) -> bool:
        return (self.a.rank if self.a else None) != (self.b.rank if self.b else None)

    @property
    def input_changed(self) -> bool:
        if self.a is None or self.b is None:
            return True
        return (self.a.scores, self.a.requested, self.a.eligible) != (self.b.scores, self.b.requested, self.b.eligible)


@dataclass
class Comparison:
    a: SelectionRun
    b: SelectionRun
    a_outcomes: Outcomes
    b_outcomes: Outcomes
    proposals: list[ComparedProposal]
    option_changes: list[tuple[str, Any, Any]]
    rule_changes: list[tuple[str, Any, Any]]

    @property
    def changed(self) -> list[ComparedProposal]:
        return [p for p in self.proposals if p.status_changed]

    @property
    def rank_only(self) -> list[ComparedProposal]:
        return [p for p in self.proposals if p.rank_changed and not p.status_changed]

    @property
    def input_changed(self) -> list[ComparedProposal]:
        return [p for p in self.proposals if p.input_changed]


OPTION_LABELS = {"budget_policy": "Budget policy", "reserve_size": "Reserve list size", "coverage": "Coverage rule",
                 "tie_resolutions": "Tie resolutions applied", "promotion": "Promotion"}


def compare_runs(a: SelectionRun, b: SelectionRun, *, acronyms: Mapping[str, str] | None = None) -> Comparison:
    """Side by side: which proposals change status (or reserve position, or rank) between two runs, and why —
    each side's reason, the options and rules that differ, and the proposals whose input differs."""
    a_outcomes, b_outcomes = run_outcomes(a), run_outcomes(b)
    a_by, b_by = a_outcomes.by_reference(), b_outcomes.by_reference()
    order = [o.reference for o in b_outcomes.outcomes] + [r for r in a_by if r not in b_by]
    acronyms = acronyms or {}
    proposals = [ComparedProposal(ref, acronyms.get(ref, ""), a_by.get(ref), b_by.get(ref)) for ref in order]
    keys = sorted({*a.options, *b.options})
    option_changes = [(OPTION_LABELS.get(k, k), _option_text(k, a.options.get(k)), _option_text(k, b.options.get(k)))
                      for k in keys if a.options.get(k) != b.options.get(k)]
    rule_keys = ("criteria", "overall_threshold", "tie_break", "budget", "max_awards")
    rule_changes = [(k, a_outcomes.rules.get(k), b_outcomes.rules.get(k)) for k in rule_keys
                    if a_outcomes.rules.get(k) != b_outcomes.rules.get(k)]
    return Comparison(a, b, a_outcomes, b_outcomes, proposals, option_changes, rule_changes)


def _option_text(key: str, value: Any) -> str:
    """An option's value as the comparison shows it: on/off, '#3, #4', 'none'."""
    if value is None or value == []:
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    if key == "tie_resolutions":
        return ", ".join(f"#{item}" for item in value)
    if key == "promotion" and isinstance(value, Mapping):
        return f"{value.get('released')} {value.get('reason')}, promoted {value.get('promoted') or 'nobody'}"
    return str(value)


def describe_options(options: Mapping[str, Any]) -> str:
    """'skip policy, reserve 10, coverage on' — how a run's options read in lists."""
    parts = [f"{options.get('budget_policy', 'skip')} policy", f"reserve {options.get('reserve_size', 0)}",
             f"coverage {'on' if options.get('coverage') else 'off'}"]
    if options.get("tie_resolutions"):
        parts.append(f"{len(options['tie_resolutions'])} tie resolution(s)")
    promotion = options.get("promotion")
    if promotion:
        parts.append(f"promotion after {promotion.get('released')} {promotion.get('reason')}")
    return ", ".join(parts)


def acronyms_of(call: Call, references: Iterable[str] | None = None) -> dict[str, str]:
    """Reference → acronym for the call's proposals (one query)."""
    statement = sa.select(Proposal.reference, Proposal.acronym).where(Proposal.call_id == call.id)
    if references is not None:
        statement = statement.where(Proposal.reference.in_(list(references)))
    return {reference: acronym or "" for reference, acronym in db.session.execute(statement)}
