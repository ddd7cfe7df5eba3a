"""Consensus reports: drafted by the rapporteur once every IER is in, approved by the officer, reopened with a reason.

The approved consensus scores are what ranking uses (`ConsensusScore` rows of APPROVED reports). What pages read of
the consensus (whether it is open, the spread of the individual scores) is in app.queries.consensus.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from app.clock import utcnow
from app.enums import Eligibility, ProposalStatus, ReportStatus
from app.extensions import db
from app.inputs import ScoreInput
from app.languages import N_
from app.models import ConsensusReport, ConsensusScore, Proposal, User
from app.models.limits import MIN_REASON_LENGTH
from app.queries.access import is_officer, require_officer
from app.queries.consensus import Readiness, consensus_of, readiness
from app.queries.evaluation import Access, evaluator_view
from app.queries.screening import selection_finalised
from app.report_scores import completeness_errors, incomplete, parse_scores, scores_of, write_scores
from app.services.audit import record_event
from app.services.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound


def _require_rapporteur(proposal: Proposal, actor: User) -> Readiness:
    state = readiness(proposal)
    rapporteur = state.rapporteur
    if rapporteur is None or rapporteur.evaluator_id != actor.id:
        # Another evaluator of the proposal may read the consensus, not draft it; others must not know of it.
        if is_officer(actor) or evaluator_view(actor, proposal).access is Access.FULL:
            raise NotAllowed(N_("Only the rapporteur drafts the consensus report."))
        raise NotFound(N_("There is no such proposal."))
    if evaluator_view(actor, proposal, assignment=rapporteur).access is not Access.FULL:
        raise NotFound(N_("There is no such proposal."))
    if not state.ready:
        raise InvalidTransition(state.template, **state.params)
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
        raise InvalidTransition(N_("The consensus report is submitted; the officer can reopen it."))
    criteria = list(proposal.call.criteria)
    parsed = parse_scores(criteria, scores)
    if report is None:
        report = ConsensusReport(proposal_id=proposal.id, status=ReportStatus.DRAFT, overall_comment="")
        db.session.add(report)
    report.rapporteur_id = actor.id
    write_scores(report.scores, parsed, ConsensusScore)
    if overall_comment is not None:
        report.overall_comment = (overall_comment or "").strip()
    report.updated_at = now or utcnow()
    db.session.flush()
    record_event(actor, "consensus.saved", object_type="consensus_report", object_id=report.id,
                 proposal_id=proposal.id)
    if submit:
        submit_consensus(proposal, actor=actor, now=now)
    return report


def submit_consensus(proposal: Proposal, *, actor: User, now: datetime | None = None) -> ConsensusReport:
    """The rapporteur submits the complete consensus for the officer's approval."""
    _require_rapporteur(proposal, actor)
    report = consensus_of(proposal)
    if report is not None and report.status is not ReportStatus.DRAFT:
        raise InvalidTransition(N_("The consensus report is already submitted."))
    errors = completeness_errors(list(proposal.call.criteria), scores_of(report),
                                 report.overall_comment if report else "")
    if errors:
        raise incomplete(N_("The consensus report is not complete: %(problems)s"), errors)
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
        raise InvalidTransition(N_("The rapporteur has not submitted the consensus report yet."))
    if report.status is ReportStatus.APPROVED:
        raise InvalidTransition(N_("This consensus report is already approved."))
    if proposal.eligibility is not Eligibility.ELIGIBLE or proposal.status is not ProposalStatus.SUBMITTED:
        raise InvalidTransition(N_("Only eligible proposals get an approved consensus."))
    state = readiness(proposal)
    if not state.ready:
        raise InvalidTransition(state.template, **state.params)
    errors = completeness_errors(list(proposal.call.criteria), scores_of(report), report.overall_comment)
    if errors:
        raise incomplete(N_("The consensus report is not complete: %(problems)s"), errors)
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
        raise InvalidTransition(N_("The consensus report is a draft already."))
    if selection_finalised(proposal.call):
        raise InvalidTransition(N_("The selection of this call is finalised: the consensus can no longer change."))
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise InvalidInput(N_("Give the reason for reopening (at least %(count)d characters)."),
                           details={"field": "reason"}, count=MIN_REASON_LENGTH)
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
