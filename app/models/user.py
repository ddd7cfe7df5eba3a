"""Accounts: organisations, users with their roles, and API tokens."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.enums import OrganisationType, Role
from app.extensions import Model
from app.models.types import UTCDateTime


class Organisation(Model):
    __tablename__ = "organisations"
    __table_args__ = (
        sa.UniqueConstraint("name", "country", name="uq_organisations_name_country"),
        sa.CheckConstraint("length(country) = 2", name="country_alpha2"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    country: Mapped[str] = mapped_column(sa.String(2))
    type: Mapped[OrganisationType] = mapped_column(
        sa.Enum(OrganisationType, native_enum=False, length=40, values_callable=lambda e: [m.value for m in e])
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[User]] = relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"<Organisation {self.name} ({self.country})>"


class UserRole(Model):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(
        sa.Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        primary_key=True,
    )

    user: Mapped[User] = relationship(back_populates="role_links")


class User(UserMixin, Model):  # type: ignore[misc]  # Flask-Login ships no types
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    is_active_account: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the owner proved the address (the link e-mailed at self-registration). Accounts made otherwise (by an
    # administrator, the CLI, the seeds, an invitation link) are confirmed when made; an unconfirmed one cannot log in.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The organisation a self-registered applicant named, joined or registered once the address is confirmed (so an
    # unconfirmed account never holds, nor asks to join, an organisation).
    registration_organisation_name: Mapped[str | None] = mapped_column(sa.String(200))
    registration_country: Mapped[str | None] = mapped_column(sa.String(2))
    registration_organisation_type: Mapped[OrganisationType | None] = mapped_column(
        sa.Enum(OrganisationType, native_enum=False, length=40, values_callable=lambda e: [m.value for m in e])
    )
    # Two-factor sign-in (RFC 6238): the authenticator's base32 secret, set when enrolment starts; it counts only
    # once confirmed with a code. The last time step a code was accepted for, so no code is accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    # The language the person chose for pages, e-mails and letters (app/languages.py); None: not chosen, so pages
    # follow the browser's Accept-Language and e-mails and letters are English.
    language: Mapped[str | None] = mapped_column(sa.String(5))

    organisation: Mapped[Organisation | None] = relationship(back_populates="members", lazy="joined")
    # Roles are read on every request by the blueprint guards: load them with the user.
    role_links: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(link.role for link in self.role_links)

    def has_role(self, *roles: Role) -> bool:
        """True when the user holds any of `roles`."""
        return any(role in self.roles for role in roles)

    @property
    def has_two_factor(self) -> bool:
        """Whether a log-in asks for a code after the password (enrolment confirmed)."""
        return self.totp_confirmed_at is not None and self.totp_secret is not None

    @property
    def is_confirmed(self) -> bool:
        """Whether the owner has proved the e-mail address (see `email_confirmed_at`)."""
        return self.email_confirmed_at is not None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts: deactivated, or the address unconfirmed
        return self.is_active_account and self.is_confirmed

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class ApiToken(Model):
    """A bearer token; only its SHA-256 is stored, so a database leak reveals no usable token."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    label: Mapped[str] = mapped_column(sa.String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Written at most once a minute per token (app/services/tokens.py: note_token_use).
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")


class RecoveryCode(Model):
    """A single-use code that stands in for the authenticator; only its SHA-256 is stored (shown once, at creation)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginAttempt(Model):
    """One log-in attempt, by the hash of the e-mail given (known account or not), for the lockout rule."""

    __tablename__ = "login_attempts"
    __table_args__ = (sa.Index("ix_login_attempts_email_digest_at", "email_digest", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email_digest: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    succeeded: Mapped[bool] = mapped_column(default=False)


class AttemptCounter(Model):
    """A counter of log-in attempts in a window that starts with the first one (app/counters.py, without Redis).

    `key` names what is counted (an e-mail address and the network address it came from, an address, an account),
    as a SHA-256, never in clear. Counted in a transaction of its own before the password is checked.
    """

    __tablename__ = "attempt_counters"

    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    # Seconds since the epoch (UTC, from app.clock): compared in the database's own upsert, on every dialect.
    expires_at: Mapped[int] = mapped_column(sa.BigInteger)
