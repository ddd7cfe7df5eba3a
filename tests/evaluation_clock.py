"""A clock for the evaluators' reminders: a world whose evaluation deadline a test can stand before (shared by
tests/services and tests/cli; registered in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from app.clock import set_clock


@pytest.fixture
def evaluation_clock() -> Iterator[list[datetime]]:
    """The app's evaluation_clock at `evaluation_clock[0]` (the real time until a test sets it)."""
    now: list[datetime] = [datetime.now(UTC)]
    set_clock(lambda: now[0])
    yield now
    set_clock(None)
