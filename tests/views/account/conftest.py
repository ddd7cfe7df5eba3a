"""Fixtures of the account's security pages: a clock that stands still unless moved (the mail catcher, `mailbox`,
is tests/mailbox.py's)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def clock(frozen_clock: Any) -> Any:
    """The app's clock, standing still unless a test moves it (`clock.move(minutes=…)`)."""
    return frozen_clock
