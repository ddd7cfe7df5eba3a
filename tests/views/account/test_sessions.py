"""Sessions kept on the server: a log-out ends one for good, they expire after inactivity and after an absolute
lifetime, their last-seen time costs at most one write a minute, and a person sees and ends their other sessions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from app.enums import Role
from app.extensions import db
from app.models import AuditEvent, UserSession
from tests.factories import QueryCounter


def _signed_in(client: FlaskClient) -> bool:
    """Whether the client's cookie opens a signed-in page (else it is sent to log in)."""
    response = client.get("/account/")
    if response.status_code == 302:
        assert "/auth/login" in response.headers["Location"]
        return False
    assert response.status_code == 200
    return True


def _copy_of_cookie(app: Any, client: FlaskClient) -> FlaskClient:
    """Another browser holding a saved copy of the client's session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def test_a_cookie_saved_before_log_out_no_longer_works_after_it(app, make_user, login) -> None:  # type: ignore[no-untyped-def]
    client = login(app.test_client(), make_user(Role.APPLICANT))
    saved = _copy_of_cookie(app, client)
    assert _signed_in(saved)  # the copy works while the session lives
    assert client.post("/auth/logout").status_code == 302
    assert not _signed_in(saved)
    assert not _signed_in(client)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0


def test_only_a_hash_of_the_session_id_is_stored(app, make_user, login) -> None:  # type: ignore[no-untyped-def]
    from flask.sessions import SecureCookieSessionInterface

    client = login(app.test_client(), make_user(Role.APPLICANT))
    cookie = client.get_cookie("session")
    assert cookie is not None
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    session_id = serializer.loads(cookie.value)["sid"]
    with app.app_context():
        [row] = db.session.scalars(sa.select(UserSession)).all()
        assert session_id not in (row.token_hash, str(row.id))
        assert len(row.token_hash) == 64


def test_a_session_ends_after_the_idle_time_and_not_before(app, make_user, login, clock) -> None:  # type: ignore[no-untyped-def]
    client = login(app.test_client(), make_user(Role.EVALUATOR))
    idle = app.config["SESSION_IDLE_MINUTES"]
    assert idle == 120  # the documented default
    clock.move(minutes=idle, seconds=-1)
    assert _signed_in(client)  # a request just before the limit keeps the session alive ...
    clock.move(minutes=idle, seconds=-1)
    assert _signed_in(client)  # ... for another idle period from that request
    clock.move(minutes=idle)
    assert not _signed_in(client)
    with app.app_context():  # the expired session is gone
        assert db.session.scalars(sa.select(UserSession)).all() == []


def test_a_session_ends_at_its_absolute_lifetime_however_active(app, make_user, login, clock) -> None:  # type: ignore[no-untyped-def]
    client = login(app.test_client(), make_user(Role.OFFICER))
    hours = app.config["SESSION_ABSOLUTE_HOURS"]
    assert hours == 12  # the documented default
    for _ in range(hours * 2 - 1):
        clock.move(minutes=30)
        assert _signed_in(client)
    clock.move(minutes=29, seconds=59)
    assert _signed_in(client)  # 11:59:59 after the log-in
    clock.move(seconds=1)
    assert not _signed_in(client)


def test_the_last_seen_time_is_written_at_most_once_a_minute(app, make_user, login, clock) -> None:  # type: ignore[no-untyped-def]
    client = login(app.test_client(), make_user(Role.APPLICANT))

    def writes_while_reading() -> list[str]:
        with app.app_context(), QueryCounter() as counter:
            assert client.get("/account/").status_code == 200
        return [s for s in counter.statements if s.lstrip().upper().startswith("UPDATE USER_SESSIONS")]

    with app.app_context():
        started = db.session.scalars(sa.select(UserSession)).one().last_seen_at
    assert writes_while_reading() == []
    clock.move(seconds=59)
    assert writes_while_reading() == []
    clock.move(seconds=1)
    assert len(writes_while_reading()) == 1
    assert writes_while_reading() == []
    with app.app_context():
        assert db.session.scalars(sa.select(UserSession)).one().last_seen_at == clock.now()
        assert clock.now() - started == timedelta(minutes=1)


def test_a_person_sees_their_sessions_and_ends_another_one(app, make_user, login) -> None:  # type: ignore[no-untyped-def]
    person = make_user(Role.APPLICANT)
    laptop = login(app.test_client(), person)
    phone = app.test_client()
    phone.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/120.0 Mobile"
    login(phone, person)
    page = laptop.get("/account/sessions").get_data(as_text=True)
    assert "This session" in page
    assert "Chrome on Android" in page
    assert "End all other sessions" in page
    with app.app_context():
        phone_session = db.session.scalars(sa.select(UserSession).where(UserSession.user_agent.contains("Android"))
                                           ).one()
    ended = laptop.post(f"/account/sessions/{phone_session.id}/end", follow_redirects=True)
    assert "That session is ended" in ended.get_data(as_text=True)
    assert not _signed_in(phone)
    assert _signed_in(laptop)
    with app.app_context():
        assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "session.ended")) is not None


def test_the_session_in_use_is_not_ended_from_the_list(app, make_user, login) -> None:  # type: ignore[no-untyped-def]
    client = login(app.test_client(), make_user(Role.APPLICANT))
    with app.app_context():
        own = db.session.scalars(sa.select(UserSession)).one()
    refused = client.post(f"/account/sessions/{own.id}/end", follow_redirects=True)
    assert "log out to end it" in refused.get_data(as_text=True)
    assert _signed_in(client)


def test_end_all_other_sessions_keeps_only_this_one(app, make_user, login) -> None:  # type: ignore[no-untyped-def]
    person = make_user(Role.EVALUATOR)
    here, *elsewhere = [login(app.test_client(), person) for _ in range(3)]
    done = here.post("/account/sessions/end-others", follow_redirects=True)
    assert "2 other sessions ended." in done.get_data(as_text=True)
    assert [_signed_in(client) for client in elsewhere] == [False, False]
    assert _signed_in(here)


def test_nobody_ends_the_session_of_another_account(app, make_user, login) -> None:  # type: ignore[no-untyped-def]
    victim = login(app.test_client(), make_user(Role.APPLICANT))
    other = login(app.test_client(), make_user(Role.APPLICANT))
    with app.app_context():
        victim_session = db.session.scalars(sa.select(UserSession).order_by(UserSession.id)).first()
    assert other.post(f"/account/sessions/{victim_session.id}/end").status_code == 404
    assert _signed_in(victim)
