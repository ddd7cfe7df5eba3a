"""Fixtures of the account's security pages: a clock that stands still unless moved, and a test SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from app.clock import set_clock, utcnow
from tests.mailbox import Mailbox, mailbox_for


@pytest.fixture
def clock() -> Iterator[Any]:
    """The app's clock, standing still unless a test moves it (`clock.move(minutes=…)`)."""
    now = [utcnow().replace(microsecond=0)]

    def move(**delta: float) -> None:
        now[0] = now[0] + timedelta(**delta)

    set_clock(lambda: now[0])
    yield SimpleNamespace(now=lambda: now[0], move=move)
    set_clock(None)


@pytest.fixture
def mailbox(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    with mailbox_for(app, monkeypatch) as box:
        yield box
