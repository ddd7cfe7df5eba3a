"""Accounts: new accounts (self-registered applicants join an organisation through app.services.membership),
authentication, admin-created staff accounts and API tokens.

Accounts, organisations and tokens are looked up through app/queries/accounts.py.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from app import counters, jobs
from app.clock import utcnow
from app.enums import OrganisationType, Role
from app.extensions import db
from app.languages import N_
from app.models import ApiToken, LoginAttempt, Organisation, User, UserRole
from app.models.limits import MIN_PASSWORD_LENGTH
from app.queries.accounts import clean_organisation, find_organisation, normalise_email, token_digest
from app.services.audit import record_event
from app.services.errors import EmailTaken, InvalidInput, LoginLocked, NotAllowed
from app.services.mail import send_to_person

_hashers: dict[tuple[int, int], PasswordHasher] = {}


def _hasher() -> PasswordHasher:
    # Tests use cheaper parameters; the production default is argon2-cffi's RFC 9106 profile.
    time_cost, memory_cost = current_app.config.get("ARGON2_COST", (3, 65536))
    key = (time_cost, memory_cost)
    if key not in _hashers:
        _hashers[key] = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost)
    return _hashers[key]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


@cache
def _common_passwords() -> frozenset[str]:
    text = (Path(__file__).resolve().parent.parent / "data" / "common_passwords.txt").read_text()
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def check_password_strength(password: str, *, email: str = "") -> None:
    """Refuse short, common or guessable passwords (the rules shown on every password field)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(N_("Use at least %(count)d characters."), details={"field": "password"},
                           count=MIN_PASSWORD_LENGTH)
    lowered = password.lower()
    local_part = email.split("@")[0].lower()
    if (
        lowered in _common_passwords()
        or len(set(lowered)) <= 2
        or (len(local_part) >= 4 and local_part in lowered)
    ):
        raise InvalidInput(
            N_("This password is too common or too easy to guess; choose another."), details={"field": "password"}
        )


def find_or_create_organisation(name: str, country: str, type_: OrganisationType) -> Organisation:
    """The organisation with this name in this country, created when it is new.

    For administrators, the CLI and demo data only: an applicant joins an existing organisation with the consent
    of its members (app/services/membership.py).
    """
    organisation = find_organisation(name, country)
    if organisation is None:
        name, country = clean_organisation(name, country)
        organisation = Organisation(name=name, country=country, type=type_)
        db.session.add(organisation)
        db.session.flush()
    return organisation


def _ensure_email_free(email: str) -> None:
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise EmailTaken(N_("An account with this e-mail address already exists."), details={"field": "email"})


def _new_user(
    *, email: str, password: str, full_name: str, roles: Iterable[Role], organisation: Organisation | None
) -> User:
    email = normalise_email(email)
    _ensure_email_free(email)
    check_password_strength(password, email=email)
    user = User(
        email=email,
        full_name=" ".join(full_name.split()) or email,
        password_hash=hash_password(password),
        organisation=organisation,
        role_links=[UserRole(role=role) for role in sorted(set(roles))],
        email_confirmed_at=utcnow(),  # made by an administrator, the CLI or the seeds: nothing to confirm
    )
    db.session.add(user)
    db.session.flush()
    return user


def new_applicant(*, email: str, password_hash: str, full_name: str, confirmed: bool) -> User:
    """A self-registered applicant account, in no organisation yet; its password is checked and hashed already.
    Unless `confirmed` (an invitation link proved the address), it waits for the confirmation of its address."""
    email = normalise_email(email)
    _ensure_email_free(email)
    user = User(email=email, full_name=" ".join(full_name.split()) or email, password_hash=password_hash,
                role_links=[UserRole(role=Role.APPLICANT)], email_confirmed_at=utcnow() if confirmed else None)
    db.session.add(user)
    db.session.flush()
    record_event(user, "user.registered", object_type="user", object_id=user.id, email=user.email,
                 confirmed=confirmed)
    return user


def create_user(
    actor: User | None, *, email: str, password: str, full_name: str = "", roles: Iterable[Role],
    organisation_name: str | None = None, country: str | None = None,
    organisation_type: OrganisationType = OrganisationType.OTHER,
) -> User:
    """An account created by an admin (or by the CLI, where `actor` is None); audited."""
    if actor is not None and not actor.has_role(Role.ADMIN):
        raise NotAllowed(N_("Only administrators create accounts."))
    roles = list(roles)
    if not roles:
        raise InvalidInput(N_("Give the account at least one role."), details={"field": "roles"})
    organisation = None
    if organisation_name:
        if not country:
            raise InvalidInput(N_("An organisation needs its country."), details={"field": "country"})
        organisation = find_or_create_organisation(organisation_name, country, organisation_type)
    user = _new_user(
        email=email, password=password, full_name=full_name, roles=roles, organisation=organisation
    )
    record_event(actor, "user.created", object_type="user", object_id=user.id,
                 email=user.email, roles=sorted(r.value for r in roles),
                 organisation=organisation.id if organisation else None)
    return user


# A valid hash to verify against when the e-mail is unknown, so both failures take the same time.
_DUMMY_HASH: dict[tuple[int, int], str] = {}


LOCKOUT_FAILURES = 5
LOCKOUT_WINDOW = timedelta(minutes=15)
# Failed log-ins from one network address, whatever the accounts, before that address is refused for the window.
ADDRESS_FAILURES = 20
LOCKOUT_MESSAGE = N_(
    "Too many failed attempts with this e-mail address from your network. If an account exists for it, it is "
    "locked for 15 minutes from here; try again later or ask an administrator."
)
ADDRESS_LOCKOUT_MESSAGE = N_(
    "Too many failed log-ins from your network address. Try again in 15 minutes or ask an administrator."
)


@dataclass(frozen=True)
class LoginKeys:
    """What one log-in attempt is counted under: the e-mail address from this network address (the lockout), the
    network address alone (guesses spread over many accounts) and the account alone (its owner is told)."""

    email_digest: str
    pair: str
    address: str
    account: str

    @classmethod
    def of(cls, email: str, address: str) -> LoginKeys:
        email_digest = _digest(email)
        return cls(email_digest=email_digest, pair=f"login:{_digest(f'{email}|{address}')}",
                   address=f"login-address:{_digest(address)}", account=f"login-account:{email_digest}")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def authenticate(email: str, password: str, *, address: str = "") -> User | None:
    """The active user with these credentials, or None; never says which part was wrong. The account may still
    wait for the confirmation of its address (`User.is_confirmed`): the caller refuses it, saying so, since whoever
    asks knows its password.

    `address` is the client's network address (behind trusted proxies, the one they forwarded). The attempt is
    counted and committed before the password is checked (app/counters.py), so concurrent guesses get no more
    checks than the rules allow: 5 failures per e-mail address *from one network address* in 15 minutes lock that
    pair (LoginLocked, 429), so a stranger who knows an e-mail address cannot lock its owner out from elsewhere;
    20 failures from one network address over any accounts lock that address. A success clears its pair's count.
    The owner of an account is e-mailed when 5 wrong passwords were checked for it in 15 minutes, from anywhere.

    Side effects: the counts, a LoginAttempt row, the notice's job (the caller commits, failures included).
    """
    email = normalise_email(email)
    keys = LoginKeys.of(email, address)
    window = int(LOCKOUT_WINDOW.total_seconds())
    if counters.count_attempt(keys.pair, window_seconds=window) > LOCKOUT_FAILURES:
        raise LoginLocked(LOCKOUT_MESSAGE)
    if counters.count_attempt(keys.address, window_seconds=window) > ADDRESS_FAILURES:
        raise LoginLocked(ADDRESS_LOCKOUT_MESSAGE)
    checked = counters.count_attempt(keys.account, window_seconds=window)
    user = _verify_credentials(email, password)
    if user is not None:
        # A success does not count against the address, and clears its pair and the account's failures.
        counters.discount(keys.address)
        counters.reset(keys.pair)
        counters.reset(keys.account)
    elif checked == LOCKOUT_FAILURES:
        _notify_owner_of_failures(email)
    db.session.add(LoginAttempt(email_digest=keys.email_digest, succeeded=user is not None))
    return user


def _notify_owner_of_failures(email: str) -> None:
    """Queue the e-mail that tells an account's owner about the failed log-ins (none for an unknown address)."""
    user_id = db.session.scalar(sa.select(User.id).where(User.email == email, User.is_active_account.is_(True)))
    if user_id is not None:
        jobs.enqueue("accounts.failed_logins_notice", {"user": user_id, "failures": LOCKOUT_FAILURES,
                                                       "at": utcnow().isoformat()})


def send_failed_logins_notice_job(payload: dict[str, Any]) -> dict[str, Any]:
    """Background job: tell the account's owner that wrong passwords were tried for it (the system delivers it)."""
    user = db.session.get(User, int(payload["user"]))
    if user is None or not user.is_active:
        return {"sent": False, "reason": "no such active account"}
    reason = send_to_person(user, N_("Failed log-ins to your Eurogrants account"), "email/failed_logins.txt",
                            message_id=f"failed-logins-{user.id}", failures=int(payload["failures"]),
                            minutes=int(LOCKOUT_WINDOW.total_seconds() // 60))
    if reason is not None:
        return {"sent": False, "reason": reason}
    record_event(None, "user.failed_logins_notified", object_type="user", object_id=user.id,
                 failures=int(payload["failures"]))
    return {"sent": True}


def _verify_credentials(email: str, password: str) -> User | None:
    user: User | None = db.session.scalar(sa.select(User).where(User.email == email))
    hasher = _hasher()
    if user is None:
        key = (hasher.time_cost, hasher.memory_cost)
        if key not in _DUMMY_HASH:
            _DUMMY_HASH[key] = hasher.hash(secrets.token_hex(16))
        with contextlib.suppress(VerificationError):
            hasher.verify(_DUMMY_HASH[key], password)
        return None
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if not user.is_active_account:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    # The last log-in is written where the log-in completes, after any second factor (app/services/sessions.py).
    return user


def password_matches(user: User, password: str) -> bool:
    """Whether `password` is the account's (asked again before a change that hands over the account)."""
    try:
        return bool(_hasher().verify(user.password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def issue_token(user: User, *, label: str = "", days: int | None = None, logging_in: bool = False) -> str:
    """A new bearer token for `user`, valid for `days` (API_TOKEN_DAYS by default, at most API_TOKEN_MAX_DAYS);
    only its hash is kept. `logging_in`: exchanged for the credentials (and second factor), a log-in of the account.

    Side effects: token row, audit, the account's last log-in time when `logging_in`."""
    longest = int(current_app.config["API_TOKEN_MAX_DAYS"])
    days = int(current_app.config["API_TOKEN_DAYS"]) if days is None else days
    if not 1 <= days <= longest:
        raise InvalidInput(N_("A token lives from 1 to %(longest)d days."), longest=longest,
                           details={"field": "expires_in_days"})
    token = "egt_" + secrets.token_urlsafe(32)
    api_token = ApiToken(user=user, token_hash=token_digest(token), label=label,
                         expires_at=utcnow() + timedelta(days=days))
    db.session.add(api_token)
    if logging_in:
        user.last_login_at = utcnow()
    db.session.flush()
    record_event(user, "token.issued", object_type="api_token", object_id=api_token.id, label=label, days=days)
    return token
