"""Passwords: a change by the signed-in owner (the current password asked again) and a reset by an e-mailed link.

A reset link is signed with the app's secret key and names the account, the moment it was made and a fingerprint of
the password it replaces: it works for PASSWORD_RESET_MINUTES (default 60), by the app's clock, and once only, since
the password it names is gone after it was used. Asking for one answers the same whether an account has the address
or not; the link goes out at once through the mail path (app/services/outbox.py `send_now`), in a background job.
Both the change and the reset share registration's rules (`check_password_strength`) and end sessions.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app import jobs
from app.clock import utcnow
from app.extensions import db
from app.languages import N_
from app.models import User
from app.queries.accounts import normalise_email
from app.services.accounts import check_password_strength, hash_password, password_matches
from app.services.audit import record_event
from app.services.errors import InvalidInput, InvalidTransition
from app.services.mail import public_base_url, send_to_person
from app.services.sessions import end_all_sessions

RESET_LINK_GONE = N_("This link to choose a new password has expired or was already used. Ask for a new one: it is "
                     "e-mailed at once.")


def change_password(user: User, *, current_password: str, new_password: str, current_session: int | None) -> int:
    """The owner changes their password, giving the current one; every other session of theirs ends. Returns how many
    sessions ended.

    Side effects: the password hash, the other sessions deleted, an audit event.
    """
    if not password_matches(user, current_password):
        raise InvalidInput(N_("The current password is not right."), details={"field": "current_password"})
    check_password_strength(new_password, email=user.email)
    if password_matches(user, new_password):
        raise InvalidInput(N_("Choose a password other than the current one."), details={"field": "password"})
    user.password_hash = hash_password(new_password)
    record_event(user, "user.password_changed", object_type="user", object_id=user.id)
    return end_all_sessions(user, actor=user, except_current=current_session, reason="password changed")


def request_password_reset(email: str) -> None:
    """Someone asks for a reset link for `email`: an active account with that address gets it by e-mail, at once.
    Nothing tells the asker whether there is one.

    Side effects: for an active account only, the sending job.
    """
    # An account waiting for the confirmation of its address gets none: registering again sends its link again.
    user_id = db.session.scalar(sa.select(User.id).where(User.email == normalise_email(email),
                                                         User.is_active_account.is_(True),
                                                         User.email_confirmed_at.is_not(None)))
    if user_id is not None:
        jobs.enqueue("accounts.password_reset_link", {"user": user_id, "at": int(utcnow().timestamp())})


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(str(current_app.config["SECRET_KEY"]), salt="password-reset")


def _fingerprint(user: User) -> str:
    # Changes with the password, so a link works once: using it (or any other change) replaces the password.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:32]


def reset_link_token(user: User, *, made_at: int) -> str:
    """The signed token of a reset link for `user`, made at `made_at` (seconds since the epoch, by the app's clock)."""
    return str(_serializer().dumps({"user": user.id, "made": made_at, "password": _fingerprint(user)}))


def reset_lifetime() -> timedelta:
    """How long a reset link works (PASSWORD_RESET_MINUTES)."""
    return timedelta(minutes=int(current_app.config["PASSWORD_RESET_MINUTES"]))


def user_for_reset_token(token: str) -> User | None:
    """The active account a reset link still works for, or None (forged, expired, used, account deactivated)."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not all(k in data for k in ("user", "made", "password")):
        return None
    age = utcnow().timestamp() - float(data["made"])
    if age < 0 or age >= reset_lifetime().total_seconds():
        return None
    user = db.session.get(User, int(data["user"]))
    if user is None or not user.is_active or _fingerprint(user) != data["password"]:
        return None
    return user


def reset_password(token: str, *, new_password: str) -> User:
    """Set a new password through a reset link; every session of the account ends (whoever held one may have known
    the old password).

    Side effects: the password hash, all sessions deleted, an audit event.
    """
    user = user_for_reset_token(token)
    if user is None:
        raise InvalidTransition(RESET_LINK_GONE)
    check_password_strength(new_password, email=user.email)
    user.password_hash = hash_password(new_password)
    record_event(None, "user.password_reset", object_type="user", object_id=user.id)
    end_all_sessions(user, actor=None, reason="password reset")
    return user


def send_password_reset_link_job(payload: dict[str, Any]) -> dict[str, Any]:
    """Background job: e-mail the reset link to the account's owner, at once (nobody reviews it)."""
    user = db.session.get(User, int(payload["user"]))
    if user is None or not user.is_active:
        return {"sent": False, "reason": "no such active account"}
    made_at = int(payload["at"])
    link = f"{public_base_url()}/auth/password-reset/{reset_link_token(user, made_at=made_at)}"
    reason = send_to_person(user, N_("Choose a new password for Eurogrants"), "email/password_reset.txt",
                            message_id=f"password-reset-{user.id}-{made_at}", link=link,
                            minutes=int(reset_lifetime().total_seconds() // 60))
    if reason is not None:
        return {"sent": False, "reason": reason}
    record_event(None, "user.password_reset_link_sent", object_type="user", object_id=user.id)
    return {"sent": True}
