"""Rectification: the name, the e-mail address (confirmed by a link sent to it) and the organisation's details are
corrected; submitted versions are never rewritten, and the correction stands beside them."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Correction, EmailChange, Organisation, Submission, User
from app.queries.receipts import verify_submission
from tests.support import free_port


class _Mailbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content.decode()))
        return "250 OK"


@pytest.fixture
def smtp_server(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[_Mailbox]:
    from aiosmtpd.controller import Controller

    mailbox = _Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    yield mailbox
    controller.stop()


def _link(raw: str) -> str:
    """The path of the confirmation link in a raw e-mail (its body may be quoted-printable)."""
    body = email.message_from_string(raw, policy=email.policy.default).get_body().get_content()
    found = re.search(r"http://[^/\s]+(/account/email/\d+/\w+)", body)
    assert found is not None, body
    return found.group(1)


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_a_corrected_name_stands_beside_the_submitted_version(app, people, as_person, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    alice = as_person(people.alice)
    response = alice.post("/account/name", data={"name-full_name": "  Alice   Applicant-Martin "},
                          follow_redirects=True)
    assert "Your name is corrected." in response.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, people.alice)
        assert user.full_name == "Alice Applicant-Martin"
        [correction] = db.session.scalars(sa.select(Correction)).all()
        assert (correction.field, correction.old_value, correction.new_value) == (
            "full_name", "Alice Applicant", "Alice Applicant-Martin")
        [event] = _events("personal_data.corrected")
        assert event.data == {"fields": ["full_name"]}  # the field, never the values
        submission = db.session.scalar(sa.select(Submission).where(Submission.proposal_id == people.proposal_id))
        assert '"name":"Alice Applicant"' in submission.snapshot  # never rewritten
        assert verify_submission(submission)
    receipt = alice.get(f"/applicant/proposals/{people.proposal_id}/submissions/1").get_data(as_text=True)
    assert "Corrected since this version was submitted" in receipt
    assert "“Alice Applicant” became “Alice Applicant-Martin”" in receipt
    assert "✓ The stored snapshot matches this hash." in receipt
    officer_view = as_person(people.officer).get(f"/manage/proposals/{people.proposal_id}/submissions/1")
    assert "Alice Applicant-Martin" in officer_view.get_data(as_text=True)


def test_an_empty_name_is_refused_at_its_field(people, as_person) -> None:  # type: ignore[no-untyped-def]
    response = as_person(people.alice).post("/account/name", data={"name-full_name": "   "})
    assert response.status_code == 422
    assert re.search(r'id="name-full_name".*?Give your name\.', response.get_data(as_text=True), re.S)


def test_a_new_email_address_takes_effect_when_its_link_is_opened(app, people, as_person, smtp_server) -> None:  # type: ignore[no-untyped-def]
    alice = as_person(people.alice)
    wrong = alice.post("/account/email", data={"email-new_email": "alice.new@baltic.example",
                                               "email-password": "not-my-password"})
    assert wrong.status_code == 422
    assert "The password is not right." in wrong.get_data(as_text=True)
    taken = alice.post("/account/email", data={"email-new_email": "BOB@baltic.example",
                                               "email-password": "correct-horse-battery"})
    assert "Another account uses this e-mail address." in taken.get_data(as_text=True)
    asked = alice.post("/account/email", data={"email-new_email": "Alice.New@Baltic.example",
                                               "email-password": "correct-horse-battery"}, follow_redirects=True)
    page = asked.get_data(as_text=True)
    assert "We sent a link to alice.new@baltic.example" in page
    assert "The link was sent on" in page
    [(_, recipients, raw)] = smtp_server.messages
    assert recipients == ["alice.new@baltic.example"]
    path = _link(raw)
    with app.app_context():
        assert db.session.get(User, people.alice).email == "alice@baltic.example"  # not before the link
    assert "Use <strong>alice.new@baltic.example</strong>" in alice.get(path).get_data(as_text=True)
    # Someone else holding the link gets nothing.
    assert as_person(people.bob).post(path).status_code == 404
    confirmed = alice.post(path, follow_redirects=True)
    assert "Your e-mail address is now alice.new@baltic.example." in confirmed.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, people.alice).email == "alice.new@baltic.example"
        [correction] = db.session.scalars(sa.select(Correction)).all()
        assert (correction.old_value, correction.new_value) == ("alice@baltic.example", "alice.new@baltic.example")
        assert [e.data["fields"] for e in _events("personal_data.corrected")] == [["email"]]
    assert alice.get(path).status_code == 410  # used once
    receipt = alice.get(f"/applicant/proposals/{people.proposal_id}/submissions/1").get_data(as_text=True)
    assert "E-mail address: “alice@baltic.example” became “alice.new@baltic.example”" in receipt


def test_a_link_that_expired_or_was_forged_changes_nothing(app, people, as_person, smtp_server, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    alice = as_person(people.alice)
    alice.post("/account/email", data={"email-new_email": "alice.new@baltic.example",
                                       "email-password": "correct-horse-battery"})
    with app.app_context():
        change = db.session.scalars(sa.select(EmailChange)).one()
        change_id = change.id
    assert alice.post(f"/account/email/{change_id}/{'0' * 64}").status_code == 404
    path = _link(smtp_server.messages[0][2])
    frozen_clock.move(hours=25)
    alice = as_person(people.alice)  # the session of 25 hours ago has expired: log in again
    assert alice.get(path).status_code == 410
    refused = alice.post(path, follow_redirects=True)
    assert "This confirmation link has expired or was already used." in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, people.alice).email == "alice@baltic.example"


def test_without_a_mail_server_the_page_says_the_link_could_not_be_sent(app, people, as_person) -> None:  # type: ignore[no-untyped-def]
    alice = as_person(people.alice)
    page = alice.post("/account/email", data={"email-new_email": "alice.new@baltic.example",
                                              "email-password": "correct-horse-battery"},
                      follow_redirects=True).get_data(as_text=True)
    assert "The link could not be sent: No SMTP server is configured" in page
    cancelled = alice.post(f"/account/email/{_change_id(app)}/cancel", follow_redirects=True)
    assert "is cancelled" in cancelled.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(sa.select(EmailChange)).one().cancelled_at is not None


def _change_id(app: Any) -> int:
    with app.app_context():
        return db.session.scalars(sa.select(EmailChange.id)).one()


def test_a_member_corrects_the_organisations_details_for_everyone(app, people, as_person) -> None:  # type: ignore[no-untyped-def]
    bob = as_person(people.bob)
    page = bob.get("/account/").get_data(as_text=True)
    assert 'value="Baltic Cluster Alliance"' in page
    response = bob.post("/account/organisation", data={
        "organisation-organisation_name": "Baltic Clusters Alliance", "organisation-country": "LV",
        "organisation-organisation_type": "cluster_organisation"}, follow_redirects=True)
    assert "corrected for all its members" in response.get_data(as_text=True)
    with app.app_context():
        organisation = db.session.get(User, people.alice).organisation
        assert (organisation.name, organisation.country) == ("Baltic Clusters Alliance", "LV")
        fields = [c.field for c in db.session.scalars(sa.select(Correction).order_by(Correction.id))]
        assert fields == ["organisation.name", "organisation.country", "organisation.type"]
        [event] = _events("organisation.corrected")
        assert event.actor_id == people.bob
    receipt = as_person(people.alice).get(f"/applicant/proposals/{people.proposal_id}/submissions/1")
    text = receipt.get_data(as_text=True)
    assert "Organisation's name: “Baltic Cluster Alliance” became “Baltic Clusters Alliance”" in text
    assert "Coordinator: Baltic Cluster Alliance (LT)" in text  # the submitted version as submitted


def test_an_organisation_cannot_take_the_name_of_another(app, people, as_person) -> None:  # type: ignore[no-untyped-def]
    from app.enums import OrganisationType

    with app.app_context():
        db.session.add(Organisation(name="Nordic Hub", country="LT", type=OrganisationType.OTHER))
        db.session.commit()
    response = as_person(people.bob).post("/account/organisation", data={
        "organisation-organisation_name": "nordic  hub", "organisation-country": "LT",
        "organisation-organisation_type": "other"})
    assert response.status_code == 422
    assert "Another organisation is registered with this name" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(sa.select(Correction)).all() == []


def test_hostile_text_in_a_correction_is_stored_as_typed_and_shown_escaped(app, people, as_person) -> None:  # type: ignore[no-untyped-def]
    alice = as_person(people.alice)
    hostile = '<script>alert(1)</script> Alice "><img src=x onerror=alert(1)>'
    assert alice.post("/account/name", data={"name-full_name": hostile}).status_code == 302
    for page in (alice.get("/account/"), alice.get(f"/applicant/proposals/{people.proposal_id}/submissions/1")):
        html = page.get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html
        assert "<img src=x onerror=alert(1)>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    with app.app_context():
        assert db.session.get(User, people.alice).full_name == hostile


def test_a_sending_job_that_fails_for_good_is_said_so_on_the_page(app, people, as_person, smtp_server,
                                                                   monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The confirmation e-mail's job dies (not an SMTP answer the job handles): the job registry's give-up hook
    writes it on the change, so the page does not say "being sent" for ever."""
    from app.enums import JobStatus
    from app.models import Job
    from app.services import outbox

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("worker lost")

    monkeypatch.setattr(outbox, "send_now", crash)
    alice = as_person(people.alice)
    page = alice.post("/account/email", data={"email-new_email": "alice.new@baltic.example",
                                              "email-password": "correct-horse-battery"},
                      follow_redirects=True).get_data(as_text=True)
    assert "The link could not be sent: The background job that sends it stopped." in page
    assert "The link is being sent." not in page
    with app.app_context():
        job = db.session.scalars(sa.select(Job).where(Job.kind == "personal_data.email_confirmation")).one()
        assert job.status is JobStatus.FAILED
        assert db.session.scalars(sa.select(EmailChange)).one().sent_at is None
