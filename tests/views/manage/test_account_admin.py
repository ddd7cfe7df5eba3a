"""Account administration: an administrator deactivates (sessions end, log-in and API tokens refused at once) and
reactivates accounts and changes roles, each audited; nobody deactivates themselves or removes the last admin."""

from __future__ import annotations

import sqlalchemy as sa

from app.enums import Role
from app.extensions import db
from app.models import AuditEvent, RecoveryCode, User, UserSession
from tests.conftest import PASSWORD, api_token


def _events(app, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def test_the_accounts_list_shows_state_last_log_in_and_sessions(app, make_user, login) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(Role.ADMIN, full_name="Ada Admin")
    client = login(app.test_client(), admin)
    evaluator = make_user(Role.EVALUATOR, email="never@example.test")
    page = client.get("/manage/users").get_data(as_text=True)
    assert f'href="/manage/users/{evaluator.id}"' in page
    assert "Last log-in" in page
    assert "Active" in page


def test_deactivating_ends_sessions_refuses_log_in_and_tokens_at_once(app, make_user, login) -> None:  # type: ignore[no-untyped-def]
    admin = login(app.test_client(), make_user(Role.ADMIN))
    evaluator = make_user(Role.EVALUATOR)
    signed_in = login(app.test_client(), evaluator)
    token = api_token(app, evaluator)
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    done = admin.post(f"/manage/users/{evaluator.id}/deactivate", follow_redirects=True)
    assert "is deactivated: it cannot log in, 1 session ended" in done.get_data(as_text=True)
    assert signed_in.get("/review/").status_code == 302
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    refused = app.test_client().post("/auth/login", data={"email": evaluator.email, "password": PASSWORD})
    assert refused.status_code == 200  # the usual "those credentials did not work"
    with app.app_context():
        assert db.session.scalars(sa.select(UserSession).where(UserSession.user_id == evaluator.id)).all() == []
    assert [e.object_id for e in _events(app, "user.deactivated")] == [str(evaluator.id)]
    admin.post(f"/manage/users/{evaluator.id}/reactivate")
    assert [e.object_id for e in _events(app, "user.reactivated")] == [str(evaluator.id)]
    assert app.test_client().post("/auth/login", data={"email": evaluator.email,
                                                       "password": PASSWORD}).status_code == 302
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_an_administrator_cannot_deactivate_themselves(app, make_user, login) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(Role.ADMIN)
    make_user(Role.ADMIN)  # another administrator exists: the refusal is about oneself
    client = login(app.test_client(), admin)
    refused = client.post(f"/manage/users/{admin.id}/deactivate", follow_redirects=True)
    assert "You cannot deactivate your own account" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, admin.id).is_active_account


def test_the_last_active_administrator_keeps_the_role(app, make_user, login) -> None:  # type: ignore[no-untyped-def]
    first = make_user(Role.ADMIN)
    second = make_user(Role.ADMIN, Role.OFFICER)
    client = login(app.test_client(), first)
    assert client.post(f"/manage/users/{second.id}/deactivate").status_code == 302
    refused = client.post(f"/manage/users/{first.id}/roles", data={"roles": ["officer"]})
    assert refused.status_code == 422
    assert "This is the last active administrator" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, first.id).roles == {Role.ADMIN}
    client.post(f"/manage/users/{second.id}/reactivate")
    assert client.post(f"/manage/users/{first.id}/roles", data={"roles": ["officer"]}).status_code == 302
    with app.app_context():
        assert db.session.get(User, first.id).roles == {Role.OFFICER}


def test_an_administrator_changes_roles_and_the_change_is_audited(app, make_user, login) -> None:  # type: ignore[no-untyped-def]
    client = login(app.test_client(), make_user(Role.ADMIN))
    evaluator = make_user(Role.EVALUATOR)
    promoted = login(app.test_client(), evaluator)
    assert promoted.get("/manage/").status_code == 403
    done = client.post(f"/manage/users/{evaluator.id}/roles", data={"roles": ["evaluator", "officer"]},
                       follow_redirects=True)
    assert f"The roles of {evaluator.email} are changed." in done.get_data(as_text=True)
    # The roles are read on every request: the new officer, without two-factor sign-in, is sent to set it up.
    now_officer = promoted.get("/manage/")
    assert now_officer.status_code == 302
    assert now_officer.headers["Location"].endswith("/account/two-factor")
    [event] = _events(app, "user.roles_changed")
    assert (event.data["before"], event.data["after"]) == (["evaluator"], ["evaluator", "officer"])
    empty = client.post(f"/manage/users/{evaluator.id}/roles", data={})
    assert empty.status_code == 422
    assert "Choose at least one role." in empty.get_data(as_text=True)


def test_officers_do_not_administer_accounts(app, make_user, login) -> None:  # type: ignore[no-untyped-def]
    officer = login(app.test_client(), make_user(Role.OFFICER))
    evaluator = make_user(Role.EVALUATOR)
    assert officer.get(f"/manage/users/{evaluator.id}").status_code == 403
    assert officer.post(f"/manage/users/{evaluator.id}/deactivate").status_code == 403
    with app.app_context():
        assert db.session.get(User, evaluator.id).is_active_account


def test_an_administrator_resets_a_lost_authenticator_and_the_officer_enrols_again(app, make_user, login,  # type: ignore[no-untyped-def]
                                                                                    mailbox) -> None:
    admin = login(app.test_client(), make_user(Role.ADMIN))
    officer = make_user(Role.OFFICER, email="otto@commission.example")
    signed_in = login(app.test_client(), officer)  # sets up two-factor sign-in, as officers must
    token = api_token(app, officer)
    page = admin.get(f"/manage/users/{officer.id}").get_data(as_text=True)
    assert "Two-factor sign-in</dt><dd>On since" in page
    assert "Reset the lost authenticator" in page
    done = admin.post(f"/manage/users/{officer.id}/two-factor/reset", follow_redirects=True)
    assert ("The authenticator of otto@commission.example is removed with its recovery codes: 1 session ended, "
            "1 API token revoked") in done.get_data(as_text=True)
    assert signed_in.get("/manage/").status_code == 302
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    with app.app_context():
        account = db.session.get(User, officer.id)
        assert (account.totp_secret, account.totp_confirmed_at, account.has_two_factor) == (None, None, False)
        assert db.session.scalars(sa.select(RecoveryCode).where(RecoveryCode.user_id == officer.id)).all() == []
    [event] = _events(app, "user.two_factor_reset")
    assert (event.object_id, event.data["sessions_ended"], event.data["tokens_revoked"]) == (str(officer.id), 1, 1)
    [(recipients, subject, body)] = mailbox.messages
    assert (recipients, subject) == ([officer.email], "Your Eurogrants authenticator was reset")
    assert "you set up two-factor sign-in again with a new authenticator" in body
    # The password alone signs in, and the officer must set up a new authenticator before anything else.
    again = app.test_client()
    assert again.post("/auth/login", data={"email": officer.email, "password": PASSWORD}).status_code == 302
    assert again.get("/manage/").headers["Location"].startswith("/account/two-factor")
    twice = admin.post(f"/manage/users/{officer.id}/two-factor/reset", follow_redirects=True)
    assert "This account has no authenticator to reset." in twice.get_data(as_text=True)
    assert len(_events(app, "user.two_factor_reset")) == 1


def test_an_administrator_does_not_reset_their_own_authenticator(app, make_user, login) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(Role.ADMIN)
    client = login(app.test_client(), admin)
    assert "Reset the lost authenticator" not in client.get(f"/manage/users/{admin.id}").get_data(as_text=True)
    refused = client.post(f"/manage/users/{admin.id}/two-factor/reset", follow_redirects=True)
    assert "Another administrator resets your own authenticator" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, admin.id).has_two_factor
