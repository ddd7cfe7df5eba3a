"""Consensus reports: drafted by the rapporteur once every IER is in, approved by the officer.

The approved consensus scores are what ranking uses (`ConsensusScore` rows of APPROVED reports); a call is
"ready to rank" when every eligible proposal has one (`call_ready_to_rank`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from app.clock import utcnow
from app.enums import AssignmentState, Eligibility, ProposalStatus, ReportStatus
from app.extensions import db
from app.inputs import ScoreInput
from app.models import Assignment, Call, ConsensusReport, ConsensusScore, Criterion, IndividualReport, Proposal, User
from app.models.limits import MIN_REASON_LENGTH
from app.queries.access import is_officer, require_officer
from app.queries.evaluation import (
    Access,
    active_assignments,
    counts_toward_k,
    evaluator_view,
)
from app.services.audit import record_event
from app.services.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from app.services.reviews import apply_scores, completeness_errors, score_inputs
from app.services.screening import selection_finalised

DIVERGENCE = Decimal(2)  # evaluators who differ by this much or more are flagged for discussion


@dataclass(frozen=True)
class Spread:
    """The individual scores on one criterion: the consensus page shows them beside the consensus score."""

    criterion: Criterion
    scores: tuple[Decimal, ...]

    @property
    def minimum(self) -> Decimal | None:
        return min(self.scores) if self.scores else None

    @property
    def maximum(self) -> Decimal | None:
        return max(self.scores) if self.scores else None

    @property
    def mean(self) -> Decimal | None:
        if not self.scores:
            return None
        return (sum(self.scores, Decimal(0)) / len(self.scores)).quantize(Decimal("0.01"), ROUND_HALF_UP)

    @property
    def divergent(self) -> bool:
        return bool(self.scores) and (max(self.scores) - min(self.scores)) >= DIVERGENCE


def spreads(criteria: list[Criterion], reports: list[IndividualReport]) -> list[Spread]:
    """Min, max, mean and the divergence flag per criterion, over the submitted reports."""
    by_criterion: dict[int, list[Decimal]] = {c.id: [] for c in criteria}
    for report in reports:
        for score in report.scores:
            if score.score is not None and score.criterion_id in by_criterion:
                by_criterion[score.criterion_id].append(score.score)
    return [Spread(c, tuple(by_criterion[c.id])) for c in criteria]


@dataclass(frozen=True)
class Readiness:
    ready: bool
    submitted: int
    expected: int
    message: str
    reports: tuple[IndividualReport, ...] = ()
    rapporteur: Assignment | None = None


def readiness(proposal: Proposal) -> Readiness:
    """Consensus opens when the proposal's k evaluators are published and have all submitted their IER."""
    k = proposal.call.evaluators_per_proposal
    active = [a for a in active_assignments(proposal.id) if counts_toward_k(a)]
    done = [a for a in active if a.state is AssignmentState.PUBLISHED and a.report is not None
            and a.report.status is not ReportStatus.DRAFT]
    expected = max(k, len(active))
    rapporteur = next((a for a in active if a.is_rapporteur), None)
    reports = tuple(a.report for a in done if a.report is not None)
    if len(done) >= k and len(done) == len(active):
        return Readiness(True, len(done), expected, "Every individual report is in.", reports, rapporteur)
    return Readiness(False, len(done), expected,
                     f"{len(done)} of {expected} individual reports are submitted; the consensus opens when all "
                     f"are in.", reports, rapporteur)


def consensus_of(proposal: Proposal) -> ConsensusReport | None:
    return db.session.scalar(sa.select(ConsensusReport).where(ConsensusReport.proposal_id == proposal.id))


def _require_rapporteur(proposal: Proposal, actor: User) -> Readiness:
    state = readiness(proposal)
    rapporteur = state.rapporteur
    if rapporteur is None or rapporteur.evaluator_id != actor.id:
        # Another evaluator of the proposal may read the consensus, not draft it; others must not know of it.
        if is_officer(actor) or evaluator_view(actor, proposal).access is Access.FULL:
            raise NotAllowed("Only the rapporteur drafts the consensus report.")
        raise NotFound("There is no such proposal.")
    if evaluator_view(actor, proposal, assignment=rapporteur).access is not Access.FULL:
        raise NotFound("There is no such proposal.")
    if not state.ready:
        raise InvalidTransition(state.message)
    return state


def save_consensus(proposal: Proposal, *, actor: User, scores: Mapping[str, ScoreInput],
                   overall_comment: str | None = None, submit: bool = False,
                   now: datetime | None = None) -> ConsensusReport:
    """The rapporteur saves the consensus draft (and, with `submit`, sends it to the officer for approval).

    Side effects: the report and its scores (created on the first save), audit events.
    """
    _require_rapporteur(proposal, actor)
    report = consensus_of(proposal)
    if report is not None and report.status is not ReportStatus.DRAFT:
        raise InvalidTransition("The consensus report is submitted; the officer can reopen it.")
    criteria = list(proposal.call.criteria)
    parsed = score_inputs(criteria, scores)
    if report is None:
        report = ConsensusReport(proposal_id=proposal.id, status=ReportStatus.DRAFT, overall_comment="")
        db.session.add(report)
    report.rapporteur_id = actor.id
    apply_scores(report.scores, parsed, ConsensusScore)
    if overall_comment is not None:
        report.overall_comment = (overall_comment or "").strip()
    report.updated_at = now or utcnow()
    db.session.flush()
    record_event(actor, "consensus.saved", object_type="consensus_report", object_id=report.id,
                 proposal_id=proposal.id)
    if submit:
        submit_consensus(proposal, actor=actor, now=now)
    return report


def _scores_of(report: ConsensusReport | None) -> dict[int, tuple[Decimal | None, str]]:
    return {} if report is None else {s.criterion_id: (s.score, s.comment) for s in report.scores}


def submit_consensus(proposal: Proposal, *, actor: User, now: datetime | None = None) -> ConsensusReport:
    """The rapporteur submits the complete consensus for the officer's approval."""
    _require_rapporteur(proposal, actor)
    report = consensus_of(proposal)
    if report is not None and report.status is not ReportStatus.DRAFT:
        raise InvalidTransition("The consensus report is already submitted.")
    errors = completeness_errors(list(proposal.call.criteria), _scores_of(report),
                                 report.overall_comment if report else "")
    if errors:
        raise InvalidInput("The consensus report is not complete: " + " ".join(errors.values()),
                           details={"fields": errors})
    assert report is not None  # noqa: S101 - an empty report cannot be complete
    report.status = ReportStatus.SUBMITTED
    report.submitted_at = now or utcnow()
    db.session.flush()
    record_event(actor, "consensus.submitted", object_type="consensus_report", object_id=report.id,
                 proposal_id=proposal.id, scores={s.criterion.key: str(s.score) for s in report.scores})
    return report


def approve_consensus(proposal: Proposal, *, actor: User, now: datetime | None = None) -> ConsensusReport:
    """The officer approves the submitted consensus: its scores are what ranking uses.

    Side effects: status APPROVED with who and when, an audit event.
    """
    require_officer(actor)
    report = consensus_of(proposal)
    if report is None or report.status is ReportStatus.DRAFT:
        raise InvalidTransition("The rapporteur has not submitted the consensus report yet.")
    if report.status is ReportStatus.APPROVED:
        raise InvalidTransition("This consensus report is already approved.")
    if proposal.eligibility is not Eligibility.ELIGIBLE or proposal.status is not ProposalStatus.SUBMITTED:
        raise InvalidTransition("Only eligible proposals get an approved consensus.")
    state = readiness(proposal)
    if not state.ready:
        raise InvalidTransition(state.message)
    errors = completeness_errors(list(proposal.call.criteria), _scores_of(report), report.overall_comment)
    if errors:
        raise InvalidInput("The consensus report is not complete: " + " ".join(errors.values()),
                           details={"fields": errors})
    now = now or utcnow()
    report.status = ReportStatus.APPROVED
    report.approved_at, report.approved_by_id = now, actor.id
    db.session.flush()
    record_event(actor, "consensus.approved", object_type="consensus_report", object_id=report.id,
                 proposal_id=proposal.id, reference=proposal.reference,
                 scores={s.criterion.key: str(s.score) for s in report.scores})
    return report


def reopen_consensus(proposal: Proposal, *, actor: User, reason: str) -> ConsensusReport:
    """Send a submitted or approved consensus back to the rapporteur as a draft, with a reason (audited).

    Refused once the call's selection is finalised. Side effects: status DRAFT, approval cleared, an audit event.
    """
    require_officer(actor)
    report = consensus_of(proposal)
    if report is None or report.status is ReportStatus.DRAFT:
        raise InvalidTransition("The consensus report is a draft already.")
    if selection_finalised(proposal.call):
        raise InvalidTransition("The selection of this call is finalised: the consensus can no longer change.")
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise InvalidInput(f"Give the reason for reopening (at least {MIN_REASON_LENGTH} characters).",
                           details={"field": "reason"})
    previous = report.status
    record_event(actor, "consensus.reopened", object_type="consensus_report", object_id=report.id,
                 proposal_id=proposal.id, reference=proposal.reference, previous=previous.value, reason=reason,
                 approved_at=report.approved_at.isoformat() if report.approved_at else None,
                 scores={s.criterion.key: str(s.score) for s in report.scores})
    report.status = ReportStatus.DRAFT
    report.submitted_at = None
    report.approved_at = None
    report.approved_by_id = None
    db.session.flush()
    return report


def _named(references: list[str], limit: int = 10) -> str:
    shown = ", ".join(references[:limit])
    return shown + (f" and {len(references) - limit} more" if len(references) > limit else "")


def ready_to_rank_reasons(rows: list[tuple[str, Eligibility, ReportStatus | None]]) -> list[str]:
    """Why a call is not ready to rank, from (reference, eligibility, consensus status) of its submitted proposals."""
    pending = [ref for ref, eligibility, _ in rows if eligibility is Eligibility.PENDING]
    eligible = [(ref, status) for ref, eligibility, status in rows if eligibility is Eligibility.ELIGIBLE]
    without = [ref for ref, status in eligible if status is not ReportStatus.APPROVED]
    reasons = []
    if not rows:
        reasons.append("No proposal was submitted.")
    if pending:
        reasons.append(f"{len(pending)} proposal{'s await' if len(pending) != 1 else ' awaits'} screening: "
                       f"{_named(pending)}.")
    if rows and not eligible and not pending:
        reasons.append("No proposal is eligible.")
    if without:
        reasons.append(f"{len(without)} eligible proposal{'s have' if len(without) != 1 else ' has'} no approved "
                       f"consensus: {_named(without)}.")
    return reasons


def call_ready_to_rank(call: Call) -> tuple[bool, list[str]]:
    """Whether ranking can run: every submitted proposal screened, every eligible one with an approved consensus.

    Returns (ready, the reasons it is not), in one query whatever the number of proposals.
    """
    rows = db.session.execute(
        sa.select(Proposal.reference, Proposal.eligibility, ConsensusReport.status)
        .outerjoin(ConsensusReport, ConsensusReport.proposal_id == Proposal.id)
        .where(Proposal.call_id == call.id, Proposal.status == ProposalStatus.SUBMITTED)
        .order_by(Proposal.number)
    ).all()
    reasons = ready_to_rank_reasons([(r[0], r[1], r[2]) for r in rows])
    return not reasons, reasons
