"""Proposals as the applicant's and the officers' lists show them, and a proposal's history.

Each list loads what its rows show (the call, the consortium, the annexes, the submitted versions without their
snapshot text) in a fixed number of queries, whatever the number of proposals: the pages compute each row's
checklist from it, and the API serialises the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from app.enums import ProposalStatus
from app.extensions import db
from app.models import AuditEvent, Call, Proposal, Submission
from app.queries.paging import window

HISTORY_LENGTH = 200  # the audit events a proposal's page shows, newest first
PAGE_SIZE = 50  # rows of the officers' proposals list per page: the page stays small at 5,000 proposals
PROPOSAL_SORTS = {"reference": Proposal.number, "acronym": Proposal.acronym, "status": Proposal.status}


@dataclass(frozen=True)
class ProposalPage:
    """One page of a call's proposals as an officer filtered, searched and sorted them, with the call's counts."""

    rows: list[Proposal]
    total: int  # proposals that match the filter and the search
    page: int
    pages: int
    counts: dict[ProposalStatus, int]  # the whole call's, by status


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


def call_proposals_page(call: Call, *, page: int = 1, status: ProposalStatus | None = None, search: str = "",
                        sort: str = "reference", descending: bool = False) -> ProposalPage:
    """A page of the call's proposals (filter by status, search the reference and the acronym, sort by a key of
    PROPOSAL_SORTS, ties by reference), in a fixed number of queries whatever the size of the call."""
    where = [Proposal.call_id == call.id]
    if status is not None:
        where.append(Proposal.status == status)
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(sa.or_(Proposal.reference.ilike(pattern, escape="\\"),
                            Proposal.acronym.ilike(pattern, escape="\\")))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Proposal).where(*where)) or 0
    shown = window(total, page, PAGE_SIZE)
    column = PROPOSAL_SORTS.get(sort, Proposal.number)
    order = [column.desc() if descending else column.asc(), Proposal.number.desc() if descending else Proposal.number]
    rows = list(db.session.scalars(sa.select(Proposal).where(*where).options(*_with_rows()).order_by(*order)
                                   .limit(PAGE_SIZE).offset(shown.offset)))
    counts = {state: 0 for state in ProposalStatus}
    counts.update(db.session.execute(sa.select(Proposal.status, sa.func.count()).where(Proposal.call_id == call.id)
                                     .group_by(Proposal.status)).all())
    return ProposalPage(rows, total, shown.page, shown.pages, counts)


def proposal_history(proposal: Proposal) -> list[AuditEvent]:
    """The audit events of a proposal with who caused them, newest first (the last HISTORY_LENGTH)."""
    return list(db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_type == "proposal", AuditEvent.object_id == str(proposal.id))
        .options(selectinload(AuditEvent.actor)).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(HISTORY_LENGTH)))
