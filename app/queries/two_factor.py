"""Two-factor sign-in as the pages read it: who must use it, the enrolment's QR code, the recovery codes left.

Codes are TOTP (RFC 6238): six digits from the account's secret and the 30-second time step, computed by pyotp.
"""

from __future__ import annotations

import pyotp
import segno
import sqlalchemy as sa

from app.enums import Role
from app.extensions import db
from app.models import RecoveryCode, User

# Officers and administrators decide on and see everything unpublished: their accounts must have a second factor.
TWO_FACTOR_ROLES = (Role.OFFICER, Role.ADMIN)
ISSUER = "Eurogrants"


def is_two_factor_required(user: User) -> bool:
    """Whether the account may not be used without a second factor (officers and administrators)."""
    return user.has_role(*TWO_FACTOR_ROLES)


def needs_enrolment(user: User) -> bool:
    """An officer or administrator who has not confirmed a second factor yet: sent to enrol before anything else."""
    return is_two_factor_required(user) and not user.has_two_factor


def provisioning_uri(user: User) -> str:
    """The otpauth:// address an authenticator app reads from the QR code (the pending or confirmed secret)."""
    if user.totp_secret is None:
        raise ValueError("no secret to show")
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code_svg(user: User) -> str:
    """The QR code of `provisioning_uri` as inline SVG markup (no script, no external image: the CSP allows it)."""
    return str(segno.make(provisioning_uri(user), error="m").svg_inline(scale=5, border=4, light="#fff"))


def recovery_codes_left(user: User) -> int:
    """How many of the account's recovery codes are still unused."""
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0)
