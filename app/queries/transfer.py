"""Transfer offers, read: which unselected proposals of an event call could be offered a place in the call it names
(none until a selection is final), and the offers made to an applicant's organisation."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.enums import Decision
from app.extensions import db
from app.models import Call, Proposal, User
from app.models.selection import TransferOffer
from app.queries.runs import run_in_force

# Who is offered a transfer: the proposals the finalised selection did not select (reserve and rejected ones).
OFFERED_DECISIONS = (Decision.RESERVE, Decision.REJECTED)


@dataclass
class TransferPlan:
    """What sending the offers of a call would do."""

    target: Call | None
    candidates: list[Proposal]
    already_offered: int

    @property
    def possible(self) -> bool:
        return self.target is not None and bool(self.candidates)


def transfer_plan(call: Call) -> TransferPlan:
    """The proposals of `call` that could be offered a transfer now (none until a selection is final)."""
    target = None if call.transfer_to_call_id is None else db.session.get(Call, call.transfer_to_call_id)
    if target is None or run_in_force(call) is None:
        return TransferPlan(target, [], 0)
    offered = sa.select(TransferOffer.proposal_id).where(TransferOffer.target_call_id == call.transfer_to_call_id)
    candidates = list(db.session.scalars(
        sa.select(Proposal).where(Proposal.call_id == call.id, Proposal.decision.in_(OFFERED_DECISIONS),
                                  Proposal.id.not_in(offered)).order_by(Proposal.reference)
    ))
    already = db.session.scalar(sa.select(sa.func.count()).select_from(TransferOffer).join(
        Proposal, TransferOffer.proposal_id == Proposal.id).where(Proposal.call_id == call.id)) or 0
    return TransferPlan(target, candidates, already)


def offers_for(user: User) -> list[TransferOffer]:
    """The transfer offers made to the user's organisation, newest first."""
    if user.organisation_id is None:
        return []
    return list(db.session.scalars(
        sa.select(TransferOffer).join(Proposal, TransferOffer.proposal_id == Proposal.id)
        .options(sa.orm.joinedload(TransferOffer.proposal).joinedload(Proposal.call),
                 sa.orm.joinedload(TransferOffer.target_call), sa.orm.joinedload(TransferOffer.copy))
        .where(Proposal.organisation_id == user.organisation_id).order_by(TransferOffer.offered_at.desc(),
                                                                         TransferOffer.id.desc())
    ).unique())


def offers_sent(call: Call) -> list[TransferOffer]:
    """The offers made for `call`'s proposals, each with its proposal and status (two queries)."""
    return list(db.session.scalars(
        sa.select(TransferOffer).join(Proposal, TransferOffer.proposal_id == Proposal.id)
        .where(Proposal.call_id == call.id).options(selectinload(TransferOffer.proposal))
        .order_by(Proposal.reference)))
