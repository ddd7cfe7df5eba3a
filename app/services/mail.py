"""E-mails to one person about their own account or work, sent at once from a background job (nobody reviews them):
registration links and notices, password-reset links, failed log-ins, a new address to confirm, an authenticator
reset, evaluators' assignments and reminders.

Each is written in its recipient's language (`users.language`; English when none was chosen), whoever's request or
job sends it, and goes through the outbox's `send_now`. A refusal of the mail server is reported, not raised: the job
records it and a later run may try again. Letters' e-mails, which officers review first, go through the outbox's
queue instead (app.services.outbox.queue_notifications).
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from typing import Any

from flask import current_app, render_template

from app.models import User
from app.services import outbox
from app.services.errors import DomainError
from app.translation import gettext, in_language


def public_base_url() -> str:
    """The address the links of an e-mail start with (PUBLIC_BASE_URL, without its final slash)."""
    return str(current_app.config.get("PUBLIC_BASE_URL", "")).rstrip("/")


def send_to_person(user: User, subject: str, template: str, *, message_id: str, address: str | None = None,
                   subject_values: Mapping[str, Any] | None = None, **context: Any) -> str | None:
    """Write `template` (given `user` and `context`) and `subject` (a catalogue message, `%(name)s` filled in from
    `subject_values`) in `user`'s language and send them at once to `address` (the account's own by default).

    Returns None when the mail server took it, else why not (for the job's result; never raised).
    Side effect: the e-mail.
    """
    with in_language(user.language):  # English when the person chose no language
        body = render_template(template, user=user, **context)
        subject_line = gettext(subject, **(subject_values or {}))
    try:
        outbox.send_now([address or user.email], subject_line, body, message_id=message_id)
    except (DomainError, OSError, smtplib.SMTPException) as error:
        return getattr(error, "message", None) or str(error)[:1000]
    return None
