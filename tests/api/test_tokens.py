"""API tokens with a life: they expire (API_TOKEN_DAYS, at most API_TOKEN_MAX_DAYS), their last use is kept to the
minute, their owner lists and revokes them (API and account page), and a deactivated account's stop at once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from app.clock import set_clock
from app.enums import Role
from app.extensions import db
from app.models import ApiToken, AuditEvent, User
from tests.conftest import PASSWORD

NOW = datetime(2031, 5, 6, 7, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[list[datetime]]:
    now = [NOW]
    set_clock(lambda: now[0])
    yield now
    set_clock(None)


def _exchange(client, email: str, **extra):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD, **extra})


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _row(app: Flask, token_id: int) -> ApiToken:
    with app.app_context():
        row = db.session.get(ApiToken, token_id)
        assert row is not None
        db.session.expunge(row)
        return row


def test_a_token_lives_30_days_unless_asked_and_never_beyond_the_maximum(client, make_user, clock) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.APPLICANT)
    default = _exchange(client, user.email)
    assert default.status_code == 201
    assert default.get_json()["expires_at"] == (NOW + timedelta(days=30)).isoformat()
    week = _exchange(client, user.email, expires_in_days=7)
    assert week.get_json()["expires_at"] == (NOW + timedelta(days=7)).isoformat()
    too_long = _exchange(client, user.email, expires_in_days=366)
    assert too_long.status_code == 422
    assert too_long.get_json()["error"]["details"]["field"] == "expires_in_days"


def test_an_expired_token_is_refused_with_a_clear_error(client, make_user, clock) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.APPLICANT)
    token = _exchange(client, user.email, expires_in_days=1).get_json()["token"]
    clock[0] = NOW + timedelta(days=1) - timedelta(seconds=1)
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 200
    clock[0] = NOW + timedelta(days=1)
    expired = client.get("/api/v1/me", headers=_bearer(token))
    assert expired.status_code == 401
    assert expired.get_json()["error"]["code"] == "token_expired"
    assert "expired at 2031-05-07 07:08 UTC" in expired.get_json()["error"]["message"]


def test_the_last_use_is_kept_to_the_minute(app, client, make_user, clock) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.APPLICANT)
    token = _exchange(client, user.email).get_json()["token"]
    (listed,) = client.get("/api/v1/tokens", headers=_bearer(token)).get_json()
    assert _row(app, listed["id"]).last_used_at == NOW
    clock[0] = NOW + timedelta(seconds=59)
    client.get("/api/v1/me", headers=_bearer(token))
    assert _row(app, listed["id"]).last_used_at == NOW  # not written again within the minute
    clock[0] = NOW + timedelta(seconds=60)
    client.get("/api/v1/me", headers=_bearer(token))
    assert _row(app, listed["id"]).last_used_at == NOW + timedelta(seconds=60)


def test_you_list_and_revoke_your_own_tokens_only(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    user, other = make_user(Role.APPLICANT), make_user(Role.APPLICANT)
    first = _exchange(client, user.email, label="laptop").get_json()["token"]
    second = _exchange(client, user.email, label="script").get_json()["token"]
    theirs = _exchange(client, other.email).get_json()["token"]
    listed = client.get("/api/v1/tokens", headers=_bearer(first)).get_json()
    assert [(t["label"], t["current"]) for t in listed] == [("script", False), ("laptop", True)]
    assert first not in str(listed)
    assert "hash" not in str(listed)
    (their_token,) = client.get("/api/v1/tokens", headers=_bearer(theirs)).get_json()
    refused = client.delete(f"/api/v1/tokens/{their_token['id']}", headers=_bearer(first))
    assert refused.status_code == 404
    assert client.get("/api/v1/me", headers=_bearer(theirs)).status_code == 200
    assert client.delete(f"/api/v1/tokens/{listed[0]['id']}", headers=_bearer(first)).status_code == 204
    assert client.get("/api/v1/me", headers=_bearer(second)).status_code == 401
    assert client.get("/api/v1/me", headers=_bearer(first)).status_code == 200
    with app.app_context():
        assert db.session.get(ApiToken, listed[0]["id"]).revoked_at is not None  # type: ignore[union-attr]


def test_a_deactivated_accounts_tokens_stop_at_once(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.APPLICANT)
    token = _exchange(client, user.email).get_json()["token"]
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 200
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == user.id).values(is_active_account=False))
        db.session.commit()
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 401


def test_the_account_page_lists_and_revokes_your_tokens(app, client, make_user, login) -> None:  # type: ignore[no-untyped-def]
    user, other = make_user(Role.EVALUATOR), make_user(Role.APPLICANT)
    token = _exchange(client, user.email, label="nightly export").get_json()["token"]
    _exchange(client, other.email)
    page_client = login(app.test_client(), user)
    page = page_client.get("/account/tokens").get_data(as_text=True)
    assert "nightly export" in page
    assert "active" in page
    with app.app_context():
        mine = db.session.scalar(sa.select(ApiToken.id).where(ApiToken.user_id == user.id))
        theirs = db.session.scalar(sa.select(ApiToken.id).where(ApiToken.user_id == other.id))
    assert page_client.post(f"/account/tokens/{theirs}/revoke").status_code == 404
    done = page_client.post(f"/account/tokens/{mine}/revoke")
    assert done.headers["Location"] == "/account/tokens"
    assert "revoked" in page_client.get("/account/tokens").get_data(as_text=True)
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 401


def test_an_administrator_sees_and_revokes_anyones_tokens(app, client, make_user, token_for) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.EVALUATOR)
    admin, officer = make_user(Role.ADMIN), make_user(Role.OFFICER)
    token = _exchange(client, user.email, label="leaked").get_json()["token"]
    admin_token, officer_token = token_for(admin), token_for(officer)
    assert client.get(f"/api/v1/users/{user.id}/tokens", headers=_bearer(officer_token)).status_code == 403
    assert client.get("/api/v1/users/999999/tokens", headers=_bearer(admin_token)).status_code == 404
    (listed,) = client.get(f"/api/v1/users/{user.id}/tokens", headers=_bearer(admin_token)).get_json()
    assert listed["label"] == "leaked"
    assert client.delete(f"/api/v1/tokens/{listed['id']}", headers=_bearer(officer_token)).status_code == 404
    assert client.delete(f"/api/v1/tokens/{listed['id']}", headers=_bearer(admin_token)).status_code == 204
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 401
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "token.revoked"))
        assert event is not None
        assert (event.actor_id, event.data["owner"]) == (admin.id, user.id)


def test_an_administrator_revokes_a_token_on_the_accounts_pages(app, client, make_user, login) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.APPLICANT)
    token = _exchange(client, user.email, label="old script").get_json()["token"]
    admin = login(app.test_client(), make_user(Role.ADMIN))
    assert f"/manage/users/{user.id}/tokens" in admin.get("/manage/users").get_data(as_text=True)
    page = admin.get(f"/manage/users/{user.id}/tokens").get_data(as_text=True)
    assert "old script" in page
    with app.app_context():
        token_id = db.session.scalar(sa.select(ApiToken.id).where(ApiToken.user_id == user.id))
    done = admin.post(f"/manage/users/{user.id}/tokens/{token_id}/revoke")
    assert done.headers["Location"] == f"/manage/users/{user.id}/tokens"
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 401
    assert login(app.test_client(), make_user(Role.OFFICER)).get(f"/manage/users/{user.id}/tokens").status_code == 403
