"""Screening: after the deadline the officer confirms or overrides each submitted proposal's eligibility.

The automatic results are the intake checklist (`app.queries.eligibility.check_proposal`) run on the last
submitted version. The decision, with its written reason, is stored on the proposal and audited. Only
eligible proposals go to evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.clock import utcnow
from app.enums import AssignmentState, CallState, Eligibility, ProposalStatus, RunStatus
from app.extensions import db
from app.models import Assignment, Call, Proposal, SelectionRun, User
from app.models.limits import MIN_REASON_LENGTH
from app.queries.access import require_officer
from app.queries.eligibility import Checklist, check_proposal
from app.queries.submitted import SubmittedVersion, submitted_version, submitted_versions
from app.services.audit import record_event
from app.services.errors import InvalidInput, InvalidTransition


@dataclass(frozen=True)
class ScreeningRow:
    proposal: Proposal
    version: SubmittedVersion
    checklist: Checklist
    ready: bool  # the proposal's own deadline (an extension may be later than the call's) has passed


def screening_open(call: Call, now: datetime | None = None) -> bool:
    """Screening starts when the call's deadline has passed: derived from the clock, no job needed."""
    return call.state(now) is CallState.CLOSED


def automatic_checks(proposal: Proposal) -> Checklist:
    """The eligibility checklist on the last submitted version."""
    return check_proposal(submitted_version(proposal))  # type: ignore[arg-type]


def submitted_proposals(call: Call) -> list[Proposal]:
    """The call's submitted proposals (withdrawn ones left out) with what screening shows, by reference."""
    return list(db.session.scalars(
        sa.select(Proposal).where(Proposal.call_id == call.id, Proposal.status == ProposalStatus.SUBMITTED)
        .options(selectinload(Proposal.partners), selectinload(Proposal.documents),
                 selectinload(Proposal.organisation))
        .order_by(Proposal.number)
    ))


def screening_rows(call: Call, now: datetime | None = None) -> list[ScreeningRow]:
    """Every submitted proposal with its automatic checklist, in a fixed number of queries."""
    now = now or utcnow()
    proposals = submitted_proposals(call)
    versions = submitted_versions(proposals)
    return [
        ScreeningRow(p, versions[p.id], check_proposal(versions[p.id]),  # type: ignore[arg-type]
                     p.is_past_deadline(now))
        for p in proposals
    ]


def selection_finalised(call: Call) -> bool:
    return db.session.scalar(sa.select(sa.func.count(SelectionRun.id)).where(
        SelectionRun.call_id == call.id, SelectionRun.status == RunStatus.FINALISED)) > 0


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise InvalidInput(f"Give the reason for the decision (at least {MIN_REASON_LENGTH} characters).",
                           details={"field": "reason"})
    return reason


def decide_eligibility(proposal: Proposal, *, actor: User, eligible: bool, reason: str,
                       now: datetime | None = None) -> Proposal:
    """Confirm or override the automatic result: eligible or ineligible, with a written reason.

    An ineligible proposal leaves evaluation: its active assignments are withdrawn. Refused before the
    proposal's deadline, for proposals that are not submitted, and once the call's selection is finalised.
    Side effects: the proposal's screening columns, withdrawn assignments, an audit event.
    """
    require_officer(actor)
    now = now or utcnow()
    if proposal.status is not ProposalStatus.SUBMITTED:
        raise InvalidTransition("Only submitted proposals are screened.")
    if not proposal.is_past_deadline(now):
        raise InvalidTransition("Screening starts when the proposal's deadline has passed.")
    if selection_finalised(proposal.call):
        raise InvalidTransition("The selection of this call is finalised: eligibility can no longer change.")
    reason = _check_reason(reason)
    return _decide(proposal, actor=actor, eligible=eligible, reason=reason, checklist=automatic_checks(proposal),
                   now=now)


def _decide(proposal: Proposal, *, actor: User, eligible: bool, reason: str, checklist: Checklist,
            now: datetime) -> Proposal:
    decision = Eligibility.ELIGIBLE if eligible else Eligibility.INELIGIBLE
    previous = proposal.eligibility
    proposal.eligibility = decision
    proposal.eligibility_reason = reason
    proposal.screened_at = now
    proposal.screened_by_id = actor.id
    withdrawn = []
    if decision is Eligibility.INELIGIBLE:
        for assignment in db.session.scalars(sa.select(Assignment).where(
                Assignment.proposal_id == proposal.id, Assignment.state != AssignmentState.WITHDRAWN)):
            assignment.state = AssignmentState.WITHDRAWN
            assignment.withdrawn_at = now
            assignment.withdrawn_reason = "The proposal was found ineligible."
            assignment.is_rapporteur = False
            withdrawn.append(assignment.id)
    db.session.flush()
    record_event(actor, "proposal.screened", object_type="proposal", object_id=proposal.id,
                 reference=proposal.reference, eligibility=decision.value, previous=previous.value, reason=reason,
                 automatic="pass" if checklist.ok else "fail",
                 failed_checks=[c.key for c in checklist.failures], overrides=checklist.ok != eligible,
                 withdrawn_assignments=withdrawn)
    return proposal


def confirm_passing(call: Call, *, actor: User, reason: str, now: datetime | None = None) -> list[Proposal]:
    """Mark eligible every pending proposal whose automatic checks all pass (one audited decision each).

    Proposals that fail a check keep waiting for the officer's own decision.
    """
    require_officer(actor)
    now = now or utcnow()
    if not screening_open(call, now):
        raise InvalidTransition("Screening starts when the call's deadline has passed.")
    if selection_finalised(call):
        raise InvalidTransition("The selection of this call is finalised: eligibility can no longer change.")
    reason = _check_reason(reason)
    return [
        _decide(row.proposal, actor=actor, eligible=True, reason=reason, checklist=row.checklist, now=now)
        for row in screening_rows(call, now)
        if row.ready and row.proposal.eligibility is Eligibility.PENDING and row.checklist.ok
    ]
