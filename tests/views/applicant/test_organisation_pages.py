"""Joining an organisation, in the browser's HTTP: registration, the member's page, invitation links (issue 11, item 8).

Naming an existing organisation at sign-up must give nothing of it: not its proposals, annexes or letters, in pages
or over the API, until one of its members approves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.enums import DocumentKind, Role
from app.extensions import db
from app.models import AuditEvent, Document, Letter, SelectionRun, User
from app.services import letters as letter_service
from tests.conftest import api_token
from tests.factories import make_letter_scenario, pdf_bytes
from tests.registering import register_and_confirm

NEWCOMER = {"full_name": "Nina Newcomer", "email": "nina@newcomer.example", "password": "violet-harbour-1987-tram",
            "confirm": "violet-harbour-1987-tram", "organisation_name": "  baltic CLUSTER alliance ", "country": "LT",
            "organisation_type": "cluster_organisation"}


@dataclass(frozen=True)
class Baltic:
    """Baltic Cluster Alliance (LT): a member, proposals with an annex, and published decision letters (by id)."""

    member: User
    proposal: int
    reference: str
    acronym: str
    document: int
    letter: int
    letter_reference: str


@pytest.fixture
def baltic(app: Flask, make_user: Any) -> Baltic:
    member = make_user(Role.APPLICANT, email="lukas@baltic.example", organisation="Baltic Cluster Alliance",
                       country="LT", full_name="Lukas Member")
    with app.app_context():
        owner = db.session.merge(member)
        scenario = make_letter_scenario(owner, code="JOIN-CALL")
        proposal = scenario["proposals"]["selected"]
        data = pdf_bytes(1)
        from app.storage import get_storage

        document = Document(kind=DocumentKind.PART_B, sha256=get_storage().put_bytes(data), filename="part-b.pdf",
                            size_bytes=len(data), page_count=1, uploaded_by_id=owner.id)
        proposal.documents.append(document)
        db.session.commit()
        run = db.session.get(SelectionRun, scenario["run"].id)
        letter_service.start_letter_batch(run, actor=None)
        db.session.commit()
        letter_service.publish_letters(run, actor=None)
        db.session.commit()
        letter = db.session.scalar(sa.select(Letter).where(Letter.proposal_id == proposal.id))
        return Baltic(member=member, proposal=proposal.id, reference=proposal.reference, acronym=proposal.acronym,
                      document=document.id, letter=letter.id, letter_reference=letter.reference)


@pytest.fixture
def client(app: Flask) -> Any:
    """A plain test client: pytest-flask's keeps the last request's context pushed, which would lend the
    newcomer's signed-in user (flask.g) to the member's requests in the same test."""
    return app.test_client()


def _organisation_proposal_urls(baltic: Baltic) -> list[str]:
    pid, doc, letter = baltic.proposal, baltic.document, baltic.letter
    return [f"/applicant/proposals/{pid}", f"/applicant/proposals/{pid}/summary",
            f"/applicant/proposals/{pid}/annexes/{doc}", f"/applicant/proposals/{pid}/submissions/1",
            f"/applicant/letters/{letter}.pdf"]


def _api_urls(baltic: Baltic) -> list[str]:
    pid, doc = baltic.proposal, baltic.document
    return [f"/api/v1/proposals/{pid}", f"/api/v1/proposals/{pid}/documents/{doc}",
            f"/api/v1/proposals/{pid}/submissions", f"/api/v1/proposals/{pid}/letter.pdf"]


def test_registering_with_the_name_of_an_existing_organisation_shows_nothing_of_it(app, client, baltic) -> None:  # type: ignore[no-untyped-def]
    response = register_and_confirm(app, client, NEWCOMER)
    assert response.status_code == 302
    for url in _organisation_proposal_urls(baltic):
        assert client.get(url).status_code == 404, url
    for page in ("/applicant/", "/applicant/letters", "/applicant/offers"):
        html = client.get(page).get_data(as_text=True)
        assert baltic.reference not in html, page
        assert baltic.letter_reference not in html, page
    with app.app_context():
        newcomer = db.session.scalar(sa.select(User).where(User.email == NEWCOMER["email"]))
        assert newcomer.organisation_id is None
    token = api_token(app, newcomer)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/proposals", headers=headers).json == []
    assert client.get("/api/v1/me", headers=headers).json["organisation"] is None
    for url in _api_urls(baltic):
        assert client.get(url, headers=headers).status_code == 404, url
    for url in (f"/api/v1/proposals/{baltic.proposal}/withdraw", f"/api/v1/proposals/{baltic.proposal}/submit"):
        assert client.post(url, headers=headers, json={}).status_code == 404, url
    assert client.post(f"/applicant/proposals/{baltic.proposal}/withdraw",
                       data={"confirm": "y"}).status_code == 404


def test_registration_says_the_organisation_exists_and_nothing_about_its_members(app, client, baltic) -> None:  # type: ignore[no-untyped-def]
    response = register_and_confirm(app, client, NEWCOMER, follow_redirects=True)
    assert response.request.path == "/applicant/organisation"
    html = response.get_data(as_text=True)
    assert "Baltic Cluster Alliance is already registered in Lithuania" in html
    assert "Waiting for an answer" in html
    assert "Cancel my request" in html
    for secret in ("lukas@baltic.example", "Lukas Member", baltic.acronym):
        assert secret not in html


def _member_client(app: Flask, login: Any, baltic: Baltic) -> Any:
    return login(app.test_client(), baltic.member)


def test_a_member_approves_the_request_and_the_newcomer_then_works_on_the_proposals(app, client, login, baltic) -> None:  # type: ignore[no-untyped-def]
    register_and_confirm(app, client, NEWCOMER)
    member = _member_client(app, login, baltic)
    assert "1 person asks to join Baltic Cluster Alliance" in member.get("/applicant/").get_data(as_text=True)
    page = member.get("/applicant/organisation").get_data(as_text=True)
    assert "Nina Newcomer" in page
    assert "nina@newcomer.example" in page
    approve = re.search(r'action="(/applicant/organisation/join-requests/\d+/approve)"', page).group(1)
    response = member.post(approve, follow_redirects=True)
    assert "Nina Newcomer is now a member." in response.get_data(as_text=True)
    assert client.get(f"/applicant/proposals/{baltic.proposal}").status_code == 200
    assert baltic.reference in client.get("/applicant/").get_data(as_text=True)
    assert baltic.letter_reference in client.get("/applicant/letters").get_data(as_text=True)
    again = member.post(approve, follow_redirects=True)
    assert "answered already" in again.get_data(as_text=True)
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.object_type == "organisation")
                                     .order_by(AuditEvent.id)).all()
        assert actions == ["organisation.join_requested", "organisation.join_approved"]


def test_a_refused_newcomer_is_told_and_sees_nothing(app, client, login, baltic) -> None:  # type: ignore[no-untyped-def]
    register_and_confirm(app, client, NEWCOMER)
    member = _member_client(app, login, baltic)
    page = member.get("/applicant/organisation").get_data(as_text=True)
    refuse = re.search(r'action="(/applicant/organisation/join-requests/\d+/refuse)"', page).group(1)
    member.post(refuse)
    html = client.get("/applicant/organisation").get_data(as_text=True)
    assert "Your request to join Baltic Cluster Alliance was refused" in html
    assert "Lukas" not in html
    assert client.get(f"/applicant/proposals/{baltic.proposal}").status_code == 404


def test_the_newcomer_cannot_answer_their_own_request(app, client, baltic) -> None:  # type: ignore[no-untyped-def]
    register_and_confirm(app, client, NEWCOMER)
    from app.models import JoinRequest

    with app.app_context():
        request_id = db.session.scalar(sa.select(JoinRequest.id))
    assert client.post(f"/applicant/organisation/join-requests/{request_id}/approve").status_code == 404
    assert client.get(f"/applicant/proposals/{baltic.proposal}").status_code == 404


def _invite(member: Any, email: str) -> str:
    response = member.post("/applicant/organisation/invitations", data={"email": email}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert f"Invitation for {email} created" in html
    return re.search(r"http://localhost(/auth/invitations/egi_[\w-]+)", html).group(1)


def test_an_invitation_link_lets_a_colleague_register_into_the_organisation(app, client, login, baltic) -> None:  # type: ignore[no-untyped-def]
    member = _member_client(app, login, baltic)
    link = _invite(member, "ieva@baltic.example")
    assert "ieva@baltic.example" in member.get("/applicant/organisation").get_data(as_text=True)
    landing = client.get(link)
    assert landing.status_code == 200
    landing_html = landing.get_data(as_text=True)
    assert "Lukas Member invites you to join" in landing_html
    token = link.rsplit("/", 1)[1]
    form = client.get(f"/auth/register?invitation={token}").get_data(as_text=True)
    assert "invites you to join <strong>Baltic Cluster Alliance</strong>" in form
    assert 'name="organisation_name"' not in form
    fields = {k: v for k, v in NEWCOMER.items() if not k.startswith(("organisation", "country"))}
    wrong = client.post("/auth/register", data={**fields, "email": "someone@else.example", "invitation": token})
    assert "This invitation was sent to another e-mail address" in wrong.get_data(as_text=True)
    response = client.post("/auth/register", data={**fields, "email": "Ieva@Baltic.example", "invitation": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/applicant/"
    assert client.get(f"/applicant/proposals/{baltic.proposal}").status_code == 200
    used = app.test_client().get(link)
    assert used.status_code == 404
    assert "not valid any more" in used.get_data(as_text=True)


def test_a_signed_in_newcomer_accepts_an_invitation_from_the_link(app, client, login, baltic) -> None:  # type: ignore[no-untyped-def]
    register_and_confirm(app, client, NEWCOMER)  # waiting for an answer
    member = _member_client(app, login, baltic)
    link = _invite(member, NEWCOMER["email"])
    landing = client.get(link)
    assert landing.status_code == 302
    page = client.get(landing.headers["Location"])
    assert page.status_code == 200
    accept = re.search(r'action="(/applicant/invitations/[\w-]+/accept)"', page.get_data(as_text=True)).group(1)
    response = client.post(accept, follow_redirects=True)
    assert "Welcome to Baltic Cluster Alliance" in response.get_data(as_text=True)
    assert client.get(f"/applicant/proposals/{baltic.proposal}").status_code == 200
    assert "Waiting for an answer" not in member.get("/applicant/organisation").get_data(as_text=True)


def test_an_invitation_link_held_by_someone_else_is_refused(app, login, make_user, baltic) -> None:  # type: ignore[no-untyped-def]
    member = _member_client(app, login, baltic)
    link = _invite(member, "ieva@baltic.example")
    other = login(app.test_client(), make_user(Role.APPLICANT, email="mallory@evil.example",
                                               organisation="Evil Ltd", country="MT"))
    page = other.get(other.get(link).headers["Location"])
    assert page.status_code == 403
    assert "sent to another e-mail address" in page.get_data(as_text=True)
    accept = link.replace("/auth/invitations/", "/applicant/invitations/") + "/accept"
    assert other.post(accept).status_code == 403
    assert other.get(f"/applicant/proposals/{baltic.proposal}").status_code == 404
    assert member.get("/auth/invitations/egi_no-such-token").status_code == 404


def test_an_account_without_organisation_joins_or_registers_one_from_its_page(app, client, baltic) -> None:  # type: ignore[no-untyped-def]
    register_and_confirm(app, client, NEWCOMER)
    client.post("/applicant/organisation/join-request/cancel")
    unknown = client.post("/applicant/organisation/join-requests",
                          data={"organisation_name": "Nowhere Cluster", "country": "LT"})
    assert unknown.status_code == 422
    assert "No organisation of this name is registered in this country" in unknown.get_data(as_text=True)
    taken = client.post("/applicant/organisation/new", data={"organisation_name": "Baltic Cluster Alliance",
                                                            "country": "LT", "organisation_type": "sme"})
    assert taken.status_code == 409
    assert "is already registered: ask its members to let you join it" in taken.get_data(as_text=True)
    assert 'value="Baltic Cluster Alliance"' in taken.get_data(as_text=True)  # the input is kept
    created = client.post("/applicant/organisation/new", follow_redirects=True, data={
        "organisation_name": "Kaunas Mobility Cluster", "country": "LT", "organisation_type": "cluster_organisation"})
    assert "Kaunas Mobility Cluster is registered, with you as its first member" in created.get_data(as_text=True)
    assert client.get(f"/applicant/proposals/{baltic.proposal}").status_code == 404


def test_a_removed_member_loses_the_proposals_at_once(app, client, login, baltic) -> None:  # type: ignore[no-untyped-def]
    member = _member_client(app, login, baltic)
    link = _invite(member, "ieva@baltic.example")
    fields = {k: v for k, v in NEWCOMER.items() if not k.startswith(("organisation", "country"))}
    client.post("/auth/register", data={**fields, "email": "ieva@baltic.example", "invitation": link.rsplit("/", 1)[1]})
    assert client.get(f"/applicant/proposals/{baltic.proposal}").status_code == 200
    page = member.get("/applicant/organisation").get_data(as_text=True)
    remove = re.search(r'action="(/applicant/organisation/members/\d+/remove)"', page).group(1)
    response = member.post(remove, follow_redirects=True)
    assert "is no longer a member" in response.get_data(as_text=True)
    assert client.get(f"/applicant/proposals/{baltic.proposal}").status_code == 404
    last = member.post("/applicant/organisation/leave", follow_redirects=True)
    assert "You are the last member of Baltic Cluster Alliance" in last.get_data(as_text=True)


def test_registration_keeps_working_for_a_new_organisation(app, client, baltic) -> None:  # type: ignore[no-untyped-def]
    response = register_and_confirm(app, client, {**NEWCOMER, "organisation_name": "Vilnius Mobility Cluster"},
                                    follow_redirects=True)
    assert response.request.path == "/applicant/"
    assert "as a member of Vilnius Mobility Cluster" in response.get_data(as_text=True)


def test_an_invitation_proves_the_address_of_a_waiting_registration_and_sends_an_account_holder_to_log_in(
        app, client, login, make_user, baltic) -> None:  # type: ignore[no-untyped-def]
    member = _member_client(app, login, baltic)
    fields = {k: v for k, v in NEWCOMER.items() if not k.startswith(("organisation", "country"))}
    # Someone registered ieva's address without confirming it: the invitation's registration becomes that account.
    app.test_client().post("/auth/register", data={**NEWCOMER, "email": "ieva@baltic.example",
                                                   "password": "squatter-pw-123", "confirm": "squatter-pw-123"})
    token = _invite(member, "ieva@baltic.example").rsplit("/", 1)[1]
    response = client.post("/auth/register", data={**fields, "email": "ieva@baltic.example", "invitation": token})
    assert response.headers["Location"] == "/applicant/"
    assert client.get(f"/applicant/proposals/{baltic.proposal}").status_code == 200
    assert app.test_client().post("/auth/login", data={"email": "ieva@baltic.example",
                                                       "password": "squatter-pw-123"}).status_code == 200  # refused
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(
            User.email == "ieva@baltic.example")) == 1
    # An address with an account: its holder logs in to accept (the invitation was sent to that address).
    make_user(Role.APPLICANT, email="olga@baltic.example", organisation=None)
    token = _invite(member, "olga@baltic.example").rsplit("/", 1)[1]
    taken = app.test_client().post("/auth/register", data={**fields, "email": "olga@baltic.example",
                                                           "invitation": token})
    assert taken.status_code == 200
    assert "An account uses this address already: log in with it to accept the invitation." in taken.get_data(
        as_text=True)
