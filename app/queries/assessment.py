"""What the officer's assessment page and API read of a call selected by assessment (a call for expression of
interest): its screened-in proposals with their assessment, and whether assessing is open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload

from app.clock import utcnow
from app.enums import CallState, Eligibility, ProposalStatus
from app.extensions import db
from app.languages import N_
from app.models import Assessment, Call, Partner, Proposal, User
from app.queries.screening import selection_finalised
from app.services.errors import InvalidTransition


@dataclass(frozen=True)
class AssessmentRow:
    """One eligible proposal of the call, and the officer's assessment of it (None: not assessed yet)."""

    proposal_id: int
    reference: str
    acronym: str
    title: str
    coordinator: str
    country: str
    assessment: Assessment | None


def assessment_rows(call: Call) -> list[AssessmentRow]:
    """The call's submitted proposals screened eligible, by reference, each with its assessment: two queries."""
    coordinator = aliased(Partner)
    statement = (
        sa.select(Proposal.id, Proposal.reference, Proposal.acronym, Proposal.title,
                  coordinator.name.label("coordinator"), coordinator.country.label("country"))
        .outerjoin(coordinator, sa.and_(coordinator.proposal_id == Proposal.id, coordinator.is_coordinator.is_(True)))
        .where(Proposal.call_id == call.id, Proposal.status == ProposalStatus.SUBMITTED,
               Proposal.eligibility == Eligibility.ELIGIBLE)
        .order_by(Proposal.reference)
    )
    records = {record.id: record for record in db.session.execute(statement)}  # a second coordinator: kept once
    assessments = assessments_by_proposal(call)
    return [AssessmentRow(r.id, r.reference, r.acronym or "", r.title or "", r.coordinator or "", r.country or "",
                          assessments.get(r.id)) for r in records.values()]


def assessments_by_proposal(call: Call) -> dict[int, Assessment]:
    """Every assessment of the call, by proposal id, with its assessor: one query."""
    found = db.session.scalars(
        sa.select(Assessment).join(Proposal, Assessment.proposal_id == Proposal.id)
        .options(joinedload(Assessment.assessor).lazyload(User.role_links))
        .where(Proposal.call_id == call.id))
    return {assessment.proposal_id: assessment for assessment in found}


def require_assessed_call(call: Call) -> None:
    """InvalidTransition (409) for a call whose evaluators score the proposals: it has no assessment."""
    if not call.is_assessed:
        raise InvalidTransition(N_("%(code)s is evaluated by experts' scores, not by the officer's assessment: "
                                   "its proposals go through evaluation and consensus."),
                                details={"evaluation_mode": call.evaluation_mode.value}, code=call.code)


def assessment_closed_reason(call: Call, now: datetime | None = None) -> str | None:
    """Why the call's proposals cannot be assessed now (None: they can): not before the call closes, not once its
    selection is finalised. A catalogue message: the page and the refusal translate it for their reader."""
    if call.state(now or utcnow()) is not CallState.CLOSED:
        return N_("Proposals are assessed once the call has closed.")
    if selection_finalised(call):
        return N_("The call's selection is finalised: its assessments can no longer change.")
    return None
