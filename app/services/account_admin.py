"""Account administration by administrators: deactivate and reactivate an account, change its roles, reset a lost
authenticator. Each is audited; an administrator can neither deactivate themselves nor leave the system without an
active administrator.

A deactivated account cannot log in, its sessions end at once (app/services/sessions.py) and its API tokens stop
working at the next request (app/queries/accounts.py `user_for_token` refuses an inactive account's tokens).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app import jobs
from app.clock import utcnow
from app.enums import Role
from app.extensions import db
from app.languages import N_
from app.models import ApiToken, RecoveryCode, User, UserRole
from app.queries.two_factor import is_two_factor_required
from app.services.audit import record_event
from app.services.errors import InvalidInput, InvalidTransition, NotAllowed
from app.services.mail import public_base_url, send_to_person
from app.services.sessions import end_all_sessions

LAST_ADMIN = N_("This is the last active administrator: give another account the administrator role first, so "
                "that somebody can still administer Eurogrants.")


def _require_admin(actor: User) -> None:
    if not actor.has_role(Role.ADMIN):
        raise NotAllowed(N_("Only administrators administer accounts."))


def _other_active_admins(user: User) -> int:
    """Active administrators other than `user`, their role rows locked until the transaction ends: two
    administrators who demote each other at once cannot both pass the check (PostgreSQL; SQLite has one writer)."""
    rows = db.session.scalars(
        sa.select(UserRole.user_id).join(User, User.id == UserRole.user_id)
        .where(UserRole.role == Role.ADMIN, User.is_active_account.is_(True), User.id != user.id)
        .with_for_update(of=UserRole)
    ).all()
    return len(rows)


def deactivate_account(user: User, *, actor: User) -> int:
    """Deactivate `user`: no log-in, every session ended, API tokens refused. Returns the number of sessions ended.

    Side effects: the account's state, its sessions deleted, audit events.
    """
    _require_admin(actor)
    if user.id == actor.id:
        raise NotAllowed(N_("You cannot deactivate your own account; another administrator can."))
    if not user.is_active_account:
        raise InvalidTransition(N_("This account is deactivated already."))
    if user.has_role(Role.ADMIN) and _other_active_admins(user) == 0:
        raise InvalidTransition(LAST_ADMIN)
    user.is_active_account = False
    record_event(actor, "user.deactivated", object_type="user", object_id=user.id)
    return end_all_sessions(user, actor=actor, reason="account deactivated")


def reactivate_account(user: User, *, actor: User) -> None:
    """Let a deactivated account log in again (side effects: the account's state, an audit event)."""
    _require_admin(actor)
    if user.is_active_account:
        raise InvalidTransition(N_("This account is active already."))
    user.is_active_account = True
    record_event(actor, "user.reactivated", object_type="user", object_id=user.id)
    db.session.flush()


def change_roles(user: User, *, actor: User, roles: Iterable[Role]) -> bool:
    """Give `user` exactly `roles`; False when they already had them. The last active administrator keeps the role.

    Side effects: the account's roles, an audit event with the roles before and after.
    """
    _require_admin(actor)
    wanted = frozenset(roles)
    if not wanted:
        raise InvalidInput(N_("Give the account at least one role."), details={"field": "roles"})
    before = user.roles
    if wanted == before:
        return False
    if Role.ADMIN in before and Role.ADMIN not in wanted and user.is_active_account and _other_active_admins(user) == 0:
        raise InvalidTransition(LAST_ADMIN, details={"field": "roles"})
    for link in [link for link in user.role_links if link.role not in wanted]:
        user.role_links.remove(link)
    user.role_links.extend(UserRole(role=role) for role in sorted(wanted - before))
    db.session.flush()
    record_event(actor, "user.roles_changed", object_type="user", object_id=user.id,
                 before=sorted(r.value for r in before), after=sorted(r.value for r in wanted))
    return True


@dataclass(frozen=True)
class AuthenticatorReset:
    """What resetting a lost authenticator ended."""

    sessions: int
    tokens: int


def reset_two_factor(user: User, *, actor: User) -> AuthenticatorReset:
    """Remove the account's authenticator (its secret and recovery codes) when its owner lost it. Whoever held the
    authenticator may be signed in, so every session ends and every API token is revoked, as a password change ends
    the sessions; an officer or administrator must enrol again at the next log-in. The owner is e-mailed.

    Side effects: the secret and recovery codes deleted, the sessions deleted, the tokens revoked, audit events,
    the job of the e-mail.
    """
    _require_admin(actor)
    if user.id == actor.id:
        raise NotAllowed(N_("Another administrator resets your own authenticator; you can turn yours off yourself."))
    if user.totp_secret is None and user.totp_confirmed_at is None:
        raise InvalidTransition(N_("This account has no authenticator to reset."))
    user.totp_secret, user.totp_confirmed_at, user.totp_last_step = None, None, None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    revoked = db.session.execute(
        sa.update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow()).execution_options(synchronize_session=False))
    tokens = int(getattr(revoked, "rowcount", 0) or 0)
    sessions = end_all_sessions(user, actor=actor, reason="authenticator reset")
    record_event(actor, "user.two_factor_reset", object_type="user", object_id=user.id, sessions_ended=sessions,
                 tokens_revoked=tokens)
    jobs.enqueue("accounts.two_factor_reset_notice", {"user": user.id, "at": int(utcnow().timestamp())})
    return AuthenticatorReset(sessions=sessions, tokens=tokens)


def send_two_factor_reset_notice_job(payload: dict[str, Any]) -> dict[str, Any]:
    """Background job: tell the account's owner that an administrator removed their authenticator."""
    user = db.session.get(User, int(payload["user"]))
    if user is None or not user.is_active:
        return {"sent": False, "reason": "no such active account"}
    reason = send_to_person(user, N_("Your Eurogrants authenticator was reset"), "email/two_factor_reset.txt",
                            message_id=f"two-factor-reset-{user.id}-{int(payload['at'])}",
                            login=f"{public_base_url()}/auth/login", must_enrol=is_two_factor_required(user))
    if reason is not None:
        return {"sent": False, "reason": reason}
    record_event(None, "user.two_factor_reset_notified", object_type="user", object_id=user.id)
    return {"sent": True}
