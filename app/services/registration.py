"""Self-registration of applicants, confirmed by e-mail, answering the same whether the address has an account or not.

Registering never tells the visitor whether an account uses the address (issue 14, hole 7); what differs goes to the
address's mailbox instead, which only its owner reads:

- a new address gets an account that waits for confirmation: it cannot log in, holds no organisation and asks to
  join none, so it appears in no consortium; a signed link (`confirmation_link_token`) is e-mailed at once. The link
  works for REGISTRATION_CONFIRMATION_HOURS (default 24) by the app's clock and once only; it asks for the password
  chosen at registration, then settles the organisation named (registers it, or asks its members to let the account
  in) and signs the person in. Asking for the password means that someone who registered another person's address
  cannot hand that person an account whose password they know, even if the person follows the link;
- an address whose account waits for confirmation: the newest registration replaces what the earlier one gave (name,
  password, organisation: nothing was confirmed) and the link is sent again;
- an address with a confirmed account: nothing changes on the account; its owner is e-mailed that someone tried to
  register with it, with the links to log in and to choose a new password.

At most CONFIRMATION_MAILS mails go to one address per hour, whatever the case, so registering cannot flood a mailbox.
The password is hashed in every case, so the answer also takes the same time.

With a valid invitation (`register_invited`) the link already proved the address: the account is confirmed at once
and joins the inviting organisation. The invitation's holder is told when the address has an account (to log in with
it and accept): the invitation was sent to that address, so they learn nothing its owner could not.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app import counters, jobs
from app.clock import utcnow
from app.enums import OrganisationType
from app.extensions import db
from app.languages import N_, supported_language
from app.models import Organisation, User
from app.queries.accounts import clean_organisation, find_organisation, normalise_email
from app.queries.membership import INVITATION_GONE, open_invitation
from app.services.accounts import check_password_strength, hash_password, new_applicant, password_matches
from app.services.audit import record_event
from app.services.errors import EmailTaken, InvalidInput, InvalidTransition
from app.services.mail import public_base_url, send_to_person
from app.services.membership import accept_invitation, request_to_join, start_organisation

CONFIRMATION_MAILS = 3
CONFIRMATION_MAIL_WINDOW = timedelta(hours=1)
CONFIRMATION_LINK_GONE = N_("This confirmation link has expired or was already used. If your address is confirmed, "
                            "log in; otherwise register again to get a new link.")
NOT_THE_REGISTRATION_PASSWORD = N_("This is not the password chosen at registration.")  # noqa: S105 - a message, not a password


@dataclass(frozen=True)
class Registration:
    """A confirmed applicant account, and where it stands with its organisation."""

    user: User
    organisation: Organisation  # the one it belongs to, or asked to join
    is_member: bool  # False: a join request waits for a member's approval


def _account_of(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def register_applicant(*, email: str, password: str, full_name: str, organisation_name: str, country: str,
                       organisation_type: OrganisationType, language: str | None = None) -> None:
    """Self-registration of an applicant without an invitation: what happens depends on the address (see the module),
    what the caller can tell does not. Raises InvalidInput only for what the visitor typed (password, organisation).

    Side effects: a new or updated unconfirmed account and an audit event, or none; the job of the e-mail.
    """
    email = normalise_email(email)
    check_password_strength(password, email=email)
    organisation_name, country = clean_organisation(organisation_name, country)
    password_hash = hash_password(password)  # in every case: the answer takes the same time
    user = _account_of(email)
    if user is not None and (user.is_confirmed or not user.is_active_account):
        record_event(None, "user.registration_attempted", object_type="user", object_id=user.id)
        _send_counted(user, "accounts.registration_notice")
        return
    if user is None:
        user = new_applicant(email=email, password_hash=password_hash, full_name=full_name, confirmed=False)
    else:
        user.password_hash = password_hash
        user.full_name = " ".join(full_name.split()) or email
        record_event(None, "user.registration_repeated", object_type="user", object_id=user.id)
    user.registration_organisation_name, user.registration_country = organisation_name, country
    user.registration_organisation_type = organisation_type
    user.language = supported_language(language)  # the visitor's choice of language, if any, for mails and letters
    db.session.flush()
    _send_counted(user, "accounts.confirmation_link")


def resend_confirmation(user: User) -> None:
    """Send the confirmation link again (the person logged in with the right password). Side effects: the job of
    the e-mail, unless CONFIRMATION_MAILS went to the address within the hour."""
    if not user.is_confirmed and user.is_active_account:
        _send_counted(user, "accounts.confirmation_link")


def _send_counted(user: User, kind: str) -> None:
    key = f"registration-mail:{hashlib.sha256(user.email.encode()).hexdigest()}"
    if counters.count_attempt(key, window_seconds=int(CONFIRMATION_MAIL_WINDOW.total_seconds())) <= CONFIRMATION_MAILS:
        jobs.enqueue(kind, {"user": user.id, "at": int(utcnow().timestamp())})


def register_invited(*, email: str, password: str, full_name: str, invitation_token: str,
                     language: str | None = None) -> Registration:
    """Registration through an invitation link, which proves the address: the account is confirmed at once and
    joins the inviting organisation. An unconfirmed account of that address becomes this one.

    Side effects: the account, the accepted invitation, audit events.
    """
    invitation = open_invitation(invitation_token)
    if invitation is None:
        raise InvalidInput(INVITATION_GONE, details={"field": "invitation"})
    email = normalise_email(email)
    if email != invitation.email:
        raise InvalidInput(N_("This invitation was sent to another e-mail address: register with that address."),
                           details={"field": "email"})
    check_password_strength(password, email=email)
    user = _account_of(email)
    if user is not None and user.is_confirmed:
        raise EmailTaken(N_("An account uses this address already: log in with it to accept the invitation."),
                         details={"field": "email"})
    if user is None:
        user = new_applicant(email=email, password_hash=hash_password(password), full_name=full_name, confirmed=True)
    else:
        user.password_hash, user.full_name = hash_password(password), " ".join(full_name.split()) or email
        _mark_confirmed(user)
    user.language = supported_language(language) or user.language
    accept_invitation(invitation, actor=user)
    return Registration(user, invitation.organisation, is_member=True)


def _mark_confirmed(user: User) -> None:
    """Confirm the address, once: a conditional UPDATE, so two uses of one link at the same moment cannot both win."""
    result = db.session.execute(
        sa.update(User).where(User.id == user.id, User.email_confirmed_at.is_(None))
        .values(email_confirmed_at=utcnow(), registration_organisation_name=None, registration_country=None,
                registration_organisation_type=None).execution_options(synchronize_session=False))
    if not cast("sa.CursorResult[Any]", result).rowcount:
        raise InvalidTransition(CONFIRMATION_LINK_GONE)
    db.session.refresh(user)
    record_event(user, "user.email_confirmed", object_type="user", object_id=user.id)


# --- the link ------------------------------------------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(str(current_app.config["SECRET_KEY"]), salt="registration-confirmation")


def confirmation_lifetime() -> timedelta:
    """How long a confirmation link works (REGISTRATION_CONFIRMATION_HOURS)."""
    return timedelta(hours=int(current_app.config["REGISTRATION_CONFIRMATION_HOURS"]))


def confirmation_link_token(user: User, *, made_at: int) -> str:
    """The signed token of the confirmation link for `user`, made at `made_at` (seconds since the epoch)."""
    return str(_serializer().dumps({"user": user.id, "made": made_at, "email": user.email}))


def user_for_confirmation_token(token: str) -> User | None:
    """The unconfirmed account a confirmation link still works for, or None (forged, expired, used, deactivated)."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not all(key in data for key in ("user", "made", "email")):
        return None
    age = utcnow().timestamp() - float(data["made"])
    if age < 0 or age >= confirmation_lifetime().total_seconds():
        return None
    user = db.session.get(User, int(data["user"]))
    if user is None or user.is_confirmed or not user.is_active_account or user.email != data["email"]:
        return None
    return user


def confirm_registration(token: str, *, password: str) -> Registration:
    """Confirm the address through the e-mailed link, with the password chosen at registration; the organisation
    named is then registered with the account as its first member, or, when one of that name exists in that
    country, asked to let the account in.

    Side effects: the confirmation, the organisation or the join request, audit events.
    """
    user = user_for_confirmation_token(token)
    if user is None:
        raise InvalidTransition(CONFIRMATION_LINK_GONE)
    if not password_matches(user, password):
        raise InvalidInput(NOT_THE_REGISTRATION_PASSWORD, details={"field": "password"})
    name, country = user.registration_organisation_name or "", user.registration_country or ""
    type_ = user.registration_organisation_type or OrganisationType.OTHER
    _mark_confirmed(user)
    existing = find_organisation(name, country)
    if existing is None:
        return Registration(user, start_organisation(user, name=name, country=country, type_=type_), is_member=True)
    request_to_join(user, existing)
    return Registration(user, existing, is_member=False)


# --- the e-mails (background jobs: sent at once, nobody reviews them) ---------------------------------------

def _links() -> dict[str, str]:
    base = public_base_url()
    return {"base": base, "login": f"{base}/auth/login", "reset": f"{base}/auth/password-reset"}


def _send(user: User, subject: str, template: str, message_id: str, **context: Any) -> dict[str, Any]:
    reason = send_to_person(user, subject, template, message_id=message_id, links=_links(), **context)
    return {"sent": True} if reason is None else {"sent": False, "reason": reason}


def send_confirmation_link_job(payload: dict[str, Any]) -> dict[str, Any]:
    """Background job: e-mail the link that confirms a registration to the address given."""
    user = db.session.get(User, int(payload["user"]))
    if user is None or user.is_confirmed or not user.is_active_account:
        return {"sent": False, "reason": "no account waiting for confirmation"}
    made_at = int(payload["at"])
    link = f"{_links()['base']}/auth/confirm/{confirmation_link_token(user, made_at=made_at)}"
    sent = _send(user, N_("Confirm your e-mail address for Eurogrants"), "email/registration_confirmation.txt",
                 f"registration-{user.id}-{made_at}", link=link,
                 hours=int(confirmation_lifetime().total_seconds() // 3600))
    if sent["sent"]:
        record_event(None, "user.confirmation_link_sent", object_type="user", object_id=user.id)
    return sent


def send_registration_notice_job(payload: dict[str, Any]) -> dict[str, Any]:
    """Background job: tell the owner of an account that someone tried to register with its address."""
    user = db.session.get(User, int(payload["user"]))
    if user is None or not user.is_active:
        return {"sent": False, "reason": "no such active account"}
    sent = _send(user, N_("Someone tried to register with your address at Eurogrants"),
                 "email/registration_notice.txt",
                 f"registration-notice-{user.id}-{int(payload['at'])}")
    if sent["sent"]:
        record_event(None, "user.registration_notice_sent", object_type="user", object_id=user.id)
    return sent
