"""The outbox, as state changes: one notification e-mail queued per letter, sent over SMTP once the officer asks,
or cancelled.

Nothing leaves before the officer asks for it, and never while a proposal would receive two contradictory
decisions for the same call (`app.queries.outbox`). With no SMTP server configured the messages stay queued and
show as not sent.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from sqlalchemy.orm import selectinload

from app.clock import utcnow
from app.enums import OutboxStatus, letter_decision_label, letter_kind_label
from app.extensions import db
from app.models import Call, Letter, OutboxMessage, Proposal, User
from app.queries.access import require_officer
from app.queries.outbox import (
    PENDING,
    call_messages,
    contradictions,
    mail_configured,
    organisation_recipients,
    recipients_for,
)
from app.services.audit import record_event
from app.services.errors import InvalidTransition


def queue_notifications(letters: Sequence[Letter]) -> list[OutboxMessage]:
    """Queue one notification per new letter (side effect: OutboxMessage rows; the caller commits)."""
    if not letters:
        return []
    proposals = {p.id: p for p in db.session.scalars(
        sa.select(Proposal).where(Proposal.id.in_([letter.proposal_id for letter in letters]))
        .options(selectinload(Proposal.partners), selectinload(Proposal.call))
    )}
    emails = organisation_recipients({p.organisation_id for p in proposals.values()})
    base_url = str(current_app.config.get("PUBLIC_BASE_URL", "")).rstrip("/")
    messages = []
    for letter in letters:
        proposal = proposals[letter.proposal_id]
        call = proposal.call
        context = {"letter": letter, "proposal": proposal, "call": call, "base_url": base_url,
                   "kind_label": letter_kind_label(letter.kind, call.kind),
                   "decision_label": letter_decision_label(letter.kind, call.kind),
                   "contact_email": current_app.config.get("LETTER_CONTACT_EMAIL", "")}
        subject = f"[{call.code}] {letter_kind_label(letter.kind, call.kind)} for your proposal {proposal.acronym}"
        message = OutboxMessage(
            call_id=call.id, letter_id=letter.id, subject=subject[:300],
            recipients=recipients_for(proposal, emails.get(proposal.organisation_id, [])),
            body=render_template("email/letter_notification.txt", **context),
        )
        db.session.add(message)
        messages.append(message)
    db.session.flush()
    return messages


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def check_before_sending(call: Call, messages: Sequence[OutboxMessage]) -> list[OutboxMessage]:
    """The messages that would go; InvalidTransition when the outbox must not be sent as it is."""
    found = contradictions(call, messages)
    if found:
        raise InvalidTransition(
            "Nothing was sent: some proposals would receive contradictory decisions. Cancel the wrong messages "
            "first.", details={"contradictions": [{"proposal": c.proposal, "decisions": c.decisions}
                                                  for c in found]},
        )
    pending = [m for m in messages if m.status in PENDING]
    if not pending:
        raise InvalidTransition("There is nothing to send: every message has been sent or cancelled.")
    unpublished = sorted({m.letter.reference for m in pending if m.letter.published_at is None})
    if unpublished:
        raise InvalidTransition(
            "Publish the letters before sending the e-mails that announce them.",
            details={"unpublished": unpublished[:20], "count": len(unpublished)},
        )
    if not mail_configured():
        raise InvalidTransition("No SMTP server is configured (MAIL_SERVER): the messages stay queued, not sent.")
    return pending


def send_outbox(call: Call, *, actor: User | None) -> SendReport:
    """Send every queued (or previously failed) message of the call over SMTP.

    Refuses (InvalidTransition) on a contradiction, unpublished letters or no SMTP server. Commits after each
    message, so a crash half-way never sends a message twice. Side effects: message status, audit events.
    """
    require_officer(actor, to="handle the outbox", unattended=True)
    pending = check_before_sending(call, call_messages(call))
    config = current_app.config
    report = SendReport()
    try:
        connection = _connect(config)
    except (OSError, smtplib.SMTPException) as error:
        raise InvalidTransition(f"The SMTP server could not be reached: {error}. Nothing was sent.") from error
    try:
        for message in pending:
            message.attempts += 1
            if not message.recipients:
                message.status, message.error = OutboxStatus.FAILED, "no recipient address"
                report.failed += 1
                report.errors.append(f"{message.letter.reference}: no recipient address")
                db.session.commit()
                continue
            try:
                refused = connection.send_message(_email(message, config))
            except smtplib.SMTPException as error:
                message.status, message.error = OutboxStatus.FAILED, str(error)[:1000]
                report.failed += 1
                report.errors.append(f"{message.letter.reference}: {error}")
            else:
                message.status, message.sent_at = OutboxStatus.SENT, utcnow()
                message.error = f"refused by the server: {', '.join(refused)}" if refused else None
                report.sent += 1
            db.session.commit()
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            connection.quit()
    record_event(actor, "outbox.sent", object_type="call", object_id=call.code, sent=report.sent,
                 failed=report.failed)
    db.session.flush()
    return report


def _connect(config: Any) -> smtplib.SMTP:
    connection = smtplib.SMTP(config["MAIL_SERVER"], int(config.get("MAIL_PORT", 25)),
                              timeout=int(config.get("MAIL_TIMEOUT", 20)))
    if config.get("MAIL_USE_TLS"):
        connection.starttls(context=ssl.create_default_context())
    if config.get("MAIL_USERNAME"):
        connection.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
    return connection


def _email(message: OutboxMessage, config: Any) -> EmailMessage:
    email = EmailMessage()
    email["From"] = config.get("MAIL_FROM") or "no-reply@eurogrants.test"
    email["To"] = ", ".join(message.recipients)
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain="eurogrants.local")
    email["X-Eurogrants-Letter"] = message.letter.reference
    email.set_content(message.body)
    return email

def cancel_message(message: OutboxMessage, *, actor: User | None) -> None:
    """Withdraw a message that has not been sent (side effects: status, audit event)."""
    require_officer(actor, to="handle the outbox", unattended=True)
    if message.status not in PENDING:
        raise InvalidTransition(f"This message is {message.status.value}; only a message not sent can be cancelled.")
    message.status, message.cancelled_at = OutboxStatus.CANCELLED, utcnow()
    record_event(actor, "outbox.cancelled", object_type="outbox_message", object_id=message.id,
                 letter=message.letter.reference)
    db.session.flush()
