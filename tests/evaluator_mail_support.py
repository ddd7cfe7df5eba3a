"""The evaluators' e-mails in tests: a evaluator_mailbox in place of `outbox.send_now`, and a world whose evaluation
deadline a test can stand before (shared by tests/services and tests/cli; registered in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from app.clock import set_clock
from app.services import outbox


@dataclass
class Mailbox:
    messages: list[tuple[list[str], str, str]] = field(default_factory=list)

    def to(self, email: str) -> list[tuple[str, str]]:
        return [(subject, body) for recipients, subject, body in self.messages if email in recipients]


@pytest.fixture
def evaluator_mailbox(monkeypatch: pytest.MonkeyPatch) -> Mailbox:
    box = Mailbox()

    def send_now(recipients, subject, body, *, message_id):  # type: ignore[no-untyped-def]
        box.messages.append((list(recipients), subject, body))

    monkeypatch.setattr(outbox, "send_now", send_now)
    return box


@pytest.fixture
def evaluation_clock() -> Iterator[list[datetime]]:
    """The app's evaluation_clock at `evaluation_clock[0]` (the real time until a test sets it)."""
    now: list[datetime] = [datetime.now(UTC)]
    set_clock(lambda: now[0])
    yield now
    set_clock(None)
