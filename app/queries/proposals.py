"""Proposals as the applicant's and the officers' lists show them, and a proposal's history.

Each list loads what its rows show (the call, the consortium, the annexes, the submitted versions without their
snapshot text) in a fixed number of queries, whatever the number of proposals: the pages compute each row's
checklist from it, and the API serialises the same rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from app.extensions import db
from app.models import AuditEvent, Call, Proposal, Submission

HISTORY_LENGTH = 200  # the audit events a proposal's page shows, newest first


def _with_rows() -> list[LoaderOption]:
    return [selectinload(Proposal.call), selectinload(Proposal.organisation), selectinload(Proposal.partners),
            selectinload(Proposal.documents), selectinload(Proposal.submissions).defer(Submission.snapshot)]


def organisation_proposals(organisation_id: int) -> list[Proposal]:
    """The proposals of an organisation in every call, newest first."""
    return list(db.session.scalars(
        sa.select(Proposal).where(Proposal.organisation_id == organisation_id).options(*_with_rows())
        .order_by(Proposal.created_at.desc(), Proposal.id.desc())))


def call_proposals(call: Call) -> list[Proposal]:
    """Every proposal of a call, by reference."""
    return list(db.session.scalars(
        sa.select(Proposal).where(Proposal.call_id == call.id).options(*_with_rows()).order_by(Proposal.number)))


def proposal_history(proposal: Proposal) -> list[AuditEvent]:
    """The audit events of a proposal with who caused them, newest first (the last HISTORY_LENGTH)."""
    return list(db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_type == "proposal", AuditEvent.object_id == str(proposal.id))
        .options(selectinload(AuditEvent.actor)).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(HISTORY_LENGTH)))
