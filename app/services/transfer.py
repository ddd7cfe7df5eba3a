"""Event calls: offering proposals that were not selected a place in another call, with the applicant's consent.

The Commission announced that stakeholder sessions not selected "may be considered for local events". A call
names the call its unselected proposals may move to (`Call.transfer_to_call_id`, EUID-2022-SESSIONS →
EUID-2022-LOCAL). Once a selection is final the officer sends the offers; an applicant of the proposal's
organisation accepts or declines. Accepting copies the proposal into the target call as submitted: same
consortium, the same stored annexes (new rows pointing at the same files), a new submission with its own
snapshot and SHA-256, and `transferred_from_id` pointing back. The original is not changed.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.clock import utcnow
from app.enums import Eligibility, OfferStatus, ProposalStatus
from app.extensions import db
from app.languages import N_
from app.models import Call, Document, Partner, Proposal, User
from app.models.selection import TransferOffer
from app.queries.access import require_officer
from app.queries.runs import run_in_force
from app.queries.transfer import transfer_plan
from app.services.audit import record_event
from app.services.errors import InvalidTransition, NotAllowed
from app.services.receipts import freeze_submission


def offer_transfers(call: Call, *, actor: User | None) -> list[TransferOffer]:
    """Offer every unselected proposal of the finalised selection a copy in the call's transfer target.

    Proposals already offered are skipped, so sending again only reaches new ones. Side effects: offers, one
    audit event each; flushes.
    """
    require_officer(actor, to=N_("offer transfers"))
    if call.transfer_to_call_id is None:
        raise InvalidTransition(N_("This call names no other call its proposals may move to."))
    run = run_in_force(call)
    if run is None:
        raise InvalidTransition(N_("Finalise a selection first: offers go to the proposals it did not select."))
    plan = transfer_plan(call)
    offers = []
    for proposal in plan.candidates:
        offer = TransferOffer(proposal_id=proposal.id, target_call_id=call.transfer_to_call_id, run_id=run.id,
                              status=OfferStatus.OFFERED, offered_at=utcnow(),
                              offered_by_id=actor.id if actor else None)
        db.session.add(offer)
        offers.append(offer)
    db.session.flush()
    for offer, proposal in zip(offers, plan.candidates, strict=True):
        record_event(actor, "proposal.transfer_offered", object_type="proposal", object_id=proposal.reference,
                     offer=offer.id, target=plan.target.code if plan.target else None, run=run.number)
    return offers


# An answered offer, said whole for each answer.
_ANSWERED = {
    OfferStatus.ACCEPTED: N_("This offer was already accepted."),
    OfferStatus.DECLINED: N_("This offer was already declined."),
    OfferStatus.OFFERED: N_("This offer was already offered."),  # not reached: an open offer can be answered
}


def _check_can_answer(offer: TransferOffer, actor: User) -> None:
    if actor.organisation_id is None or offer.proposal.organisation_id != actor.organisation_id:
        raise NotAllowed(N_("Only the applicant organisation can answer this offer."))
    if offer.status is not OfferStatus.OFFERED:
        raise InvalidTransition(_ANSWERED[offer.status])


def decline_offer(offer: TransferOffer, *, actor: User) -> None:
    """The applicant says no. Side effects: the offer, an audit event; flushes."""
    _check_can_answer(offer, actor)
    offer.status, offer.responded_at, offer.responded_by_id = OfferStatus.DECLINED, utcnow(), actor.id
    record_event(actor, "proposal.transfer_declined", object_type="proposal", object_id=offer.proposal.reference,
                 offer=offer.id)
    db.session.flush()


def accept_offer(offer: TransferOffer, *, actor: User) -> Proposal:
    """The applicant consents: copy the proposal into the target call as submitted (see the module docstring).

    Side effects: a proposal with partners, document rows and a submission; the offer; audit events; flushes.
    """
    _check_can_answer(offer, actor)
    source, target = offer.proposal, offer.target_call
    # One copy at a time per target call (PostgreSQL row lock; SQLite serialises writers).
    db.session.execute(sa.select(Call.id).where(Call.id == target.id).with_for_update(key_share=True))
    number = (db.session.scalar(sa.select(sa.func.max(Proposal.number)).where(Proposal.call_id == target.id))
              or 0) + 1
    now = utcnow()
    copy = Proposal(
        call=target, number=number, reference=f"{target.code}-{number:04d}",
        organisation=source.organisation, created_by_id=actor.id, status=ProposalStatus.SUBMITTED,
        acronym=source.acronym, title=source.title, abstract=source.abstract, keywords=list(source.keywords or []),
        strand=source.strand if source.strand in (target.strands or []) else None,
        duration_months=source.duration_months, requested_grant=source.requested_grant,
        eligibility=Eligibility.PENDING, transferred_from_id=source.id, created_at=now, updated_at=now,
        updated_by_id=actor.id, edit_version=1,
    )
    for partner in source.partners:
        copy.partners.append(Partner(
            position=partner.position, is_coordinator=partner.is_coordinator, name=partner.name,
            country=partner.country, organisation_type=partner.organisation_type,
            contact_email=partner.contact_email, requested_amount=partner.requested_amount,
        ))
    for document in source.documents:
        if document.removed_at is None:
            copy.documents.append(Document(
                kind=document.kind, sha256=document.sha256, filename=document.filename,
                size_bytes=document.size_bytes, page_count=document.page_count,
                uploaded_by_id=document.uploaded_by_id, uploaded_at=document.uploaded_at,
            ))
    db.session.add(copy)
    db.session.flush()
    # Frozen as the intake stage freezes a submission, so the copy reads like any submission.
    copy.submissions.append(freeze_submission(copy, version=1, submitted_at=now, submitted_by=actor))
    offer.status, offer.responded_at, offer.responded_by_id, offer.copy = OfferStatus.ACCEPTED, now, actor.id, copy
    db.session.flush()
    record_event(actor, "proposal.transfer_accepted", object_type="proposal", object_id=source.reference,
                 offer=offer.id, copy=copy.reference, target=target.code)
    record_event(actor, "proposal.submitted", object_type="proposal", object_id=copy.reference,
                 version=1, sha256=copy.submissions[0].sha256, transferred_from=source.reference)
    return copy
