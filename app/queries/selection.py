"""What selection reads of a call: its proposals with their approved consensus scores, whether it is ready, and the
input document of selection-rules.md that a run (or a preview) gives the scoring core.

Tie resolutions. The rules document has no input for an officer's order: the core orders a residual tie by `id`
and reports it. To keep the contract unchanged (and `python -m scoring select` running the very same code on a
stored input), an active resolution is applied by the *ids* it gives the tied proposals: inside a resolved group
each id becomes `tie-<resolution>-<position>:<reference>` (e.g. `tie-3-001:SMP-0009`), so ordering the group by
id is the officer's order. Nothing else depends on the id of a passing proposal (rules 5 to 7 walk the merit
order), so the result is exactly the officer's order, and the input records it: such proposals also carry the
free fields `reference` and `tie_resolution`. The output still lists the group under `ties`;
`app.queries.outcomes` maps ids back to references, marks the group resolved and words the reason accordingly. A
resolution applies only while its proposals still form exactly one residual tie; when scores change it is reported
as stale.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload

from app.enums import CallState, Decision, Eligibility, ProposalStatus, ReportStatus
from app.extensions import db
from app.languages import N_
from app.models import (
    CURRENT_CONSENSUS,
    Assessment,
    Call,
    ConsensusReport,
    ConsensusScore,
    Criterion,
    Partner,
    Proposal,
    Submission,
    TieResolution,
    User,
)
from app.models.limits import MAX_RESERVE_SIZE
from app.services.errors import InvalidInput
from scoring import (
    Assessed,
    AssessmentRules,
    Rules,
    apply_eligibility,
    apply_thresholds,
    assessment_to_dict,
    assessment_view,
    describe_assessment,
    describe_rules,
    merit_order,
    parse_input,
    parse_rules,
)
from scoring import InvalidInput as ScoringInvalidInput

POLICIES = ("skip", "stop")


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
            raise InvalidInput(N_("The budget policy is skip or stop."), details={"field": "budget_policy"})
        if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= MAX_RESERVE_SIZE:
            raise InvalidInput(N_("The reserve list holds 0 to %(most)s proposals."), most=MAX_RESERVE_SIZE,
                               details={"field": "reserve_size"})
        if cover and call.coverage_field is None:
            raise InvalidInput(N_("This call has no coverage rule (no field to cover)."), details={"field": "coverage"})
        return cls(policy, size, bool(cover))

    @classmethod
    def of_rules(cls, rules: Rules) -> SelectionOptions:
        """The options a run's rules were run with."""
        return cls(rules.budget_policy, rules.reserve_size, rules.coverage is not None)

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
    # A call selected by assessment: the officer's verdict and fit score, and when the version that counts (the
    # latest) was submitted, which orders equal fit scores.
    verdict: str | None = None
    fit: int | None = None
    submitted_at: datetime | None = None


@dataclass
class CallData:
    call: Call
    rows: list[ProposalRow]
    resolutions: list[TieResolution]

    def by_reference(self) -> dict[str, ProposalRow]:
        return {row.reference: row for row in self.rows}


def proposals_statement(call_id: int | sa.BindParameter[int], *,
                        with_comments: bool = False) -> sa.Select[*tuple[Any, ...]]:
    """The columns the ranking reads of every submitted, not withdrawn proposal of the call (one row per coordinator
    flagged; unordered)."""
    has_submission = sa.exists().where(Submission.proposal_id == Proposal.id)
    coordinator = aliased(Partner)
    comment = ConsensusReport.overall_comment if with_comments else sa.null()
    return (
        sa.select(
            Proposal.id, Proposal.reference, Proposal.acronym, Proposal.title, Proposal.strand,
            Proposal.requested_grant, Proposal.eligibility, Proposal.decision, Proposal.reserve_position,
            coordinator.name.label("coordinator"), coordinator.country.label("country"),
            ConsensusReport.status.label("consensus_status"), comment.label("overall_comment"),
        )
        .outerjoin(coordinator, sa.and_(coordinator.proposal_id == Proposal.id, coordinator.is_coordinator.is_(True)))
        .outerjoin(ConsensusReport, sa.and_(ConsensusReport.proposal_id == Proposal.id, CURRENT_CONSENSUS))
        .where(Proposal.call_id == call_id, Proposal.status != ProposalStatus.WITHDRAWN, has_submission)
    )


def scores_statement(call_id: int | sa.BindParameter[int], *,
                     with_comments: bool = False) -> sa.Select[*tuple[Any, ...]]:
    """The approved consensus scores in force of the call's proposals, by proposal id and criterion key."""
    score_comment = ConsensusScore.comment if with_comments else sa.null()
    return (
        sa.select(ConsensusReport.proposal_id, Criterion.key, ConsensusScore.score, score_comment.label("comment"))
        .join(ConsensusReport, ConsensusScore.report_id == ConsensusReport.id)
        .join(Criterion, ConsensusScore.criterion_id == Criterion.id)
        .join(Proposal, ConsensusReport.proposal_id == Proposal.id)
        .where(Proposal.call_id == call_id, ConsensusReport.status == ReportStatus.APPROVED,
               CURRENT_CONSENSUS, Criterion.call_id == call_id)
    )


def active_tie_resolutions(call: Call) -> list[TieResolution]:
    """The call's tie resolutions not revoked, oldest first, with who made them."""
    return list(db.session.scalars(
        sa.select(TieResolution).options(joinedload(TieResolution.created_by).lazyload(User.role_links))
        .where(TieResolution.call_id == call.id, TieResolution.revoked_at.is_(None)).order_by(TieResolution.id)
    ))


def call_data_of(call: Call, proposals: Iterable[Any], scores: Iterable[Sequence[Any]],
                 resolutions: list[TieResolution], *, with_comments: bool = False) -> CallData:
    """The call's data from the rows of `proposals_statement` (read by column name) and `scores_statement` (by
    position: proposal id, criterion key, score, comment)."""
    rows: dict[int, ProposalRow] = {}
    for record in proposals:
        if record.id in rows:  # two partners flagged coordinator: keep the first
            continue
        rows[record.id] = ProposalRow(
            id=record.id, reference=record.reference, acronym=record.acronym or "", title=record.title or "",
            strand=record.strand, requested=record.requested_grant, eligibility=record.eligibility,
            decision=record.decision, reserve_position=record.reserve_position,
            coordinator=record.coordinator or "", country=record.country or "",
            consensus_status=record.consensus_status, overall_comment=record.overall_comment or "",
        )
    for proposal_id, key, score, comment in scores:
        row = rows.get(proposal_id)
        if row is not None:
            row.scores[key] = score
            if with_comments:
                row.comments[key] = comment or ""
    if call.is_assessed:
        _load_assessments(call, rows)
    return CallData(call, sorted(rows.values(), key=lambda row: row.reference), resolutions)


def load_call_data(call: Call, *, with_comments: bool = False) -> CallData:
    """Every submitted, not withdrawn proposal of the call with its approved consensus scores, and the active
    tie resolutions: three queries whatever the number of proposals (the call's criteria are loaded with it)."""
    proposals = db.session.execute(
        proposals_statement(call.id, with_comments=with_comments).order_by(Proposal.reference)).all()
    scores = db.session.execute(scores_statement(call.id, with_comments=with_comments)).all()
    return call_data_of(call, proposals, scores, active_tie_resolutions(call), with_comments=with_comments)


def _load_assessments(call: Call, rows: dict[int, ProposalRow]) -> None:
    """The officer's assessments and the latest submission times of a call selected by assessment: two queries."""
    assessed = sa.select(Assessment.proposal_id, Assessment.verdict, Assessment.fit).join(
        Proposal, Assessment.proposal_id == Proposal.id).where(Proposal.call_id == call.id)
    for record in db.session.execute(assessed):
        row = rows.get(record.proposal_id)
        if row is not None:
            row.verdict, row.fit = record.verdict.value, record.fit
    latest = sa.select(Submission.proposal_id, sa.func.max(Submission.submitted_at).label("at")).join(
        Proposal, Submission.proposal_id == Proposal.id).where(Proposal.call_id == call.id).group_by(
        Submission.proposal_id)
    for moment in db.session.execute(latest):
        row = rows.get(moment.proposal_id)
        if row is not None:
            row.submitted_at = moment.at


# ---------------------------------------------------------------------------------------------- input


@dataclass
class Readiness:
    """Whether the call can be ranked for real: closed, every proposal screened, every eligible one with an
    approved consensus (a score for every criterion) and, for grants, a requested amount."""

    call_open: bool = False
    pending_screening: list[str] = field(default_factory=list)
    missing_consensus: list[str] = field(default_factory=list)
    missing_amount: list[str] = field(default_factory=list)
    missing_assessment: list[str] = field(default_factory=list)
    proposals: int = 0

    @property
    def missing(self) -> set[str]:
        return {*self.pending_screening, *self.missing_consensus, *self.missing_amount, *self.missing_assessment}

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
        if self.missing_assessment:
            parts.append(f"{len(self.missing_assessment)} eligible proposal(s) are not assessed yet")
        return "The call is not ready for selection: " + "; ".join(parts) + "."

    def details(self) -> dict[str, Any]:
        return {"call_open": self.call_open, "pending_screening": self.pending_screening,
                "missing_consensus": self.missing_consensus, "missing_amount": self.missing_amount,
                "missing_assessment": self.missing_assessment}


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


def rules_document(call: Call, options: SelectionOptions) -> dict[str, Any]:
    """The "rules" object of the call's input document with these options."""
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


def assessment_rules(call: Call, options: SelectionOptions | None = None) -> AssessmentRules:
    """The places and reserve list of a call selected by assessment, with these options."""
    return AssessmentRules(max_awards=call.max_awards,
                           reserve_size=(options or SelectionOptions.defaults(call)).reserve_size)


def call_rules(call: Call) -> Rules:
    """The rules a run of the call with its default options gives the core (InvalidInput when they cannot be); for a
    call selected by assessment, the rules its runs are read back with (`scoring.assessment_view`)."""
    if call.is_assessed:
        return assessment_view(assessment_rules(call), [])[0]
    try:
        return parse_rules(rules_document(call, SelectionOptions.defaults(call)))
    except ScoringInvalidInput as error:
        raise InvalidInput(N_("The call's rules are not valid: %(problem)s"), problem=str(error)) from error


def describe_call_rules(call: Call) -> list[str]:
    """The rules the ranking will apply, in the core's own words (`scoring.describe_rules` of `call_rules`, or
    `scoring.describe_assessment` for a call selected by assessment)."""
    if call.is_assessed:
        return describe_assessment(assessment_rules(call))
    return describe_rules(call_rules(call))


def _coverage_value(row: ProposalRow, field_name: str) -> Any:
    value = getattr(row, field_name, None)
    return value if isinstance(value, str | int | bool) or value is None else str(value)


def prepare_input(data: CallData, options: SelectionOptions) -> PreparedInput:
    """The selection-rules.md document for the call with these options and its active tie resolutions.

    Proposals that are not ready (screening pending, no approved consensus, no amount) are left out and listed
    in `readiness`; a run refuses to start while any are.
    """
    call = data.call
    if call.is_assessed:
        return _prepare_assessment(data, options)
    keys = [criterion.key for criterion in call.criteria]
    readiness = Readiness(call_open=call.state() is not CallState.CLOSED, proposals=len(data.rows))
    proposals: list[dict[str, Any]] = []
    for row in data.rows:
        item: dict[str, Any] = {"id": row.reference}
        if call.coverage_field:
            item[call.coverage_field] = _coverage_value(row, call.coverage_field)
        # Event calls award slots, not money: every proposal requests 0.00.
        requested = Decimal("0.00") if call.budget is None else row.requested
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
    document = {"rules": rules_document(call, options), "proposals": proposals}
    applied, stale = _apply_tie_resolutions(document, data.resolutions)
    return PreparedInput(document, readiness, applied, stale, options)


def _utc_text(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _prepare_assessment(data: CallData, options: SelectionOptions) -> PreparedInput:
    """The assessment document (`scoring.assessment`) of a call for expression of interest: the screened-out
    proposals, and the eligible ones with the officer's assessment; the others are listed in `readiness`."""
    call = data.call
    readiness = Readiness(call_open=call.state() is not CallState.CLOSED, proposals=len(data.rows))
    proposals: list[Assessed] = []
    for row in data.rows:
        if row.eligibility is Eligibility.INELIGIBLE:
            proposals.append(Assessed(row.reference, False, submitted_at=_utc_text(row.submitted_at)))
        elif row.eligibility is Eligibility.PENDING:
            readiness.pending_screening.append(row.reference)
        elif row.verdict is None or row.fit is None:
            readiness.missing_assessment.append(row.reference)
        else:
            proposals.append(Assessed(row.reference, True, row.verdict, row.fit,  # type: ignore[arg-type]
                                      _utc_text(row.submitted_at)))
    document = assessment_to_dict(assessment_rules(call, options), proposals)
    return PreparedInput(document, readiness, [], [], options)


def build_selection_input(call: Call, *, options: SelectionOptions | None = None) -> dict[str, Any]:
    """The exact input document a run of this call with these options would score (see `prepare_input`)."""
    return prepare_input(load_call_data(call), options or SelectionOptions.defaults(call)).document


def residual_ties(document: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """The residual tie groups of an input document, by id in the core's order (rules 1, 2 and 4 only)."""
    if document.get("kind") == "assessment":  # ordered by fit, then submission time, then id: no ties reported
        return []
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
