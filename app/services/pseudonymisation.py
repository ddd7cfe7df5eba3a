"""Erasing a person: their account's name and e-mail address become a stable pseudonym (an HMAC of the account's id,
app/queries/erasure.py), which the audit trail's details take too, so that every event still names one actor and
counts still hold; what a longer rule keeps stays, under the pseudonym. The rows and files the map declares under the
account's rule go through the engine of app/services/erasure.py, with an entry of the erasure register.

Audit events refuse changes through the ORM; the pseudonymisation changes their details, the outbox's recipients and
the account's identity with bulk Core statements, the one path around those guards, and only ever what the map
declares personal.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.clock import utcnow
from app.enums import ErasureKind, InvitationStatus, JoinRequestStatus
from app.extensions import db
from app.models import (
    AuditEvent,
    Correction,
    EmailChange,
    Erasure,
    Invitation,
    JoinRequest,
    LoginAttempt,
    OutboxMessage,
    User,
)
from app.privacy.map import ACCOUNT
from app.queries.erasure import drafts_erased_with, person_pseudonym
from app.queries.personal_data import known_emails
from app.services.audit import record_event
from app.services.erasure import delete_drafts, erase_rows, register_erasure

ERASED_DOMAIN = "erased.invalid"  # RFC 2606: never delivered


def _core(model: Any) -> sa.Table:
    """A model's table for Core statements, the one path around the ORM's guards (see the module docstring)."""
    return db.metadata.tables[model.__tablename__]


def pseudonymous_email(label: str) -> str:
    return f"{label.lower().replace(' ', '-')}@{ERASED_DOMAIN}"


def erase_person(person: User, *, actor: User | None, rule: str, request_reference: str = "",
                 label: str | None = None, erased_at: datetime | None = None, remember: bool = True) -> Erasure:
    """Pseudonymise a person everywhere and delete what no rule keeps (see the module docstring).

    Side effects: the account's name, e-mail address, password, organisation and log-ins; API tokens, e-mail changes,
    log-in attempts, corrections' values, join request messages; invitations and e-mails sent to the person carry
    the pseudonym's address; the audit trail's details name the pseudonym; the person's organisation's drafts when
    they were its only member; a register entry and an audit event.
    """
    user_id = person.id
    label = label or person_pseudonym(user_id)
    alias = pseudonymous_email(label)
    emails = known_emails(person)
    names = {person.full_name, *db.session.scalars(sa.select(Correction.old_value).where(
        Correction.user_id == user_id, Correction.field == "full_name"))} - {""}
    drafts = delete_drafts(drafts_erased_with(person), rule=rule, actor=actor, request_reference=request_reference,
                           erased_at=erased_at, remember=remember)
    for waiting in db.session.scalars(sa.select(JoinRequest).where(JoinRequest.user_id == user_id,
                                                                   JoinRequest.status == JoinRequestStatus.PENDING)):
        waiting.status, waiting.decided_at = JoinRequestStatus.CANCELLED, utcnow()
    counts = erase_rows(ACCOUNT, [user_id])
    db.session.execute(sa.update(_core(User)).where(_core(User).c.id == user_id).values(
        email=alias, full_name=label, is_active_account=False))
    counts["email_changes"] = _rowcount(db.session.execute(sa.delete(_core(EmailChange)).where(
        _core(EmailChange).c.user_id == user_id)))
    digests = [hashlib.sha256(email.encode()).hexdigest() for email in emails]
    counts["login_attempts"] = _rowcount(db.session.execute(sa.delete(_core(LoginAttempt)).where(
        _core(LoginAttempt).c.email_digest.in_(digests))))
    counts["invitations"] = _rowcount(db.session.execute(sa.update(_core(Invitation)).where(
        sa.func.lower(_core(Invitation).c.email).in_(emails)).values(email="")))
    db.session.execute(sa.update(_core(Invitation)).where(
        _core(Invitation).c.email == "", _core(Invitation).c.status == InvitationStatus.PENDING.value)
        .values(status=InvitationStatus.REVOKED.value))
    counts["emails_sent"] = _replace_recipients(emails, alias)
    counts["audit_events"] = _pseudonymise_audit(user_id, emails, names, alias, label)
    db.session.expire_all()
    entry = register_erasure(ErasureKind.PERSON, user_id, label, rule, actor=actor,
                             request_reference=request_reference, summary={**counts, "drafts_deleted": len(drafts)},
                             erased_at=erased_at, remember=remember)
    record_event(actor, "personal_data.person_erased", object_type="user", object_id=user_id, pseudonym=label,
                 rule=rule, request=request_reference, counts=entry.summary)
    return entry


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _replace_recipients(emails: set[str], alias: str) -> int:
    table = _core(OutboxMessage)
    text = sa.func.lower(sa.cast(table.c.recipients, sa.Text))
    changed = 0
    rows = db.session.execute(sa.select(table.c.id, table.c.recipients).where(
        sa.or_(*(text.contains(email) for email in sorted(emails))))).all()
    for message_id, recipients in rows:
        replaced = [alias if str(address).lower() in emails else address for address in recipients or []]
        if replaced != recipients:
            db.session.execute(sa.update(table).where(table.c.id == message_id).values(recipients=replaced))
            changed += 1
    return changed


def _pseudonymise_audit(user_id: int, emails: set[str], names: set[str], alias: str, label: str) -> int:
    """Replace the person's e-mail addresses in every event's details, and their name in the events that concern
    them, by the pseudonym: each event stays, in its order, with its actor link (now showing the pseudonym).

    Addresses are found in the stored JSON text; one with characters outside ASCII is stored escaped and found only
    in the events that concern the person (their own, or about their account).
    """
    table = _core(AuditEvent)
    text = sa.func.lower(sa.cast(table.c.data, sa.Text))
    concerns = sa.or_(table.c.actor_id == user_id,
                      sa.and_(table.c.object_type == "user", table.c.object_id == str(user_id)))
    rows = db.session.execute(sa.select(table.c.id, table.c.data, concerns.label("concerns")).where(
        sa.or_(concerns, *(text.contains(email) for email in sorted(emails))))).all()
    pattern = re.compile("|".join(re.escape(email) for email in sorted(emails, key=len, reverse=True)), re.IGNORECASE)

    def replace(value: Any, concerning: bool) -> Any:
        if isinstance(value, str):
            if concerning and value in names:
                return label
            return pattern.sub(alias, value)
        if isinstance(value, list):
            return [replace(item, concerning) for item in value]
        if isinstance(value, dict):
            return {key: replace(item, concerning) for key, item in value.items()}
        return value

    changed = 0
    for event_id, data, concerning in rows:
        new = replace(data, bool(concerning))
        if new != data:
            db.session.execute(sa.update(table).where(table.c.id == event_id).values(data=new))
            changed += 1
    return changed
