"""A person's rights over their personal data: access and portability (the export), rectification, erasure.

Each is a service like any other: it checks who may do it, changes state (or reads, for the export), writes an
audit event and flushes; the view commits. What is held, why and for how long is declared in app/privacy/map.py.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app import jobs
from app.clock import utcnow
from app.enums import ErasureKind, OrganisationType, Role
from app.extensions import db
from app.languages import N_
from app.models import Correction, EmailChange, Erasure, Job, Organisation, User, UserRole
from app.privacy.access_log import note_access
from app.queries.access import is_member_of, require_officer
from app.queries.accounts import clean_organisation, find_organisation, normalise_email
from app.queries.erasure import ErasureAssessment, assess_erasure, erasure_of
from app.queries.personal_data import email_change_token, email_link_matches
from app.queries.personal_data_export import PersonalDataExport, personal_data_export
from app.services.accounts import password_matches
from app.services.audit import record_event
from app.services.errors import (
    EmailTaken,
    InvalidInput,
    InvalidTransition,
    NotAllowed,
    NotFound,
)
from app.services.mail import public_base_url, send_to_person
from app.services.pseudonymisation import erase_person

REQUEST_REFERENCE_LIMIT = 300
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
EMAIL_LINK_GONE = N_("This confirmation link has expired or was already used. Ask for the change again on your "
                     "page.")


def _request_reference(actor: User, subject: User, reference: str) -> str:
    """An officer acting for a person names the request they answer (a letter received by post: its date or
    registration number), so that the audit trail and the access log say why."""
    reference = " ".join(reference.split())
    if actor.id != subject.id and not reference:
        raise InvalidInput(N_("Give the reference of the request you answer (e.g. the letter's date or registration "
                              "number)."), details={"field": "request_reference"})
    if len(reference) > REQUEST_REFERENCE_LIMIT:
        raise InvalidInput(N_("At most %(max)d characters."), max=REQUEST_REFERENCE_LIMIT,
                           details={"field": "request_reference"})
    return reference


# --- access and portability ------------------------------------------------------------------------------------------

def export_personal_data(subject: User, *, actor: User, request_reference: str = "") -> PersonalDataExport:
    """Everything held about `subject`, for themselves, or for an officer answering their request by post.

    Side effects: an audit event `personal_data.exported`; an officer's export is also on the access log.
    """
    if actor.id != subject.id:
        require_officer(actor, to=N_("export another person's data"))
    reference = _request_reference(actor, subject, request_reference)
    export = personal_data_export(subject)
    record_event(actor, "personal_data.exported", object_type="user", object_id=subject.id,
                 for_the_person=actor.id != subject.id, request=reference, counts=export.counts())
    if actor.id != subject.id:
        note_access(actor, action="exported", subject=subject, note=reference)
    return export


# --- rectification ---------------------------------------------------------------------------------------------------
#
# A correction changes the live record and is kept beside what it corrects (`Correction`: the value before and
# after). Submitted versions are never rewritten: their snapshot and hash stand, and their receipts show the
# corrections made since (app.queries.personal_data.corrections_since). The audit event names the field, not the
# values: the values are personal data the erasure must be able to reach in one place.

EMAIL_CHANGE_VALID_FOR = timedelta(hours=24)
MAX_NAME = 200
MAX_EMAIL = 254


def _require_self(subject: User, actor: User) -> None:
    if subject.id != actor.id:
        raise NotAllowed(N_("Only the person themselves corrects their name and e-mail address."))


def _correction(actor: User, field: str, old: str, new: str, *, user: User | None = None,
                organisation: Organisation | None = None) -> Correction:
    correction = Correction(user_id=user.id if user is not None else None,
                            organisation_id=organisation.id if organisation is not None else None,
                            field=field, old_value=old, new_value=new, corrected_by_id=actor.id)
    db.session.add(correction)
    return correction


def correct_name(subject: User, *, actor: User, full_name: str) -> Correction | None:
    """Correct the person's name (None when it is unchanged). Side effects: the name, a Correction, an audit event."""
    _require_self(subject, actor)
    name = " ".join(full_name.split())
    if not name:
        raise InvalidInput(N_("Give your name."), details={"field": "full_name"})
    if len(name) > MAX_NAME:
        raise InvalidInput(N_("At most %(count)d characters."), details={"field": "full_name"}, count=MAX_NAME)
    if name == subject.full_name:
        return None
    correction = _correction(actor, "full_name", subject.full_name, name, user=subject)
    subject.full_name = name
    db.session.flush()
    record_event(actor, "personal_data.corrected", object_type="user", object_id=subject.id, fields=["full_name"])
    return correction


def correct_organisation(organisation: Organisation, *, actor: User, name: str, country: str,
                         type_: OrganisationType) -> list[Correction]:
    """A member corrects the organisation's name, country or type (an empty list when nothing changed).

    Side effects: the organisation, one Correction per changed field, an audit event.
    """
    if not is_member_of(actor, organisation):
        raise NotAllowed(N_("Only the organisation's members correct its details."))
    name, country = clean_organisation(name, country)
    if len(name) > MAX_NAME:
        raise InvalidInput(N_("At most %(count)d characters."), details={"field": "organisation_name"},
                           count=MAX_NAME)
    other = find_organisation(name, country)
    if other is not None and other.id != organisation.id:
        raise InvalidInput(N_("Another organisation is registered with this name in this country. If it is yours, "
                              "ask its members to let you join it."), details={"field": "organisation_name"})
    changes = (("name", organisation.name, name), ("country", organisation.country, country),
               ("type", organisation.type.value, type_.value))
    corrections = [_correction(actor, f"organisation.{field}", old, new, organisation=organisation)
                   for field, old, new in changes if old != new]
    if not corrections:
        return []
    organisation.name, organisation.country, organisation.type = name, country, type_
    db.session.flush()
    record_event(actor, "organisation.corrected", object_type="organisation", object_id=organisation.id,
                 fields=[c.field.removeprefix("organisation.") for c in corrections])
    return corrections


def request_email_change(subject: User, *, actor: User, new_email: str, password: str) -> EmailChange:
    """Ask for a new e-mail address; it takes effect when its owner opens the link sent to it (EMAIL_CHANGE_VALID_FOR).

    The password is asked again: whoever controls the address controls the account. Side effects: earlier open
    requests cancelled, an EmailChange, a background job that sends the link, an audit event.
    """
    _require_self(subject, actor)
    email = normalise_email(new_email)
    if not EMAIL_PATTERN.fullmatch(email) or len(email) > MAX_EMAIL:
        raise InvalidInput(N_("Give a valid e-mail address."), details={"field": "new_email"})
    if email == subject.email:
        raise InvalidInput(N_("This is already your e-mail address."), details={"field": "new_email"})
    if not password_matches(subject, password):
        raise InvalidInput(N_("The password is not right."), details={"field": "password"})
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise EmailTaken(N_("Another account uses this e-mail address."), details={"field": "new_email"})
    now = utcnow()
    for waiting in db.session.scalars(sa.select(EmailChange).where(
            EmailChange.user_id == subject.id, EmailChange.confirmed_at.is_(None),
            EmailChange.cancelled_at.is_(None))):
        waiting.cancelled_at = now
    change = EmailChange(user_id=subject.id, new_email=email, requested_at=now,
                         expires_at=now + EMAIL_CHANGE_VALID_FOR)
    db.session.add(change)
    db.session.flush()
    jobs.enqueue("personal_data.email_confirmation", {"change": change.id})
    record_event(actor, "personal_data.email_change_requested", object_type="user", object_id=subject.id,
                 change=change.id)
    return change


def confirm_email_change(change: EmailChange, *, actor: User, token: str) -> Correction:
    """The owner of the new address opened the link: the account's address changes.

    Side effects: the e-mail address, a Correction, the change confirmed, an audit event.
    """
    if change.user_id != actor.id or not email_link_matches(change, token):
        raise NotFound(EMAIL_LINK_GONE)
    if not change.is_open():
        raise InvalidTransition(EMAIL_LINK_GONE)
    if db.session.scalar(sa.select(User.id).where(User.email == change.new_email, User.id != actor.id)) is not None:
        raise EmailTaken(N_("Another account took this e-mail address meanwhile. Ask for the change again with "
                            "another address."))
    correction = _correction(actor, "email", actor.email, change.new_email, user=actor)
    actor.email = change.new_email
    change.confirmed_at = utcnow()
    db.session.flush()
    record_event(actor, "personal_data.corrected", object_type="user", object_id=actor.id, fields=["email"],
                 change=change.id)
    return correction


def cancel_email_change(change: EmailChange, *, actor: User) -> None:
    """Withdraw a change not confirmed yet (side effects: cancelled at, an audit event)."""
    if change.user_id != actor.id:
        raise NotFound(EMAIL_LINK_GONE)
    if change.confirmed_at is None and change.cancelled_at is None:
        change.cancelled_at = utcnow()
        record_event(actor, "personal_data.email_change_cancelled", object_type="user", object_id=actor.id,
                     change=change.id)
        db.session.flush()


def send_email_confirmation_job(payload: dict[str, Any]) -> dict[str, Any]:
    """Background job: e-mail the confirmation link to the new address (the system delivers what the person asked).

    The outcome is written on the change (sent at, or why it could not be sent), for the person's page to show.
    """
    change = db.session.get(EmailChange, int(payload["change"]))
    if change is None or not change.is_open():
        return {"sent": False, "reason": "no longer waiting"}
    link = f"{public_base_url()}/account/email/{change.id}/{email_change_token(change)}"
    reason = send_to_person(change.user, N_("Confirm your new e-mail address for Eurogrants"),
                            "email/email_confirmation.txt", message_id=f"email-change-{change.id}",
                            address=change.new_email, change=change, link=link,
                            valid_for_hours=int(EMAIL_CHANGE_VALID_FOR.total_seconds() // 3600))
    if reason is not None:
        change.send_error = reason
        return {"sent": False, "reason": reason}
    change.sent_at, change.send_error = utcnow(), None
    return {"sent": True}


def email_confirmation_job_gave_up(job: Job) -> None:
    """The sending job failed for good (its process died each time): the person's page says the link was not sent,
    instead of "being sent" for ever."""
    change = db.session.get(EmailChange, int(job.payload.get("change", 0)))
    if change is not None and change.sent_at is None:
        change.send_error = "The background job that sends it stopped."


# --- erasure ---------------------------------------------------------------------------------------------------------

def erase_account(subject: User, *, actor: User, password: str | None = None,
                  request_reference: str = "") -> tuple[Erasure, ErasureAssessment]:
    """Erase a person on their request: themselves (with their password), or an administrator answering a request
    received by post (naming it). What may go goes now; what a rule keeps longer waits, under the pseudonym.

    Returns the register's entry and the assessment that was applied (what went, what waits and until when).
    Side effects: see app.services.pseudonymisation.erase_person; the entry keeps the list of what waits.
    """
    if actor.id == subject.id:
        if not password_matches(subject, password or ""):
            raise InvalidInput(N_("The password is not right."), details={"field": "password"})
    elif not actor.has_role(Role.ADMIN):
        raise NotAllowed(N_("Only administrators erase another person's account."))
    reference = _request_reference(actor, subject, request_reference)
    if erasure_of(ErasureKind.PERSON, subject.id) is not None:
        raise InvalidTransition(N_("This account is already erased."))
    if subject.has_role(Role.ADMIN) and _other_admins(subject) == 0:
        raise InvalidTransition(N_("This is the only administrator's account: give another account the "
                                   "administrator role first, or nobody could manage the accounts."))
    assessment = assess_erasure(subject, current_app.config)
    entry = erase_person(subject, actor=actor, rule="request", request_reference=reference)
    entry.summary = {**entry.summary, "waiting": assessment.summary()}
    db.session.flush()
    return entry, assessment


def _other_admins(subject: User) -> int:
    return int(db.session.scalar(
        sa.select(sa.func.count()).select_from(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.ADMIN, User.id != subject.id, User.is_active_account.is_(True))) or 0)
