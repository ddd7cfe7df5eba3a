"""Who belongs to an applicant organisation, and how one joins it: only with the consent of a member.

As with the organisation roles of the EU Funding & Tenders portal, naming an organisation gives no access to it.
A newcomer either registers a new organisation (and is its first member), or asks to join an existing one and
waits until a member approves; members may also invite a colleague by e-mail address, with a link that works
once, for that address, for INVITATION_VALID_FOR. Members are the organisation's applicant accounts: each sees,
edits and submits its proposals and reads its letters, and answers requests, invites and removes members.

Every change of membership is an audit event on the organisation (`organisation.*`). A request or invitation is
answered once: the answer is an UPDATE conditional on the row still waiting, so two members answering at the
same moment cannot both win.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any, cast

import sqlalchemy as sa

from app.clock import utcnow
from app.countries import country_name
from app.enums import InvitationStatus, JoinRequestStatus, OrganisationType, Role
from app.extensions import db
from app.languages import N_
from app.models import Invitation, JoinRequest, Organisation, User
from app.queries.access import MEMBERSHIP_NOT_FOUND, is_member_of
from app.queries.accounts import clean_organisation, find_organisation, normalise_email, token_digest
from app.queries.membership import INVITATION_GONE, is_addressee, members_of, pending_join_request
from app.services.audit import record_event
from app.services.errors import AlreadyExists, InvalidInput, InvalidTransition, NotAllowed, NotFound
from app.translation import current_language

INVITATION_VALID_FOR = timedelta(days=14)


def _label(organisation: Organisation) -> str:
    # The country in the language of whoever reads the refusal (the request's).
    return f"{organisation.name} ({country_name(organisation.country, locale=current_language())})"


def _require_applicant(actor: User) -> None:
    if not actor.has_role(Role.APPLICANT):
        raise NotAllowed(N_("Organisations are joined by applicant accounts."))


def _require_member(actor: User, organisation: Organisation) -> None:
    # Not theirs to know about: the same answer as for something that does not exist.
    if not is_member_of(actor, organisation):
        raise NotFound(MEMBERSHIP_NOT_FOUND)


def _audit(actor: User | None, action: str, organisation: Organisation, **data: object) -> None:
    record_event(actor, f"organisation.{action}", object_type="organisation", object_id=organisation.id,
                 organisation=organisation.name, country=organisation.country, **data)


def _rows_updated(statement: sa.Update) -> int:
    """How many rows a conditional UPDATE changed: 0 when its condition no longer held (someone answered first)."""
    result = db.session.execute(statement.execution_options(synchronize_session=False))
    return cast("sa.CursorResult[Any]", result).rowcount


# --- a newcomer ---------------------------------------------------------------------------------------------

def _require_free(actor: User) -> None:
    """An account that belongs to no organisation and has no request waiting."""
    if actor.organisation is not None:
        raise InvalidTransition(N_("You already belong to %(organisation)s. Leave it first on your organisation's "
                                   "page."), organisation=_label(actor.organisation))
    waiting = pending_join_request(actor)
    if waiting is not None:
        raise InvalidTransition(N_("You have asked to join %(organisation)s: cancel that request first."),
                                organisation=_label(waiting.organisation))


def start_organisation(actor: User, *, name: str, country: str, type_: OrganisationType) -> Organisation:
    """Register a new organisation with the actor, who belongs to none, as its first member.

    Raises AlreadyExists when one of that name is registered in that country (ask to join it instead).
    Side effects: the organisation, the actor's membership, an audit event.
    """
    _require_applicant(actor)
    _require_free(actor)
    name, country = clean_organisation(name, country)
    existing = find_organisation(name, country)
    if existing is not None:
        raise AlreadyExists(N_("%(organisation)s is already registered: ask its members to let you join it."),
                            details={"field": "organisation_name"}, organisation=_label(existing))
    organisation = Organisation(name=name, country=country, type=type_)
    db.session.add(organisation)
    actor.organisation = organisation
    db.session.flush()
    _audit(actor, "created", organisation, member=actor.id, email=actor.email, type=type_.value)
    return organisation


def request_to_join(actor: User, organisation: Organisation, *, message: str = "") -> JoinRequest:
    """Ask the members of an existing organisation to let the actor in; nothing is visible until one approves.

    Side effects: a pending JoinRequest, an audit event.
    """
    _require_applicant(actor)
    waiting = pending_join_request(actor)
    if waiting is not None and waiting.organisation_id == organisation.id:
        raise InvalidTransition(N_("You have already asked to join %(organisation)s; a member will answer."),
                                organisation=_label(organisation))
    _require_free(actor)
    join_request = JoinRequest(organisation=organisation, user=actor, message=" ".join(message.split())[:500],
                               status=JoinRequestStatus.PENDING)
    db.session.add(join_request)
    db.session.flush()
    _audit(actor, "join_requested", organisation, request=join_request.id, user=actor.id, email=actor.email)
    return join_request


def request_to_join_by_name(actor: User, *, name: str, country: str, message: str = "") -> JoinRequest:
    """`request_to_join` the organisation registered with this name in this country (whatever the name's case and
    spacing); InvalidInput when there is none. Side effects: see `request_to_join`."""
    organisation = find_organisation(name, country)
    if organisation is None:
        raise InvalidInput(N_("No organisation of this name is registered in this country. Check the name, or "
                              "register the organisation below."), details={"field": "organisation_name"})
    return request_to_join(actor, organisation, message=message)


def cancel_join_request(actor: User) -> JoinRequest:
    """Withdraw the actor's waiting request. Side effects: its status, an audit event."""
    join_request = pending_join_request(actor)
    if join_request is None:
        raise InvalidTransition(N_("You have no request waiting for an answer."))
    _answer_request(join_request, JoinRequestStatus.CANCELLED, by=actor)
    _audit(actor, "join_cancelled", join_request.organisation, request=join_request.id, user=actor.id,
           email=actor.email)
    return join_request


def _answer_request(join_request: JoinRequest, status: JoinRequestStatus, *, by: User) -> None:
    answered = _rows_updated(
        sa.update(JoinRequest).where(JoinRequest.id == join_request.id, JoinRequest.status == JoinRequestStatus.PENDING)
        .values(status=status, decided_at=utcnow(), decided_by_id=by.id))
    if not answered:
        raise InvalidTransition(N_("This request has been answered already."))
    db.session.refresh(join_request)


def _join(user: User, organisation: Organisation) -> None:
    """Make `user` a member, unless they joined an organisation meanwhile (another tab, another member)."""
    joined = _rows_updated(sa.update(User).where(User.id == user.id, User.organisation_id.is_(None))
                           .values(organisation_id=organisation.id))
    if not joined:
        raise InvalidTransition(N_("%(name)s belongs to an organisation already."), name=user.full_name)
    db.session.refresh(user)


# --- members ------------------------------------------------------------------------------------------------

def decide_join_request(join_request: JoinRequest, *, actor: User, approve: bool) -> None:
    """A member approves (the newcomer becomes a member) or refuses a request to join their organisation.

    Side effects: the request's status, the newcomer's membership, an audit event.
    """
    organisation = join_request.organisation
    _require_member(actor, organisation)
    if not join_request.is_pending:
        raise InvalidTransition(N_("This request has been answered already."))
    newcomer = join_request.user
    _answer_request(join_request, JoinRequestStatus.APPROVED if approve else JoinRequestStatus.REFUSED, by=actor)
    if approve:
        _join(newcomer, organisation)
    _audit(actor, "join_approved" if approve else "join_refused", organisation, request=join_request.id,
           user=newcomer.id, email=newcomer.email)


def invite_member(organisation: Organisation, *, actor: User, email: str) -> tuple[Invitation, str]:
    """A member invites a colleague by e-mail address; returns the invitation and its token (shown once).

    An earlier open invitation to the same address is revoked: only the newest link works.
    Side effects: the invitation, revoked older ones, audit events.
    """
    _require_member(actor, organisation)
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise InvalidInput(N_("Give the colleague's e-mail address."), details={"field": "email"})
    if any(normalise_email(member.email) == email for member in members_of(organisation)):
        raise InvalidTransition(N_("%(email)s is a member already."), details={"field": "email"}, email=email)
    now = utcnow()
    for older in db.session.scalars(sa.select(Invitation).where(
            Invitation.organisation_id == organisation.id, Invitation.email == email,
            Invitation.status == InvitationStatus.PENDING)):
        older.status, older.answered_at, older.answered_by_id = InvitationStatus.REVOKED, now, actor.id
        _audit(actor, "invitation_revoked", organisation, invitation=older.id, email=email, reason="replaced")
    token = "egi_" + secrets.token_urlsafe(32)
    invitation = Invitation(organisation=organisation, email=email, token_hash=token_digest(token),
                            status=InvitationStatus.PENDING, invited_by=actor, created_at=now,
                            expires_at=now + INVITATION_VALID_FOR)
    db.session.add(invitation)
    db.session.flush()
    _audit(actor, "member_invited", organisation, invitation=invitation.id, email=email,
           expires_at=invitation.expires_at.isoformat())
    return invitation, token


def _answer_invitation(invitation: Invitation, status: InvitationStatus, *, by: User) -> None:
    now = utcnow()
    answered = _rows_updated(
        sa.update(Invitation).where(Invitation.id == invitation.id, Invitation.status == InvitationStatus.PENDING,
                                    Invitation.expires_at > now)
        .values(status=status, answered_at=now, answered_by_id=by.id))
    if not answered:
        raise InvalidTransition(INVITATION_GONE)
    db.session.refresh(invitation)


def revoke_invitation(invitation: Invitation, *, actor: User) -> None:
    """A member withdraws an invitation of their organisation. Side effects: its status, an audit event."""
    _require_member(actor, invitation.organisation)
    _answer_invitation(invitation, InvitationStatus.REVOKED, by=actor)
    _audit(actor, "invitation_revoked", invitation.organisation, invitation=invitation.id, email=invitation.email)


def _require_addressee(invitation: Invitation, actor: User) -> None:
    _require_applicant(actor)
    if not is_addressee(actor, invitation):
        raise NotAllowed(N_("This invitation was sent to another e-mail address: log in with that address to answer "
                            "it."))


def accept_invitation(invitation: Invitation, *, actor: User) -> None:
    """The invited person joins the organisation (their waiting request elsewhere, if any, is cancelled).

    Side effects: the invitation's status, the actor's membership, audit events.
    """
    _require_addressee(invitation, actor)
    organisation = invitation.organisation
    if actor.organisation_id == organisation.id:
        raise InvalidTransition(N_("You are a member of %(organisation)s already."), organisation=_label(organisation))
    if actor.organisation is not None:
        raise InvalidTransition(N_("You belong to %(organisation)s. Leave it first on your organisation's page, then "
                                   "accept the invitation of %(inviting)s."),
                                organisation=_label(actor.organisation), inviting=organisation.name)
    _answer_invitation(invitation, InvitationStatus.ACCEPTED, by=actor)
    waiting = pending_join_request(actor)
    if waiting is not None:
        _answer_request(waiting, JoinRequestStatus.CANCELLED, by=actor)
        _audit(actor, "join_cancelled", waiting.organisation, request=waiting.id, user=actor.id, email=actor.email,
               reason=f"joined {organisation.name} through an invitation")
    _join(actor, organisation)
    _audit(actor, "invitation_accepted", organisation, invitation=invitation.id, user=actor.id, email=actor.email,
           invited_by=invitation.invited_by_id)


def decline_invitation(invitation: Invitation, *, actor: User) -> None:
    """The invited person says no. Side effects: the invitation's status, an audit event."""
    _require_addressee(invitation, actor)
    _answer_invitation(invitation, InvitationStatus.DECLINED, by=actor)
    _audit(actor, "invitation_declined", invitation.organisation, invitation=invitation.id, user=actor.id,
           email=actor.email)


def _lock(organisation: Organisation) -> None:
    # Two members leaving at once must not both pass the last-member check (PostgreSQL; SQLite has one writer).
    db.session.execute(sa.select(Organisation.id).where(Organisation.id == organisation.id).with_for_update())


def remove_member(member: User, *, actor: User) -> None:
    """A member removes a colleague, who loses access to the organisation's proposals and letters at once.

    Side effects: the colleague's membership, an audit event.
    """
    organisation = actor.organisation
    if organisation is None or not is_member_of(member, organisation):
        raise NotFound(MEMBERSHIP_NOT_FOUND)
    _require_member(actor, organisation)
    if member.id == actor.id:
        raise InvalidTransition(N_("To leave the organisation yourself, use “Leave the organisation”."))
    _lock(organisation)
    member.organisation = None
    db.session.flush()
    _audit(actor, "member_removed", organisation, user=member.id, email=member.email)


def leave_organisation(actor: User) -> Organisation:
    """The actor leaves their organisation, unless they are its last member. Side effects: membership, audit."""
    organisation = actor.organisation
    if organisation is None or not is_member_of(actor, organisation):
        raise InvalidTransition(N_("You do not belong to an organisation."))
    _lock(organisation)
    if len(members_of(organisation)) <= 1:
        raise InvalidTransition(N_("You are the last member of %(organisation)s: invite a colleague first, so that "
                                   "someone can still manage its proposals and answer requests to join."),
                                organisation=organisation.name)
    actor.organisation = None
    db.session.flush()
    _audit(actor, "member_left", organisation, user=actor.id, email=actor.email)
    return organisation
