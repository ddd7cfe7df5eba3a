"""Two-factor sign-in through the pages and the API: the code step after the password, the enrolment that officers
and administrators cannot skip, recovery codes shown once, turning it off; the token exchange that respects it."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.clock import set_clock, utcnow
from app.enums import Role
from app.extensions import db
from app.models import User
from app.services.two_factor import WRONG_CODE
from app.web.locale import LANGUAGE_COOKIE
from tests.conftest import PASSWORD
from tests.i18n_support import english_left
from tests.two_factor import SECRET_ON_PAGE, code_for, enrol_through_pages


@pytest.fixture
def enrolled_evaluator(app: Flask, make_user, login) -> tuple[User, list[str]]:  # type: ignore[no-untyped-def]
    """An evaluator who chose two-factor sign-in (through its pages), then logged out; and their recovery codes."""
    user = make_user(Role.EVALUATOR)
    client = login(app.test_client(), user)
    codes = enrol_through_pages(app, client, user.email)
    client.post("/auth/logout")
    return user, codes


def _password_step(client: FlaskClient, user: User, query: str = "") -> None:
    response = client.post(f"/auth/login{query}", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/auth/two-factor"


def test_the_password_alone_does_not_sign_in_when_two_factor_is_on(app, client, enrolled_evaluator) -> None:  # type: ignore[no-untyped-def]
    user, _ = enrolled_evaluator
    _password_step(client, user, "?next=/review/")
    assert client.get("/review/").headers["Location"].startswith("/auth/login")  # not signed in yet
    page = client.get("/auth/two-factor").get_data(as_text=True)
    assert "authenticator app" in page
    assert 'autocomplete="one-time-code"' in page
    wrong = client.post("/auth/two-factor", data={"code": "000000"})
    assert wrong.status_code == 200
    assert WRONG_CODE in wrong.get_data(as_text=True)
    assert client.get("/review/").status_code == 302
    right = client.post("/auth/two-factor", data={"code": code_for(app, user.email)})
    assert right.headers["Location"] == "/review/"
    assert client.get("/review/").status_code == 200


def test_a_recovery_code_signs_in_once(app, enrolled_evaluator) -> None:  # type: ignore[no-untyped-def]
    user, codes = enrolled_evaluator
    assert len(codes) == 10
    first = app.test_client()
    _password_step(first, user)
    assert first.post("/auth/two-factor", data={"code": codes[0]}).headers["Location"] == "/review/"
    second = app.test_client()
    _password_step(second, user)
    again = second.post("/auth/two-factor", data={"code": codes[0]})
    assert again.status_code == 200
    assert WRONG_CODE in again.get_data(as_text=True)


def test_five_wrong_codes_send_back_to_the_password(client, enrolled_evaluator) -> None:  # type: ignore[no-untyped-def]
    user, _ = enrolled_evaluator
    _password_step(client, user)
    for _ in range(4):
        assert client.post("/auth/two-factor", data={"code": "000000"}).status_code == 200
    fifth = client.post("/auth/two-factor", data={"code": "000000"})
    assert fifth.headers["Location"] == "/auth/login"
    assert "No log-in waits for a code" in client.get("/auth/two-factor").get_data(as_text=True)


def test_a_log_in_waits_five_minutes_for_its_code(app, client, enrolled_evaluator) -> None:  # type: ignore[no-untyped-def]
    user, _ = enrolled_evaluator
    started = utcnow()
    _password_step(client, user)
    code = code_for(app, user.email)
    set_clock(lambda: started + timedelta(minutes=5, seconds=2))
    try:
        late = client.post("/auth/two-factor", data={"code": code})
    finally:
        set_clock(None)
    assert late.status_code == 200
    assert "No log-in waits for a code" in late.get_data(as_text=True)
    assert client.get("/review/").status_code == 302


def test_an_officer_without_two_factor_is_sent_to_set_it_up_first(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    officer = make_user(Role.OFFICER)
    assert client.post("/auth/login", data={"email": officer.email, "password": PASSWORD}).status_code == 302
    for path in ("/manage/", "/manage/users", "/account/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == "/account/two-factor", path
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "Officers and administrators must use it" in page
    assert client.post("/account/two-factor/start").headers["Location"] == "/account/two-factor"
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = SECRET_ON_PAGE.search(page).group(1)  # type: ignore[union-attr]
    assert "<svg" in page
    assert "<script" not in page.split("<main", 1)[1]
    assert client.get("/manage/").headers["Location"] == "/account/two-factor"  # pending is not enough
    refused = client.post("/account/two-factor/confirm", data={"code": "000000"})
    assert refused.status_code == 422
    assert "does not match" in refused.get_data(as_text=True)
    confirmed = client.post("/account/two-factor/confirm", data={"code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", confirmed.get_data(as_text=True))
    assert len(codes) == 10
    assert client.get("/manage/").status_code == 200
    # Shown once: the page no longer lists them, only how many are left.
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert codes[0] not in page
    assert "10 of 10" in page


def test_evaluators_and_applicants_are_offered_two_factor_not_forced(client_as) -> None:  # type: ignore[no-untyped-def]
    evaluator = client_as(Role.EVALUATOR)
    assert evaluator.get("/review/").status_code == 200
    assert "Two-factor sign-in</dt><dd>Off" in evaluator.get("/account/").get_data(as_text=True)
    assert "Recommended" in evaluator.get("/account/two-factor").get_data(as_text=True)
    assert client_as(Role.APPLICANT).get("/applicant/").status_code == 200


def test_turning_it_off_on_the_page_needs_password_and_code(app, make_user, login) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.APPLICANT)
    client = login(app.test_client(), user)
    enrol_through_pages(app, client, user.email)
    wrong = client.post("/account/two-factor/disable", data={"password": "not-mine-at-all", "code": "000000"})
    assert wrong.status_code == 422
    assert "That is not your password." in wrong.get_data(as_text=True)
    done = client.post("/account/two-factor/disable", data={"password": PASSWORD, "code": code_for(app, user.email)})
    assert done.headers["Location"] == "/account/two-factor"
    with app.app_context():
        assert not db.session.get(User, user.id).has_two_factor  # type: ignore[union-attr]
    client.post("/auth/logout")
    assert client.post("/auth/login", data={"email": user.email, "password": PASSWORD}).headers["Location"] \
        == "/applicant/"


def test_new_recovery_codes_on_the_page(app, make_user, login) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.EVALUATOR)
    client = login(app.test_client(), user)
    old = enrol_through_pages(app, client, user.email)
    response = client.post("/account/two-factor/recovery-codes", data={"code": code_for(app, user.email)})
    new = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", response.get_data(as_text=True))
    assert response.status_code == 200
    assert len(new) == 10
    assert not set(new) & set(old)


def test_the_token_exchange_respects_two_factor(app, client, make_user, login) -> None:  # type: ignore[no-untyped-def]
    officer = make_user(Role.OFFICER)
    body = {"email": officer.email, "password": PASSWORD}
    refused = client.post("/api/v1/tokens", json=body)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "two_factor_enrolment_required"
    login(app.test_client(), officer)  # signed in on the pages, where the officer has to set it up first
    missing = client.post("/api/v1/tokens", json=body)
    assert missing.status_code == 401
    assert missing.get_json()["error"]["code"] == "two_factor_required"
    wrong = client.post("/api/v1/tokens", json={**body, "code": "000000"})
    assert wrong.status_code == 401
    assert wrong.get_json()["error"]["code"] == "two_factor_invalid"
    issued = client.post("/api/v1/tokens", json={**body, "code": code_for(app, officer.email)})
    assert issued.status_code == 201
    token = issued.get_json()["token"]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()["email"] == officer.email


def _last_login(app: Flask, user: User) -> object:
    with app.app_context():
        return db.session.get(User, user.id).last_login_at  # type: ignore[union-attr]


def test_the_last_log_in_is_written_once_the_second_factor_has_passed(app, enrolled_evaluator, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    user, _ = enrolled_evaluator
    before = _last_login(app, user)  # the log-in that enrolled
    frozen_clock.move(minutes=10)
    client = app.test_client()
    _password_step(client, user)
    assert _last_login(app, user) == before  # the password alone is no log-in
    assert app.test_client().post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD}
                                  ).status_code == 401  # nor is the token exchange without its code
    assert _last_login(app, user) == before
    assert client.post("/auth/two-factor", data={"code": code_for(app, user.email)}).status_code == 302
    assert _last_login(app, user) == frozen_clock.now()
    frozen_clock.move(minutes=10)
    token = app.test_client().post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD,
                                                           "code": code_for(app, user.email)})
    assert token.status_code == 201
    assert _last_login(app, user) == frozen_clock.now()


@pytest.mark.parametrize("language", ["fr", "de"])
def test_an_officer_sent_to_set_up_two_factor_reads_why_in_their_language(app, client, make_user,  # type: ignore[no-untyped-def]
                                                                          language: str) -> None:
    officer = make_user(Role.OFFICER)
    client.set_cookie(LANGUAGE_COOKIE, language)
    assert client.post("/auth/login", data={"email": officer.email, "password": PASSWORD}).status_code == 302
    page = client.get("/manage/", follow_redirects=True).get_data(as_text=True)
    assert {"fr": "configurez votre application d’authentification", "de": "Richten Sie Ihre Authenticator-App ein"}[
        language] in page
    assert english_left(page, language, user_content=[officer.email, officer.full_name]) == []
