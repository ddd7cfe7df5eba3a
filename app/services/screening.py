"""Screening: after the deadline the officer confirms or overrides each submitted proposal's eligibility.

The automatic results (`app.queries.screening`) are the intake checklist run on the last submitted version. The
decision, with its written reason, is stored on the proposal and audited. Only eligible proposals go to evaluation.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from app.clock import utcnow
from app.enums import AssignmentState, Eligibility, ProposalStatus
from app.extensions import db
from app.languages import N_
from app.models import Assignment, Call, Proposal, User
from app.models.limits import MIN_REASON_LENGTH
from app.queries.access import require_officer
from app.queries.eligibility import Checklist
from app.queries.screening import automatic_checks, screening_open, screening_rows, selection_finalised
from app.services.audit import record_event
from app.services.errors import InvalidInput, InvalidTransition


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise InvalidInput(N_("Give the reason for the decision (at least %(count)d characters)."),
                           details={"field": "reason"}, count=MIN_REASON_LENGTH)
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
        raise InvalidTransition(N_("Only submitted proposals are screened."))
    if not proposal.is_past_deadline(now):
        raise InvalidTransition(N_("Screening starts when the proposal's deadline has passed."))
    if selection_finalised(proposal.call):
        raise InvalidTransition(N_("The selection of this call is finalised: eligibility can no longer change."))
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
        raise InvalidTransition(N_("Screening starts when the call's deadline has passed."))
    if selection_finalised(call):
        raise InvalidTransition(N_("The selection of this call is finalised: eligibility can no longer change."))
    reason = _check_reason(reason)
    return [
        _decide(row.proposal, actor=actor, eligible=True, reason=reason, checklist=row.checklist, now=now)
        for row in screening_rows(call, now)
        if row.ready and row.proposal.eligibility is Eligibility.PENDING and row.checklist.ok
    ]
