from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.auth.routes import LOGIN_FAILED
from app.enums import Role
from app.extensions import db
from app.models import AuditEvent, JoinRequest, Organisation, User
from tests.conftest import PASSWORD
from tests.registering import register_and_confirm

REGISTRATION = {
    "full_name": "Rasa Coordinator", "email": "rasa@cluster.example", "organisation_name": "Baltic Cluster",
    "country": "LT", "organisation_type": "cluster_organisation", "password": "long-enough-pw",
    "confirm": "long-enough-pw",
}


def test_wrong_password_and_unknown_email_get_the_same_message(client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.APPLICANT)
    wrong_password = client.post("/auth/login", data={"email": user.email, "password": "not-the-password"})
    unknown_email = client.post("/auth/login", data={"email": "nobody@example.test", "password": PASSWORD})
    for response in (wrong_password, unknown_email):
        assert response.status_code == 200
        assert LOGIN_FAILED in response.get_data(as_text=True)
    assert client.get("/applicant/").status_code == 302


def test_login_is_case_insensitive_on_email_and_goes_home(client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.EVALUATOR)
    response = client.post("/auth/login", data={"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/review/"


def test_login_follows_a_local_next_but_never_another_site(client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.OFFICER)
    local = client.post("/auth/login?next=/manage/", data={"email": user.email, "password": PASSWORD})
    assert local.headers["Location"] == "/manage/"
    client.post("/auth/logout")
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client.post(f"/auth/login?next={target}", data={"email": user.email, "password": PASSWORD})
        assert response.headers["Location"] == "/manage/"
        client.post("/auth/logout")


def test_registration_creates_an_applicant_with_organisation(client, app) -> None:  # type: ignore[no-untyped-def]
    response = register_and_confirm(app, client, REGISTRATION)
    assert response.status_code == 302
    assert response.headers["Location"] == "/applicant/"
    assert client.get("/applicant/").status_code == 200
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "rasa@cluster.example"))
        assert user is not None
        assert user.roles == {Role.APPLICANT}
        assert user.organisation.name == "Baltic Cluster"
        assert user.organisation.country == "LT"
        assert user.password_hash.startswith("$argon2id$")
        assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.object_id == str(user.id)))


def test_a_colleague_naming_the_same_organisation_asks_to_join_it_and_is_not_a_member(app) -> None:  # type: ignore[no-untyped-def]
    # Two plain clients: pytest-flask's `client` keeps its request context (and signed-in user) pushed.
    register_and_confirm(app, app.test_client(), REGISTRATION)
    response = register_and_confirm(app, app.test_client(), {**REGISTRATION, "email": "second@cluster.example",
                                                             "organisation_name": "baltic  cluster"})
    assert response.headers["Location"] == "/applicant/organisation"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 1
        second = db.session.scalar(sa.select(User).where(User.email == "second@cluster.example"))
        assert second.organisation_id is None
        assert db.session.scalar(sa.select(JoinRequest.status).where(JoinRequest.user_id == second.id)) == "pending"


def test_registration_rejects_short_passwords_and_mismatches(client) -> None:  # type: ignore[no-untyped-def]
    short = client.post("/auth/register", data={**REGISTRATION, "password": "short", "confirm": "short"})
    assert "Use at least 10 characters." in short.get_data(as_text=True)
    mismatch = client.post("/auth/register", data={**REGISTRATION, "confirm": "something-else"})
    assert "The passwords differ." in mismatch.get_data(as_text=True)


def test_logout_needs_post_and_ends_the_session(client_as) -> None:  # type: ignore[no-untyped-def]
    client = client_as(Role.APPLICANT)
    assert client.get("/auth/logout").status_code == 405
    assert client.post("/auth/logout").status_code == 302
    assert client.get("/applicant/").status_code == 302


def test_csrf_is_enforced_outside_tests(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    response = client.post("/auth/login", data={"email": "a@example.test", "password": "whatever-pw"})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    page = client.get("/auth/login").get_data(as_text=True)
    assert 'name="csrf_token"' in page


def test_admin_creates_an_evaluator_account_from_the_ui(client_as, app) -> None:  # type: ignore[no-untyped-def]
    admin = client_as(Role.ADMIN)
    response = admin.post("/manage/users", data={
        "full_name": "Ines Expert", "email": "ines@experts.example", "roles": ["evaluator"],
        "organisation_name": "Tallinn University", "country": "EE", "organisation_type": "university_or_research",
        "password": "evaluator-password", "confirm": "evaluator-password",
    })
    assert response.status_code == 302
    page = admin.get("/manage/users").get_data(as_text=True)
    assert "ines@experts.example" in page
    assert "Account ines@experts.example created." in page
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "ines@experts.example"))
        assert user.roles == {Role.EVALUATOR}
        assert user.organisation.country == "EE"


def test_admin_form_reports_a_duplicate_email(client_as, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user(Role.EVALUATOR, email="dup@example.org")
    response = client_as(Role.ADMIN).post("/manage/users", data={
        "full_name": "X", "email": "dup@example.org", "roles": ["officer"], "country": "",
        "organisation_type": "other", "password": "officer-password", "confirm": "officer-password",
    })
    assert response.status_code == 200
    assert "already exists" in response.get_data(as_text=True)


def test_login_is_rate_limited(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(RATELIMIT_ENABLED=True)
    client = app.test_client()
    statuses = [client.post("/auth/login", data={"email": f"x{i}@example.org", "password": "wrong-password"},
                            environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code for i in range(11)]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429


def test_five_failures_lock_the_address_whether_or_not_an_account_exists(client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.APPLICANT)
    for email in (user.email, "ghost@example.org"):
        for _ in range(5):
            assert client.post("/auth/login", data={"email": email, "password": "wrong-password"}).status_code == 200
        locked = client.post("/auth/login", data={"email": email, "password": PASSWORD})
        assert locked.status_code == 429
        assert "If an account exists for it" in locked.get_data(as_text=True)
    # Another address is not affected.
    other = make_user(Role.APPLICANT)
    assert client.post("/auth/login", data={"email": other.email, "password": PASSWORD}).status_code == 302


def test_lockout_ends_after_fifteen_minutes(client, make_user) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from app.clock import set_clock, utcnow

    user = make_user(Role.APPLICANT)
    start = utcnow()
    try:
        set_clock(lambda: start)
        for _ in range(5):
            client.post("/auth/login", data={"email": user.email, "password": "wrong-password"})
        assert client.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 429
        set_clock(lambda: start + timedelta(minutes=15, seconds=1))
        assert client.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    finally:
        set_clock(None)


@pytest.mark.parametrize("password", ["password123", "aaaaaaaaaaaa", "ababababab", "rasa-is-my-name"])
def test_common_and_guessable_passwords_are_refused(client, password) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/auth/register", data={**REGISTRATION, "password": password, "confirm": password})
    assert response.status_code == 200
    assert "too common or too easy to guess" in response.get_data(as_text=True)
