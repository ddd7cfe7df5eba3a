"""Passwords: a change with the current one (the other sessions end), and a reset by an e-mailed link that works
once, for an hour, and says nothing about whether the address has an account."""

from __future__ import annotations

import sqlalchemy as sa
from flask.testing import FlaskClient

from app.enums import Role
from app.extensions import db
from app.models import AuditEvent, Job, UserSession
from tests.conftest import PASSWORD

NEW_PASSWORD = "a-brand-new-secret-42"


def _signed_in(client: FlaskClient) -> bool:
    response = client.get("/account/")
    return response.status_code == 200


def _logs_in(app, email: str, password: str) -> bool:  # type: ignore[no-untyped-def]
    response = app.test_client().post("/auth/login", data={"email": email, "password": password})
    return response.status_code == 302


def _change(client: FlaskClient, current: str, new: str, confirm: str | None = None):  # type: ignore[no-untyped-def]
    return client.post("/account/password", data={"current_password": current, "password": new,
                                                  "confirm": new if confirm is None else confirm})


def test_changing_the_password_needs_the_current_one_and_ends_the_other_sessions(app, make_user, login) -> None:  # type: ignore[no-untyped-def]
    person = make_user(Role.EVALUATOR)
    here, elsewhere = login(app.test_client(), person), login(app.test_client(), person)
    refused = _change(here, "not-my-password", NEW_PASSWORD)
    assert refused.status_code == 422
    assert "The current password is not right." in refused.get_data(as_text=True)
    assert _signed_in(elsewhere)
    done = _change(here, PASSWORD, NEW_PASSWORD)
    assert done.status_code == 302
    assert "1 other session ended." in here.get(done.headers["Location"]).get_data(as_text=True)
    assert _signed_in(here)
    assert not _signed_in(elsewhere)
    assert _logs_in(app, person.email, NEW_PASSWORD)
    assert not _logs_in(app, person.email, PASSWORD)
    with app.app_context():
        assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.password_changed")) is not None


def test_a_new_password_follows_the_rules_of_registration(app, make_user, login) -> None:  # type: ignore[no-untyped-def]
    person = make_user(Role.APPLICANT)
    client = login(app.test_client(), person)
    too_short = _change(client, PASSWORD, "short-9")
    assert too_short.status_code == 422
    assert "Use at least 10 characters." in too_short.get_data(as_text=True)
    common = _change(client, PASSWORD, "password123")
    assert common.status_code == 422
    assert "too common or too easy to guess" in common.get_data(as_text=True)
    differ = _change(client, PASSWORD, NEW_PASSWORD, confirm=NEW_PASSWORD + "x")
    assert "The passwords differ." in differ.get_data(as_text=True)
    assert _logs_in(app, person.email, PASSWORD)


def test_asking_for_a_reset_answers_the_same_whether_the_address_has_an_account_or_not(app, make_user, mailbox
                                                                                      ) -> None:  # type: ignore[no-untyped-def]
    person = make_user(Role.APPLICANT, email="known@example.org")
    answers = []
    for address in ("known@example.org", "nobody@example.org"):
        client = app.test_client()
        response = client.post("/auth/password-reset", data={"email": address})
        answers.append((response.status_code, response.headers["Location"],
                        client.get(response.headers["Location"]).get_data(as_text=True).replace(address, "")))
    assert answers[0] == answers[1]
    assert "If an account uses this address, we have e-mailed it a link" in answers[0][2]
    assert [recipients for recipients, _, _ in mailbox.messages] == [[person.email]]  # sent at once, to the owner only
    with app.app_context():
        assert [job.kind for job in db.session.scalars(sa.select(Job))] == ["accounts.password_reset_link"]


def test_a_reset_link_sets_a_new_password_once_and_ends_every_session(app, make_user, login, mailbox) -> None:  # type: ignore[no-untyped-def]
    person = make_user(Role.OFFICER)
    old_session = login(app.test_client(), person)
    app.test_client().post("/auth/password-reset", data={"email": person.email})
    [(_, subject, body)] = mailbox.messages
    assert subject == "Choose a new password for Eurogrants"
    assert "within 60 minutes" in body
    path = mailbox.link()
    visitor = app.test_client()
    assert visitor.get(path).status_code == 200
    weak = visitor.post(path, data={"password": "password123", "confirm": "password123"})
    assert weak.status_code == 422  # the registration's rules; the link still works afterwards
    done = visitor.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert not _signed_in(old_session)
    with app.app_context():
        assert db.session.scalars(sa.select(UserSession)).all() == []
        assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.password_reset")) is not None
    assert _logs_in(app, person.email, NEW_PASSWORD)
    used = visitor.post(path, data={"password": "another-fresh-secret-7", "confirm": "another-fresh-secret-7"})
    assert used.status_code == 410
    assert "expired or was already used" in used.get_data(as_text=True)
    assert _logs_in(app, person.email, NEW_PASSWORD)


def test_a_reset_link_expires_after_its_lifetime(app, make_user, mailbox, clock) -> None:  # type: ignore[no-untyped-def]
    person = make_user(Role.APPLICANT)
    app.test_client().post("/auth/password-reset", data={"email": person.email})
    path = mailbox.link()
    assert app.config["PASSWORD_RESET_MINUTES"] == 60  # the documented default
    clock.move(minutes=59, seconds=59)
    assert app.test_client().get(path).status_code == 200
    clock.move(seconds=1)
    expired = app.test_client().post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert expired.status_code == 410
    assert _logs_in(app, person.email, PASSWORD)


def test_a_forged_or_altered_reset_link_does_nothing(app, make_user, mailbox) -> None:  # type: ignore[no-untyped-def]
    person = make_user(Role.APPLICANT)
    app.test_client().post("/auth/password-reset", data={"email": person.email})
    path = mailbox.link()
    altered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    assert app.test_client().get(altered).status_code == 410
    assert app.test_client().get("/auth/password-reset/eyJ1c2VyIjoxfQ.forged").status_code == 410
    assert app.test_client().post(altered, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 410
    assert _logs_in(app, person.email, PASSWORD)
