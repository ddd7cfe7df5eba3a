"""The tests' one mail catcher: a test SMTP server (aiosmtpd) that keeps what the app sends, whether at once
(`outbox.send_now`: links, notices, evaluators' e-mails) or through the outbox. The `mailbox` fixture (registered in
tests/conftest.py) points the app at it; browser tests, whose live server runs the same app, use `mailbox_for`."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.support import free_port


class Mailbox:
    """An aiosmtpd handler that keeps what it receives: (recipients, subject, plain-text body)."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str, str]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        self.messages.append((list(envelope.rcpt_tos), str(message["Subject"]), body.get_content() if body else ""))
        return "250 OK"

    def to(self, email: str) -> list[tuple[str, str]]:
        """(subject, body) of each message sent to `email`, oldest first."""
        return [(subject, body) for recipients, subject, body in self.messages if email in recipients]

    def link(self, index: int = -1) -> str:
        """The path of the first link in a message (the host is the configured PUBLIC_BASE_URL)."""
        found = re.search(r"https?://[^/\s]+(/\S+)", self.messages[index][2])
        assert found, self.messages[index][2]
        return found.group(1)


@contextmanager
def mailbox_for(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    """A test SMTP server on a free port, and the app configured to send through it."""
    from aiosmtpd.controller import Controller

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", controller.port)
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def mailbox(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    """The app sends through a test SMTP server that keeps every message."""
    with mailbox_for(app, monkeypatch) as box:
        yield box
