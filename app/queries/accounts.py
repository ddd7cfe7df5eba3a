"""Accounts and organisations as the log-in, the API's tokens, registration and the administrators' page look them up.

An account is found by its e-mail address as stored (`normalise_email`); an organisation by its name, whatever its
case and spacing, in its country; a secret token by its SHA-256 only (`token_digest`), never by the token itself.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from app.clock import utcnow
from app.countries import is_country_code
from app.enums import Role
from app.extensions import db
from app.languages import N_
from app.models import ApiToken, Organisation, User
from app.services.errors import InvalidInput, NotAllowed, NotFound


def normalise_email(email: str) -> str:
    """The e-mail address as accounts and invitations store it."""
    return email.strip().lower()


def token_digest(token: str) -> str:
    """The SHA-256 kept instead of a secret token (API tokens, invitation links)."""
    return hashlib.sha256(token.encode()).hexdigest()


def clean_organisation(name: str, country: str) -> tuple[str, str]:
    """An organisation's name with single spaces and its upper-case country code; InvalidInput when unusable."""
    name, country = " ".join(name.split()), country.strip().upper()
    if not name:
        raise InvalidInput(N_("The organisation needs a name."), details={"field": "organisation_name"})
    if not is_country_code(country):
        raise InvalidInput(N_("Unknown country code %(code)s."), code=repr(country), details={"field": "country"})
    return name, country


def find_organisation(name: str, country: str) -> Organisation | None:
    """The organisation registered with this name (whatever its case and spacing) in this country."""
    name, country = clean_organisation(name, country)
    return db.session.scalar(
        sa.select(Organisation).where(
            sa.func.lower(Organisation.name) == name.lower(), Organisation.country == country
        )
    )


def token_for_bearer(token: str) -> ApiToken | None:
    """The token row of a bearer token (whatever its state: see `is_usable`), or None when unknown."""
    api_token: ApiToken | None = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
    return api_token


def is_usable(api_token: ApiToken) -> bool:
    """Not revoked, not expired, and its account active (a deactivated account's tokens stop at once)."""
    return api_token.revoked_at is None and api_token.expires_at > utcnow() and api_token.user.is_active


def user_for_token(token: str) -> User | None:
    """The active user a bearer token belongs to, or None when unknown, revoked or expired."""
    api_token = token_for_bearer(token)
    return api_token.user if api_token is not None and is_usable(api_token) else None


def tokens_of(user: User) -> list[ApiToken]:
    """The account's tokens, newest first (revoked and expired ones too: their use is part of the account's story)."""
    return list(db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def load_own_token(token_id: int, user: User) -> ApiToken:
    """One of the account's tokens (NotFound for another's or an unknown one: not theirs to know about)."""
    api_token = db.session.get(ApiToken, token_id)
    if api_token is None or api_token.user_id != user.id:
        raise NotFound(N_("No such token."))
    return api_token


def load_token(token_id: int, user: User) -> ApiToken:
    """A token its owner, or any administrator, may revoke (NotFound for anybody else, or an unknown one)."""
    api_token = db.session.get(ApiToken, token_id)
    if api_token is None or (api_token.user_id != user.id and not user.has_role(Role.ADMIN)):
        raise NotFound(N_("No such token."))
    return api_token


def load_account_for_admin(user_id: int, actor: User) -> User:
    """An account, for an administrator (NotAllowed for anybody else; NotFound when there is none)."""
    if not actor.has_role(Role.ADMIN):
        raise NotAllowed(N_("Only administrators see other accounts' tokens."))
    account = db.session.get(User, user_id)
    if account is None:
        raise NotFound(N_("There is no such account."))
    return account


def accounts_by_email() -> list[User]:
    """Every account, by e-mail address (the administrators' page)."""
    return list(db.session.scalars(sa.select(User).order_by(User.email)))
