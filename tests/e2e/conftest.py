"""Browser tests: the page every test drives is checked for accessibility and reflow (tests/e2e/audit.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.conftest import ARTIFACTS
from tests.e2e.audit import AuditedPage, Auditor, PageWatch


@pytest.fixture(scope="session")
def auditor(app: Flask) -> Auditor:
    return Auditor(app, ARTIFACTS / "pages")


def open_page(browser: Any, auditor: Auditor, **options: Any) -> tuple[Any, AuditedPage, PageWatch]:
    """A new context and its page, watched: every document it shows is checked before the test moves on."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True, **options)
    context.set_default_timeout(15_000)
    watch = PageWatch(auditor, context)
    return context, AuditedPage(context.new_page(), watch), watch


def close_page(context: Any, watch: PageWatch) -> None:
    """Check what the pages still show, close the context, and fail when a page was shown but never checked."""
    try:
        missed = watch.finish()
    finally:
        context.close()
    assert not missed, "pages shown but never checked (call auditor.check(page) on them): " + ", ".join(missed)


@pytest.fixture
def page(browser: Any, auditor: Auditor) -> Iterator[AuditedPage]:
    context, audited, watch = open_page(browser, auditor)
    yield audited
    close_page(context, watch)
