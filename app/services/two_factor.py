"""Two-factor sign-in (TOTP, RFC 6238, with pyotp): enrolment confirmed by a code, the code asked after the password,
single-use recovery codes, and turning it off with the password and a code.

A code is accepted for the current 30-second time step or the one before or after it (a clock a little off), and
only for a step later than the last one accepted for the account, so a code seen over a shoulder or replayed from a
log cannot be used again. Wrong codes are counted per account (app/counters.py, committed at once like the
password's): after CODE_ATTEMPTS in the window the account's second step is refused (LoginLocked, 429).

Pages read the state through app/queries/two_factor.py.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import pyotp
import sqlalchemy as sa

from app import counters
from app.clock import utcnow
from app.extensions import db
from app.languages import N_
from app.models import RecoveryCode, User
from app.services.accounts import password_matches
from app.services.audit import record_event
from app.services.errors import InvalidInput, InvalidTransition, LoginLocked

RECOVERY_CODE_COUNT = 10
CODE_ATTEMPTS = 10
CODE_WINDOW_SECONDS = 15 * 60
STEP_SECONDS = 30
# Steps accepted on either side of the current one.
TOLERANCE_STEPS = 1
WRONG_AUTHENTICATOR_CODE = N_("That code did not work. Enter the 6-digit code your authenticator app shows now.")
WRONG_CODE = N_("That code did not work. Enter the 6-digit code your authenticator app shows now, or a recovery "
                "code.")
CODE_LOCKED = N_("Too many wrong codes for this account. Try again in 15 minutes, or ask an administrator.")
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read from paper without doubt


def _step(at: datetime) -> int:
    return int(at.timestamp()) // STEP_SECONDS


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _recovery_digest(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def _accept_totp(user: User, secret: str, code: str) -> bool:
    """Whether `code` is the secret's code for a step within the tolerance and later than the last accepted one;
    records that step (side effect) so the same code is refused next time."""
    code = _normalise(code)
    if not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(secret)
    now = _step(utcnow())
    for step in range(now - TOLERANCE_STEPS, now + TOLERANCE_STEPS + 1):
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue
        if secrets.compare_digest(totp.generate_otp(step), code):
            user.totp_last_step = step
            return True
    return False


def _use_recovery_code(user: User, code: str) -> bool:
    """Whether `code` is one of the account's unused recovery codes; marks it used (side effect)."""
    if not _normalise(code).isalnum():
        return False
    recovery = db.session.scalar(sa.select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _recovery_digest(code),
        RecoveryCode.used_at.is_(None)).with_for_update())
    if recovery is None:
        return False
    recovery.used_at = utcnow()
    return True


def _new_recovery_codes(user: User) -> list[str]:
    """Replace every recovery code of the account with RECOVERY_CODE_COUNT new ones; returns them (shown once)."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_recovery_digest(code)) for code in codes)
    db.session.flush()
    return codes


def start_enrolment(user: User) -> str:
    """A new secret for the account's authenticator, pending until a code confirms it; returns the secret.

    Side effects: the pending secret replaces any earlier pending one. Refused when two-factor sign-in is on."""
    if user.has_two_factor:
        raise InvalidTransition(N_("Two-factor sign-in is already on for your account."))
    user.totp_secret = pyotp.random_base32()
    user.totp_last_step = None
    db.session.flush()
    return user.totp_secret


def confirm_enrolment(user: User, *, code: str) -> list[str]:
    """Turn two-factor sign-in on once a code from the authenticator matches the pending secret; returns the new
    recovery codes (to show once). Side effects: confirmation time, recovery codes, audit event."""
    if user.has_two_factor:
        raise InvalidTransition(N_("Two-factor sign-in is already on for your account."))
    if user.totp_secret is None:
        raise InvalidTransition(N_("Start the set-up first: the page then shows the secret for your app."))
    if not _accept_totp(user, user.totp_secret, code):
        raise InvalidInput(N_("That code does not match. Check that your app shows the Eurogrants entry just added "
                              "and enter its current 6-digit code."), details={"field": "code"})
    user.totp_confirmed_at = utcnow()
    codes = _new_recovery_codes(user)
    record_event(user, "user.two_factor_enabled", object_type="user", object_id=user.id)
    return codes


def enrol_with_secret(user: User, secret: str) -> None:
    """Two-factor sign-in on with a secret given by the system (the demo's published ones; `seed demo` only runs in
    development and testing). Side effects: the secret, its confirmation, audit event (by the system)."""
    pyotp.TOTP(secret).now()  # refuses what is not base32
    user.totp_secret = secret
    user.totp_confirmed_at = utcnow()
    user.totp_last_step = None
    db.session.flush()
    record_event(None, "user.two_factor_enabled", object_type="user", object_id=user.id, by="system")


def verify_second_factor(user: User, code: str) -> bool:
    """Whether `code` (the authenticator's, or an unused recovery code) completes the account's log-in.

    Side effects: the attempt is counted and committed first (LoginLocked after CODE_ATTEMPTS in the window); the
    accepted step or the used recovery code is recorded, and a used recovery code is audited. A success clears the
    count."""
    if not user.has_two_factor or user.totp_secret is None:
        raise InvalidTransition(N_("Two-factor sign-in is not on for this account."))
    key = f"second-factor:{user.id}"
    if counters.count_attempt(key, window_seconds=CODE_WINDOW_SECONDS) > CODE_ATTEMPTS:
        raise LoginLocked(CODE_LOCKED)
    if _accept_totp(user, user.totp_secret, code):
        counters.reset(key)
        return True
    if _use_recovery_code(user, code):
        counters.reset(key)
        record_event(user, "user.recovery_code_used", object_type="user", object_id=user.id)
        return True
    return False


def regenerate_recovery_codes(user: User, *, code: str) -> list[str]:
    """New recovery codes, after a current code from the authenticator; the old ones stop working.

    Side effects: the codes replaced, the accepted step, audit event."""
    if not user.has_two_factor or user.totp_secret is None:
        raise InvalidTransition(N_("Two-factor sign-in is not on for your account."))
    if not _accept_totp(user, user.totp_secret, code):
        raise InvalidInput(WRONG_AUTHENTICATOR_CODE, details={"field": "code"})
    codes = _new_recovery_codes(user)
    record_event(user, "user.recovery_codes_regenerated", object_type="user", object_id=user.id)
    return codes


def disable_two_factor(user: User, *, password: str, code: str) -> None:
    """Turn two-factor sign-in off with the password and a code (the authenticator's or a recovery code).

    An officer or administrator is sent to enrol again before their next page. Side effects: secret and recovery
    codes deleted, audit event."""
    if not user.has_two_factor or user.totp_secret is None:
        raise InvalidTransition(N_("Two-factor sign-in is not on for your account."))
    if not password_matches(user, password):
        raise InvalidInput(N_("That is not your password."), details={"field": "password"})
    if not (_accept_totp(user, user.totp_secret, code) or _use_recovery_code(user, code)):
        raise InvalidInput(WRONG_CODE, details={"field": "code"})
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()
    record_event(user, "user.two_factor_disabled", object_type="user", object_id=user.id)
