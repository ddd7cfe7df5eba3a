"""Event calls' transfer offers: offered once to the proposals a final selection did not select, accepted (a copy
submitted to the target call) or declined by the organisation only."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from app.enums import CallKind, Decision, DocumentKind, Eligibility, OfferStatus, ProposalStatus, Role
from app.extensions import db
from app.models import AuditEvent, Call, Document, Proposal, User
from app.models.selection import TransferOffer
from app.queries.access import load_offer
from app.queries.receipts import verify_submission
from app.queries.runs import finalise_preview
from app.queries.transfer import offers_for, transfer_plan
from app.seeds.calls import seed_reference_calls
from app.services.errors import InvalidTransition, NotAllowed, NotFound
from app.services.selection import finalise_run, run_selection
from app.services.transfer import accept_offer, decline_offer, offer_transfers
from tests.factories import make_call
from tests.selection_worlds import add


@dataclass
class Sessions:
    """A finalised stakeholder-sessions selection (one slot) whose call transfers to a local-events call."""

    call: Call
    local: Call
    proposals: dict[str, Proposal]
    applicant: User
    officer: User


@pytest.fixture
def sessions(people) -> Sessions:
    """A finalised stakeholder-sessions selection (one slot) whose call transfers to a local-events call."""
    applicant, officer = people.applicant, people.officer
    local = make_call("LOCAL", kind=CallKind.EVENT, budget=None, max_awards=10, reserve_size=0,
                      strands=["Resilience"])
    call = make_call("SESSIONS", kind=CallKind.EVENT, budget=None, max_awards=1, reserve_size=1,
                     strands=["Resilience"], transfer_to_call_id=local.id)
    won = add(call, applicant, "WINNER", ("5", "5", "5"), requested=None, strand="Resilience")
    kept = add(call, applicant, "KEPT", ("4", "4", "4"), requested=None, strand="Resilience")
    lost = add(call, applicant, "LOST", ("3", "3.5", "4"), requested=None, strand="Resilience")
    lost.documents.append(Document(kind=DocumentKind.PART_B, sha256="ab" * 32, filename="concept.pdf",
                                   size_bytes=1234, page_count=2, uploaded_by_id=applicant.id))
    run = run_selection(call, actor=officer)
    finalise_run(run, actor=officer, token=finalise_preview(run).token)
    db.session.commit()
    return Sessions(call, local, {"won": won, "kept": kept, "lost": lost}, applicant, officer)


def test_offers_go_to_the_unselected_proposals_once(sessions) -> None:
    call, local, proposals, officer = sessions.call, sessions.local, sessions.proposals, sessions.officer
    assert proposals["kept"].decision is Decision.RESERVE
    assert proposals["lost"].decision is Decision.REJECTED
    plan = transfer_plan(call)
    assert plan.target.id == local.id
    assert {p.acronym for p in plan.candidates} == {"KEPT", "LOST"}
    offers = offer_transfers(call, actor=officer)
    assert len(offers) == 2
    assert all(o.status is OfferStatus.OFFERED for o in offers)
    assert offer_transfers(call, actor=officer) == []
    assert transfer_plan(call).already_offered == 2


def test_offers_need_a_final_selection_and_a_target(people) -> None:
    officer = people.officer
    call = make_call("NO-TARGET", kind=CallKind.EVENT, budget=None)
    with pytest.raises(InvalidTransition, match="names no other call"):
        offer_transfers(call, actor=officer)
    call.transfer_to_call_id = make_call("TARGET", kind=CallKind.EVENT, budget=None).id
    with pytest.raises(InvalidTransition, match="Finalise a selection first"):
        offer_transfers(call, actor=officer)


def test_accepting_copies_the_proposal_into_the_target_call_as_submitted(sessions) -> None:
    call, local, proposals, applicant, officer = (sessions.call, sessions.local, sessions.proposals,
                                              sessions.applicant, sessions.officer)
    offer_transfers(call, actor=officer)
    offer = db.session.scalar(sa.select(TransferOffer).where(TransferOffer.proposal_id == proposals["lost"].id))
    copy = accept_offer(offer, actor=applicant)
    db.session.commit()
    original = proposals["lost"]
    assert copy.call_id == local.id
    assert copy.reference == "LOCAL-0001"
    assert copy.status is ProposalStatus.SUBMITTED
    assert copy.transferred_from_id == original.id
    assert copy.eligibility is Eligibility.PENDING
    assert (copy.acronym, copy.title, copy.strand) == (original.acronym, original.title, "Resilience")
    assert [(p.name, p.country) for p in copy.partners] == [(p.name, p.country) for p in original.partners]
    assert [(d.sha256, d.filename) for d in copy.documents] == [("ab" * 32, "concept.pdf")]
    submission = copy.submissions[0]
    assert submission.version == 1
    assert verify_submission(submission)
    assert original.decision is Decision.REJECTED
    assert original.call_id == call.id
    assert offer.status is OfferStatus.ACCEPTED
    assert offer.copy_id == copy.id
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"proposal.transfer_offered", "proposal.transfer_accepted", "proposal.submitted"} <= actions
    with pytest.raises(InvalidTransition, match="already accepted"):
        accept_offer(offer, actor=applicant)


def test_declining_keeps_everything_and_others_cannot_answer(sessions, make_user) -> None:
    call, local, proposals, applicant, officer = (sessions.call, sessions.local, sessions.proposals,
                                              sessions.applicant, sessions.officer)
    stranger = db.session.merge(make_user(Role.APPLICANT, organisation="Other Cluster", country="FI"))
    offer_transfers(call, actor=officer)
    offer = db.session.scalar(sa.select(TransferOffer).where(TransferOffer.proposal_id == proposals["kept"].id))
    with pytest.raises(NotFound):
        load_offer(offer.id, stranger)
    with pytest.raises(NotAllowed):
        accept_offer(offer, actor=stranger)
    assert [o.id for o in offers_for(applicant)]
    assert offers_for(stranger) == []
    decline_offer(offer, actor=applicant)
    assert offer.status is OfferStatus.DECLINED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal).where(Proposal.call_id == local.id)) == 0


def test_reference_sessions_call_transfers_to_the_local_events_call(app_ctx) -> None:
    seed_reference_calls()
    sessions = db.session.scalar(sa.select(Call).where(Call.code == "EUID-2022-SESSIONS"))
    local = db.session.scalar(sa.select(Call).where(Call.code == "EUID-2022-LOCAL"))
    assert sessions.transfer_to_call_id == local.id
    assert local.transfer_to_call_id is None

