"""Fixtures of the account's security pages: a clock that stands still unless moved, and a test SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.mailbox import Mailbox, mailbox_for


@pytest.fixture
def clock(frozen_clock: Any) -> Any:
    """The app's clock, standing still unless a test moves it (`clock.move(minutes=…)`)."""
    return frozen_clock


@pytest.fixture
def mailbox(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    with mailbox_for(app, monkeypatch) as box:
        yield box
