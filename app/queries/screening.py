"""Screening as pages and the API read it: the submitted proposals with their automatic eligibility checklist.

The automatic results are the intake checklist (`app.queries.eligibility.check_proposal`) run on the last submitted
version; the officer's decisions are made in app.services.screening.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.clock import utcnow
from app.enums import CallState, ProposalStatus, RunStatus
from app.extensions import db
from app.models import AuditEvent, Call, Proposal, SelectionRun
from app.queries.eligibility import Checklist, check_proposal
from app.queries.submitted import SubmittedVersion, submitted_version, submitted_versions


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
    return check_proposal(submitted_version(proposal))


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
        ScreeningRow(p, versions[p.id], check_proposal(versions[p.id]),
                     p.is_past_deadline(now))
        for p in proposals
    ]


def screening_decisions(proposal: Proposal) -> list[AuditEvent]:
    """The officers' screening decisions on the proposal, latest first, with who took them."""
    return list(db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_type == "proposal", AuditEvent.object_id == str(proposal.id),
                                    AuditEvent.action == "proposal.screened")
        .options(selectinload(AuditEvent.actor)).order_by(AuditEvent.id.desc())))


def selection_finalised(call: Call) -> bool:
    """A run of the call is finalised: eligibility and consensus scores can no longer change."""
    return bool(db.session.scalar(sa.select(sa.func.count(SelectionRun.id)).where(
        SelectionRun.call_id == call.id, SelectionRun.status == RunStatus.FINALISED)))
