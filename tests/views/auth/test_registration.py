"""Registration confirmed by e-mail (issue 14, hole 7): the answer never says whether an address has an account; the
address's mailbox gets the confirmation link, or its owner a notice; an unconfirmed account cannot log in."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.auth.routes import LOGIN_FAILED
from app.enums import Role
from app.extensions import db
from app.models import AuditEvent, JoinRequest, Organisation, User
from tests.mailbox import mailbox_for

ADDRESS = "rasa@cluster.example"
REGISTRATION = {
    "full_name": "Rasa Coordinator", "email": ADDRESS, "organisation_name": "Baltic Cluster", "country": "LT",
    "organisation_type": "cluster_organisation", "password": "long-enough-pw", "confirm": "long-enough-pw",
}
CONFIRMATION_SUBJECT = "Confirm your e-mail address for Eurogrants"
NOTICE_SUBJECT = "Someone tried to register with your address at Eurogrants"
CSRF = re.compile(rb'(name="csrf_token"[^>]*value=")[^"]+(")')


def _account(app: Flask) -> User:
    with app.app_context():
        user = db.session.scalars(sa.select(User).where(User.email == ADDRESS)).one()
        db.session.expunge(user)
        return user


def _answer(app: Flask, data: dict[str, str]) -> tuple[Any, ...]:
    """Everything a visitor sees of a registration: the POST's answer and the page it leads to, CSRF tokens removed."""
    client = app.test_client()
    form = client.get("/auth/register").get_data()
    token = CSRF.search(form)
    assert token is not None
    csrf = re.search(rb'value="([^"]+)"', token.group(0)).group(1).decode()  # type: ignore[union-attr]
    response = client.post("/auth/register", data={**data, "csrf_token": csrf})
    page = client.get(response.headers["Location"])
    return (response.status_code, response.headers["Location"], response.mimetype, response.get_data(),
            page.status_code, CSRF.sub(rb"\1\2", page.get_data()))


def test_registering_answers_the_same_for_a_new_a_waiting_and_a_taken_address(app, make_app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    guarded = make_app(WTF_CSRF_ENABLED=True)
    with mailbox_for(guarded, monkeypatch) as mailbox:
        new = _answer(guarded, REGISTRATION)
        waiting = _answer(guarded, REGISTRATION)  # registered, not confirmed yet
        confirmed = app.test_client().post(mailbox.link(), data={"password": REGISTRATION["password"]})
        assert confirmed.headers["Location"] == "/applicant/"
        before = _account(app)
        taken = _answer(guarded, {**REGISTRATION, "full_name": "Mallory", "password": "mallory-long-pw-7",
                                  "confirm": "mallory-long-pw-7", "organisation_name": "Evil Ltd", "country": "MT"})
    assert new == waiting == taken  # byte for byte
    assert new[:2] == (302, "/auth/login")
    assert f"we have e-mailed a link to {ADDRESS}".encode() in new[5]
    assert [subject for _, subject, _ in mailbox.messages] == [CONFIRMATION_SUBJECT, CONFIRMATION_SUBJECT,
                                                               NOTICE_SUBJECT]
    assert all(recipients == [ADDRESS] for recipients, _, _ in mailbox.messages)
    after = _account(app)  # nothing changed on the account
    assert (after.full_name, after.password_hash, after.organisation_id) == (
        before.full_name, before.password_hash, before.organisation_id)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 1


def test_the_owner_of_a_taken_address_is_told_with_the_links_to_log_in_and_to_reset(app, make_user, mailbox) -> None:  # type: ignore[no-untyped-def]
    owner = make_user(Role.APPLICANT, email=ADDRESS)
    app.test_client().post("/auth/register", data=REGISTRATION)
    [(recipients, subject, body)] = mailbox.messages
    assert (recipients, subject) == ([owner.email], NOTICE_SUBJECT)
    assert "Your account has not changed." in body
    assert f"{app.config['PUBLIC_BASE_URL']}/auth/login" in body
    assert f"{app.config['PUBLIC_BASE_URL']}/auth/password-reset" in body
    with app.app_context():
        assert db.session.scalar(sa.select(AuditEvent.action).where(
            AuditEvent.action == "user.registration_attempted", AuditEvent.object_id == str(owner.id)))


def test_the_link_asks_for_the_registration_password_and_works_once(app, mailbox) -> None:  # type: ignore[no-untyped-def]
    app.test_client().post("/auth/register", data=REGISTRATION)
    [(_, subject, body)] = mailbox.messages
    assert subject == CONFIRMATION_SUBJECT
    assert "within 24 hours" in body
    link = mailbox.link()
    visitor = app.test_client()
    page = visitor.get(link)
    assert page.status_code == 200
    assert ADDRESS in page.get_data(as_text=True)
    wrong = visitor.post(link, data={"password": "not-the-password"})
    assert wrong.status_code == 422
    assert "This is not the password chosen at registration." in wrong.get_data(as_text=True)
    waiting = _account(app)
    assert (waiting.is_confirmed, waiting.organisation_id) == (False, None)
    with app.app_context():  # an unconfirmed account holds no organisation and asks to join none
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(JoinRequest)) == 0
    done = visitor.post(link, data={"password": REGISTRATION["password"]}, follow_redirects=True)
    assert done.request.path == "/applicant/"
    assert "Your account is ready, as a member of Baltic Cluster." in done.get_data(as_text=True)
    assert _account(app).is_confirmed
    for used in (app.test_client().get(link), app.test_client().post(link, data={"password": "long-enough-pw"})):
        assert used.status_code == 410
        assert "expired or was already used" in used.get_data(as_text=True)


def test_the_link_expires_after_its_lifetime(app, mailbox, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    app.test_client().post("/auth/register", data=REGISTRATION)
    link = mailbox.link()
    assert app.config["REGISTRATION_CONFIRMATION_HOURS"] == 24  # the documented default
    frozen_clock.move(hours=23, minutes=59, seconds=59)
    assert app.test_client().get(link).status_code == 200
    frozen_clock.move(seconds=1)
    assert app.test_client().post(link, data={"password": REGISTRATION["password"]}).status_code == 410
    assert not _account(app).is_confirmed


def test_a_forged_link_does_nothing(app, mailbox) -> None:  # type: ignore[no-untyped-def]
    app.test_client().post("/auth/register", data=REGISTRATION)
    link = mailbox.link()
    altered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    assert app.test_client().post(altered, data={"password": REGISTRATION["password"]}).status_code == 410
    assert not _account(app).is_confirmed


def _log_in(app: Flask, password: str) -> Any:
    client = app.test_client()
    return client, client.post("/auth/login", data={"email": ADDRESS, "password": password})


def test_an_unconfirmed_account_cannot_log_in_and_whoever_knows_its_password_may_have_the_link_again(
        app, mailbox) -> None:  # type: ignore[no-untyped-def]
    app.test_client().post("/auth/register", data=REGISTRATION)
    stranger, refused = _log_in(app, "a-wrong-password")
    assert refused.status_code == 200
    assert LOGIN_FAILED in refused.get_data(as_text=True)
    assert "Confirm your e-mail address" not in refused.get_data(as_text=True)
    assert stranger.post("/auth/confirm/resend").headers["Location"] == "/auth/login"
    client, unconfirmed = _log_in(app, REGISTRATION["password"])
    assert unconfirmed.status_code == 403
    assert "Confirm your e-mail address first" in unconfirmed.get_data(as_text=True)
    assert client.get("/applicant/").status_code == 302  # not signed in
    assert len(mailbox.messages) == 1  # the first link; the stranger's request sent nothing
    resent = client.post("/auth/confirm/resend", follow_redirects=True)
    assert f"we have e-mailed a link to {ADDRESS}" in resent.get_data(as_text=True)
    assert [subject for _, subject, _ in mailbox.messages] == [CONFIRMATION_SUBJECT] * 2
    app.test_client().post("/auth/password-reset", data={"email": ADDRESS})
    assert len(mailbox.messages) == 2  # no reset link: registering again sends the confirmation again
    api = app.test_client().post("/api/v1/tokens", json={"email": ADDRESS, "password": REGISTRATION["password"]})
    assert (api.status_code, api.json["error"]["code"]) == (403, "email_unconfirmed")
    wrong = app.test_client().post("/api/v1/tokens", json={"email": ADDRESS, "password": "wrong-pw-1"})
    assert wrong.status_code == 401


def test_registering_again_before_confirming_replaces_the_first_registration(app, mailbox) -> None:  # type: ignore[no-untyped-def]
    # Someone registers another person's address first; the owner's own registration replaces it, so the owner never
    # ends up with an account whose password the other one knows, whichever link they follow.
    app.test_client().post("/auth/register", data={**REGISTRATION, "password": "squatter-pw-123",
                                                   "confirm": "squatter-pw-123", "organisation_name": "Evil Ltd"})
    app.test_client().post("/auth/register", data=REGISTRATION)
    first_link, second_link = mailbox.link(0), mailbox.link(1)
    assert app.test_client().post(first_link, data={"password": "squatter-pw-123"}).status_code == 422
    done = app.test_client().post(first_link, data={"password": REGISTRATION["password"]})
    assert done.headers["Location"] == "/applicant/"
    assert app.test_client().get(second_link).status_code == 410  # confirmed: every link is used up
    with app.app_context():
        assert db.session.scalars(sa.select(Organisation.name)).all() == ["Baltic Cluster"]


def test_at_most_three_confirmation_mails_an_hour_go_to_one_address(app, mailbox, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    answers = {app.test_client().post("/auth/register", data=REGISTRATION).headers["Location"] for _ in range(5)}
    assert answers == {"/auth/login"}
    assert len(mailbox.messages) == 3
    frozen_clock.move(hours=1)
    app.test_client().post("/auth/register", data=REGISTRATION)
    assert len(mailbox.messages) == 4


@pytest.mark.parametrize("taken", [False, True])
def test_registration_checks_the_input_before_looking_at_the_address(app, make_user, taken) -> None:  # type: ignore[no-untyped-def]
    if taken:
        make_user(Role.APPLICANT, email=ADDRESS)
    weak = app.test_client().post("/auth/register", data={**REGISTRATION, "password": "password123",
                                                          "confirm": "password123"})
    assert weak.status_code == 200
    assert "too common or too easy to guess" in weak.get_data(as_text=True)
