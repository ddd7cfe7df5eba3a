"""The outbox, as state changes: one notification e-mail queued per letter, sent over SMTP in background jobs
once the officer asks (`app.jobs`, kind `outbox.send`), or cancelled.

Nothing leaves before the officer asks for it, and never while a proposal would receive two contradictory
decisions for the same call (`app.queries.outbox`). With no SMTP server configured the messages stay queued and
show as not sent.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app, render_template
from sqlalchemy.orm import selectinload

from app.clock import utcnow
from app.enums import OutboxStatus, letter_decision_label, letter_kind_label
from app.extensions import db
from app.languages import N_
from app.models import Call, Letter, OutboxMessage, Proposal, User
from app.queries.access import require_officer
from app.queries.letters import letter_language
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
from app.translation import gettext, in_language


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
        # In the letter's language: the coordinator's (app.queries.letters.letter_language).
        with in_language(letter_language(proposal)):
            kind_label = gettext(letter_kind_label(letter.kind, call.kind))
            context = {"letter": letter, "proposal": proposal, "call": call, "base_url": base_url,
                       "kind_label": kind_label,
                       "decision_label": gettext(letter_decision_label(letter.kind, call.kind)),
                       "contact_email": current_app.config.get("LETTER_CONTACT_EMAIL", "")}
            subject = gettext("[%(code)s] %(kind)s for your proposal %(acronym)s", code=call.code, kind=kind_label,
                              acronym=proposal.acronym)
            body = render_template("email/letter_notification.txt", **context)
        message = OutboxMessage(
            call_id=call.id, letter_id=letter.id, subject=subject[:300],
            recipients=recipients_for(proposal, emails.get(proposal.organisation_id, [])), body=body,
        )
        db.session.add(message)
        messages.append(message)
    db.session.flush()
    return messages


@dataclass
class SendReport:
    queued: int = 0
    job_ids: list[int] = field(default_factory=list)
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


# Messages per background job: one SMTP connection each, and a worker lost in the middle loses little.
SEND_CHUNK = 25


def check_before_sending(call: Call, messages: Sequence[OutboxMessage]) -> list[OutboxMessage]:
    """The messages that would go; InvalidTransition when the outbox must not be sent as it is."""
    found = contradictions(call, messages)
    if found:
        raise InvalidTransition(
            N_("Nothing was sent: some proposals would receive contradictory decisions. Cancel the wrong messages "
               "first."), details={"contradictions": [{"proposal": c.proposal, "decisions": c.decisions}
                                                  for c in found]},
        )
    pending = [m for m in messages if m.status in PENDING]
    if not pending:
        raise InvalidTransition(N_("There is nothing to send: every message has been sent or cancelled."))
    unpublished = sorted({m.letter.reference for m in pending if m.letter.published_at is None})
    if unpublished:
        raise InvalidTransition(
            N_("Publish the letters before sending the e-mails that announce them."),
            details={"unpublished": unpublished[:20], "count": len(unpublished)},
        )
    if not mail_configured():
        raise InvalidTransition(N_("No SMTP server is configured (MAIL_SERVER): the messages stay queued, not sent."))
    return pending


def send_outbox(call: Call, *, actor: User | None) -> SendReport:
    """Send every queued (or previously failed) message of the call over SMTP, in the background.

    Refuses (InvalidTransition) on a contradiction, unpublished letters, no SMTP server, or one that cannot be
    reached now (so the officer hears of it at once). Side effects: one `outbox.send` job per chunk of messages
    (dispatched when the caller commits; each message is then claimed, sent and marked by a worker), an audit
    event. Returns how many were queued for sending.
    """
    from app import jobs

    require_officer(actor, to=N_("handle the outbox"), unattended=True)
    pending = check_before_sending(call, call_messages(call))
    try:
        connection = _connect(current_app.config)
    except (OSError, smtplib.SMTPException) as error:
        raise InvalidTransition(N_("The SMTP server could not be reached: %(error)s. Nothing was sent."),
                                error=str(error)) from error
    with contextlib.suppress(OSError, smtplib.SMTPException):
        connection.quit()
    ids = [message.id for message in pending]
    report = SendReport(queued=len(ids))
    for start in range(0, len(ids), SEND_CHUNK):
        job = jobs.enqueue("outbox.send", {"call_id": call.id, "message_ids": ids[start:start + SEND_CHUNK]})
        report.job_ids.append(job.id)
    record_event(actor, "outbox.send_started", object_type="call", object_id=call.code, queued=len(ids))
    db.session.flush()
    return report


def send_now(recipients: Sequence[str], subject: str, body: str, *, message_id: str) -> None:
    """Send one e-mail at once, for messages nobody needs to review (a link that confirms a new e-mail address).

    InvalidTransition when no SMTP server is configured; the server's errors (OSError, SMTPException) are raised.
    """
    config = current_app.config
    if not mail_configured():
        raise InvalidTransition(N_("No SMTP server is configured (MAIL_SERVER): the e-mail could not be sent."))
    email = EmailMessage()
    email["From"] = config.get("MAIL_FROM") or "no-reply@eurogrants.test"
    email["To"] = ", ".join(recipients)
    email["Subject"] = subject
    email["Message-ID"] = make_msgid(idstring=message_id, domain="eurogrants.local")
    email.set_content(body)
    connection = _connect(config)
    try:
        connection.send_message(email)
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            connection.quit()


class _Transient(Exception):
    """An SMTP failure worth another try (the server busy or unreachable, a 4xx answer)."""


def _retry_delays() -> list[float]:
    text = str(current_app.config.get("MAIL_RETRY_DELAYS", "2,10,30"))
    return [float(part) for part in text.split(",") if part.strip()]


def _claim(message_id: int) -> bool:
    """The outbox row is the lock: QUEUED or FAILED → SENDING in one committed UPDATE; only its winner sends.

    A message left SENDING by a worker that died is never picked up again: it may have gone out already, and
    a message is never sent twice. The officer sees it as "sending" and checks the mail server's log.
    """
    # An UPDATE's result is a CursorResult, which counts the rows it changed.
    claimed = cast("sa.CursorResult[Any]", db.session.execute(
        sa.update(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.status.in_(PENDING))
        .values(status=OutboxStatus.SENDING, attempts=OutboxMessage.attempts + 1, error=None)
    )).rowcount
    db.session.commit()
    return bool(claimed)


def pause(seconds: float) -> None:
    """The wait between two tries (a function of its own so that tests can watch the backoff)."""
    time.sleep(seconds)


def send_messages_job(payload: dict[str, Any]) -> dict[str, Any]:
    """A background job: send a chunk of the outbox, each message claimed first, with retries and backoff.

    Each message's outcome is committed as soon as it is known (SENT or FAILED), so a crash half-way never
    sends a message twice. Transient failures (connection refused or dropped, 4xx answers) are tried again
    after MAIL_RETRY_DELAYS seconds (2, 10, 30 by default); permanent ones (5xx) fail the message at once.
    """
    config = current_app.config
    report = SendReport()
    delays = _retry_delays()
    connection: smtplib.SMTP | None = None
    try:
        for message_id in payload["message_ids"]:
            if not _claim(message_id):
                continue  # sent, cancelled, or being sent by someone else
            message = db.session.get(OutboxMessage, message_id)
            assert message is not None  # noqa: S101 - just claimed
            if not message.recipients:
                _finish(message, report, error="no recipient address")
                continue
            email = _email(message, config)
            for attempt in range(len(delays) + 1):
                try:
                    if connection is None:
                        connection = _connect(config)
                    refused = connection.send_message(email)
                # SMTPException is an OSError: the answers with a code first, then a dropped connection.
                except smtplib.SMTPRecipientsRefused as error:
                    failure: Exception = error
                except smtplib.SMTPResponseException as error:
                    failure = _Transient(str(error)) if 400 <= error.smtp_code < 500 else error
                except OSError as error:  # refused, reset or timed out: a new connection for the next try
                    _close(connection)
                    connection = None
                    failure = _Transient(str(error) or type(error).__name__)
                else:
                    _finish(message, report, refused=refused)
                    break
                if isinstance(failure, _Transient) and attempt < len(delays):
                    pause(delays[attempt])
                    continue
                _finish(message, report, error=str(failure))
                break
    finally:
        _close(connection)
    call = db.session.get(Call, payload["call_id"])
    record_event(None, "outbox.sent", object_type="call", object_id=call.code if call else payload["call_id"],
                 sent=report.sent, failed=report.failed)
    db.session.flush()
    return {"sent": report.sent, "failed": report.failed}


def _close(connection: smtplib.SMTP | None) -> None:
    if connection is None:
        return
    try:
        connection.quit()
    except OSError:
        connection.close()


def _finish(message: OutboxMessage, report: SendReport, *, refused: dict[str, Any] | None = None,
            error: str | None = None) -> None:
    if error is not None:
        message.status, message.error = OutboxStatus.FAILED, error[:1000]
        report.failed += 1
        report.errors.append(f"{message.letter.reference}: {error}")
    else:
        message.status, message.sent_at = OutboxStatus.SENT, utcnow()
        message.error = f"refused by the server: {', '.join(refused)}" if refused else None
        report.sent += 1
    db.session.commit()


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
    require_officer(actor, to=N_("handle the outbox"), unattended=True)
    if message.status not in PENDING:
        raise InvalidTransition(N_("This message is %(status)s; only a message not sent can be cancelled."),
                                status=message.status.value)
    message.status, message.cancelled_at = OutboxStatus.CANCELLED, utcnow()
    record_event(actor, "outbox.cancelled", object_type="outbox_message", object_id=message.id,
                 letter=message.letter.reference)
    db.session.flush()
