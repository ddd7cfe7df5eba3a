"""Browser tests: the page every test drives is checked for accessibility and reflow (tests/e2e/audit.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.clock import set_clock
from app.enums import Role
from app.extensions import db
from app.seeds.calls import seed_reference_calls
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


# -- the applicant's proposal editor, as a person fills it in (shared by the journeys that submit) -------------------

@dataclass(frozen=True)
class PartnerRow:
    """A partner as the consortium page's row takes it (country code, organisation type value)."""

    name: str
    country: str
    organisation_type: str
    email: str


def start_proposal(page: Any, base: str, code: str) -> str:
    """Start a draft from the call's public page; the draft's address (its overview), the summary open."""
    page.goto(f"{base}/calls/{code}")
    page.click("button:has-text('Start a proposal')")
    page.wait_for_url(re.compile(r".*/applicant/proposals/\d+/summary$"))
    return str(page.url).removesuffix("/summary")


def fill_summary(page: Any, proposal_url: str, *, acronym: str, title: str, abstract: str, strand: str,
                 months: int) -> None:
    """Fill the summary and leave it by the Consortium tab, which saves it (not the Save button)."""
    page.fill("#acronym", acronym)
    page.fill("#title", title)
    page.fill("#abstract", abstract)
    page.select_option("#strand", strand)
    page.fill("#duration_months", str(months))
    page.click("nav.section-tabs >> text=Consortium")
    page.wait_for_url(f"{proposal_url}/consortium")


def fill_consortium(page: Any, proposal_url: str, *, coordinator_email: str, partners: list[PartnerRow]) -> None:
    """The coordinator's contact and the partners (each row after the first added with the button); saved, on to
    the budget."""
    page.fill("#coordinator_contact_email", coordinator_email)
    for index, partner in enumerate(partners):
        if index:
            page.click("[data-add-partner]")
        page.fill(f"#partners-{index}-name", partner.name)
        page.select_option(f"#partners-{index}-country", partner.country)
        page.select_option(f"#partners-{index}-organisation_type", partner.organisation_type)
        page.fill(f"#partners-{index}-contact_email", partner.email)
    page.click("text=Save and continue to budget")
    page.wait_for_url(f"{proposal_url}/budget")


def fill_budget(page: Any, *, requested: str, amounts: list[str]) -> None:
    """Type the requested grant and each partner's amount (the coordinator's first); not saved yet."""
    page.fill("#requested_grant", requested)
    for index, amount in enumerate(amounts):
        page.fill(f"#amounts-{index}", amount)


def upload_annex(page: Any, proposal_url: str, pdf: Path) -> None:
    """Upload a PDF as the annex type the page proposes (the first required one missing)."""
    page.set_input_files("#file", str(pdf))
    page.click("button:has-text('Upload')")
    page.wait_for_url(f"{proposal_url}/annexes")


def submit_from_overview(page: Any) -> str:
    """On the overview, the checklist green: tick the declaration, submit; the receipt number shown."""
    page.check("#confirm")
    page.click("button:has-text('Submit the proposal')")
    page.wait_for_url(re.compile(r".*/submissions/1$"))
    return str(page.locator(".receipt-number").first.inner_text())


@pytest.fixture
def people(app: Flask, make_user: Any) -> Iterator[tuple[Any, Any]]:
    """The reference calls, an officer and an applicant (the call-opening journeys); the test clock is reset after."""
    with app.app_context():
        seed_reference_calls()
        db.session.commit()
    yield make_user(Role.OFFICER, email="olivia.officer@example.test"), make_user(Role.APPLICANT)
    set_clock(None)
