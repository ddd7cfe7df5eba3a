"""A call with people in every part personal data requests reach: applicants of one organisation (one of whom
submitted a proposal with an annex and received a letter and its e-mail), two evaluators who reported on it, an
officer and an administrator."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace
from typing import Any

import pytest

from app.clock import utcnow
from app.enums import Decision, LetterKind, OutboxStatus, Role
from app.extensions import db
from app.models import Letter, OutboxMessage, Proposal, User
from app.queries.letters import verification_code
from app.services import membership
from app.services.proposals import submit_proposal
from app.storage import get_storage
from tests.factories import (
    make_assignment,
    make_open_call,
    make_pool_member,
    make_ready_proposal,
    make_report,
    make_staff,
)

LETTER_PDF = b"%PDF-1.4\n% a letter for the tests\n%%EOF\n"


@pytest.fixture
def people(app: Any, frozen_clock: Any) -> SimpleNamespace:
    with app.app_context():
        call = make_open_call("DATA-CALL", days_left=10)
        alice = make_staff(Role.APPLICANT, "alice@baltic.example", organisation="Baltic Cluster Alliance",
                           country="LT", name="Alice Applicant")
        bob = make_staff(Role.APPLICANT, "bob@baltic.example", organisation="Baltic Cluster Alliance", country="LT",
                         name="Bob Colleague")
        eve = make_staff(Role.EVALUATOR, "eve@experts.example", organisation="Expert Office", country="FI",
                         name="Eve Evaluator")
        finn = make_staff(Role.EVALUATOR, "finn@experts.example", organisation="Other Office", country="PT",
                          name="Finn Otherexpert")
        officer = make_staff(Role.OFFICER, "olivia@commission.example", organisation="European Commission",
                             country="BE", name="Olivia Officer")
        # The only member of her organisation, with a draft she never submitted.
        dora = make_staff(Role.APPLICANT, "dora@solo.example", organisation="Dora Solo Consulting", country="PT",
                          name="Dora Solo")
        draft = make_ready_proposal(call, dora, acronym="SOLODRAFT", pages=3)
        admin = make_staff(Role.ADMIN, "adam@commission.example", organisation="European Commission", country="BE",
                           name="Adam Admin")
        proposal = make_ready_proposal(call, alice, acronym="GREENMOVE")
        proposal.partners[0].contact_email = "alice@baltic.example"
        proposal.partners[1].contact_email = "nord-contact@partner.example"
        submit_proposal(proposal, actor=alice)
        membership.invite_member(alice.organisation, actor=alice, email="carol@baltic.example")  # type: ignore[arg-type]
        db.session.commit()
        # After the deadline: evaluated by two experts, decided, a letter and its e-mail.
        frozen_clock.move(days=11)
        for expert, comment in ((eve, "Eve's careful comment about the consortium's plan."),
                                (finn, "Finn's secret comment that Alice must never read.")):
            make_pool_member(call, expert)
            assignment = make_assignment(proposal, expert)
            with db.session.no_autoflush:
                make_report(assignment, {"relevance": "4", "quality": "4", "impact": "4"}, comment=comment)
        proposal.decision, proposal.decided_at = Decision.REJECTED, utcnow()
        key = get_storage().put_bytes(LETTER_PDF)
        letter = Letter(proposal_id=proposal.id, kind=LetterKind.REJECTION, reference=f"{proposal.reference}-L1",
                        verification_code=verification_code(f"{proposal.reference}-L1"), sha256=key,
                        decision_date=utcnow(), published_at=utcnow(), size_bytes=len(LETTER_PDF), page_count=1)
        db.session.add(letter)
        db.session.flush()
        db.session.add(OutboxMessage(call_id=call.id, letter_id=letter.id, subject="[DATA-CALL] Your letter",
                                     body="Dear applicant, your letter is ready.",
                                     recipients=["alice@baltic.example", "bob@baltic.example"],
                                     status=OutboxStatus.SENT, sent_at=utcnow()))
        db.session.commit()
        return SimpleNamespace(
            call_id=call.id, proposal_id=proposal.id, reference=proposal.reference, letter_id=letter.id,
            verification_code=letter.verification_code,
            draft_id=draft.id, draft_reference=draft.reference, draft_annex_sha=draft.documents[0].sha256, dora=dora.id,
            annex_sha=proposal.documents[0].sha256, alice=alice.id, bob=bob.id, eve=eve.id, finn=finn.id,
            officer=officer.id, admin=admin.id, letter_sha=hashlib.sha256(LETTER_PDF).hexdigest())


@pytest.fixture
def as_person(app: Any, login: Any) -> Any:
    """A logged-in test client for the account with this id."""

    def client_for(user_id: int) -> Any:
        with app.app_context():
            user = db.session.get(User, user_id)
            assert user is not None
            db.session.expunge(user)
        return login(app.test_client(), user)

    return client_for


def proposal_of(people: SimpleNamespace) -> Proposal:
    proposal = db.session.get(Proposal, people.proposal_id)
    assert proposal is not None
    return proposal
