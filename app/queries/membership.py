"""Who belongs to an applicant organisation, and who waits to: members, requests to join, invitations.

Pages of members only: the caller has loaded the organisation as the user's own (app.queries.access). Changes of
membership are app/services/membership.py.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.clock import utcnow
from app.enums import InvitationStatus, JoinRequestStatus, Role
from app.extensions import db
from app.languages import N_
from app.models import Invitation, JoinRequest, Organisation, User, UserRole
from app.queries.accounts import normalise_email, token_digest

INVITATION_GONE = N_("This invitation link has expired or has already been used. Ask your colleague for a new "
                     "one, or register without it.")


def members_of(organisation: Organisation) -> list[User]:
    """The organisation's applicant accounts, by name."""
    return list(db.session.scalars(
        sa.select(User).join(UserRole, UserRole.user_id == User.id)
        .where(User.organisation_id == organisation.id, UserRole.role == Role.APPLICANT)
        .order_by(User.full_name, User.id)
    ))


def waiting_join_requests(organisation: Organisation) -> list[JoinRequest]:
    """Requests to join the organisation that no member has answered yet, oldest first."""
    return list(db.session.scalars(
        sa.select(JoinRequest).where(JoinRequest.organisation_id == organisation.id,
                                     JoinRequest.status == JoinRequestStatus.PENDING)
        .options(selectinload(JoinRequest.user)).order_by(JoinRequest.created_at, JoinRequest.id)
    ))


def open_invitations(organisation: Organisation) -> list[Invitation]:
    """Invitations of the organisation still to be answered and not expired, newest first."""
    return list(db.session.scalars(
        sa.select(Invitation).where(Invitation.organisation_id == organisation.id,
                                    Invitation.status == InvitationStatus.PENDING, Invitation.expires_at > utcnow())
        .options(selectinload(Invitation.invited_by)).order_by(Invitation.created_at.desc(), Invitation.id.desc())
    ))


def pending_join_request(user: User) -> JoinRequest | None:
    """The user's request to join an organisation, while no member has answered it."""
    return db.session.scalar(
        sa.select(JoinRequest).where(JoinRequest.user_id == user.id, JoinRequest.status == JoinRequestStatus.PENDING)
        .options(selectinload(JoinRequest.organisation))
    )


def latest_join_request(user: User) -> JoinRequest | None:
    """The user's most recent request to join an organisation, whatever its answer."""
    return db.session.scalar(
        sa.select(JoinRequest).where(JoinRequest.user_id == user.id)
        .options(selectinload(JoinRequest.organisation))
        .order_by(JoinRequest.created_at.desc(), JoinRequest.id.desc()).limit(1)
    )


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a link names, whatever its state; None for a token that names none."""
    if not token or len(token) > 200:
        return None
    return db.session.scalar(sa.select(Invitation).where(Invitation.token_hash == token_digest(token))
                             .options(selectinload(Invitation.organisation), selectinload(Invitation.invited_by)))


def open_invitation(token: str) -> Invitation | None:
    """The invitation a link names, if it can still be accepted."""
    invitation = invitation_for_token(token)
    return invitation if invitation is not None and invitation.is_open() else None


def is_addressee(user: User, invitation: Invitation) -> bool:
    """Whether the invitation was sent to the user's e-mail address (only they may answer it)."""
    return normalise_email(user.email) == invitation.email
