"""A real browser walks the applicant's journey: register, confirm the address from the e-mail caught by a test SMTP
server, draft, partners, upload, green checklist, submit, download the receipt."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.countries import EU_MEMBER_STATES
from app.extensions import db
from tests.conftest import ARTIFACTS
from tests.e2e.conftest import (
    PartnerRow,
    fill_budget,
    fill_consortium,
    fill_summary,
    submit_from_overview,
    upload_annex,
)
from tests.factories import make_open_call, pdf_bytes
from tests.mailbox import mailbox_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def euroclusters(app) -> str:  # type: ignore[no-untyped-def]
    with app.app_context():
        make_open_call("EUROCLUSTERS-OPEN", days_left=3, min_partners=3, min_countries=3,
                       eligible_countries=list(EU_MEMBER_STATES), page_limit=10, duration_min_months=24,
                       duration_max_months=36, title="Joint Cluster Initiatives (practice)")
        db.session.commit()
    return "EUROCLUSTERS-OPEN"


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"journey-{name}.png"), full_page=True)


def test_an_applicant_goes_from_registration_to_a_receipt(app, page, live_server_url, euroclusters, tmp_path,  # type: ignore[no-untyped-def]
                                                           monkeypatch) -> None:
    base = live_server_url
    # Register, then confirm the address with the link of the e-mail and the password chosen.
    with mailbox_for(app, monkeypatch) as mailbox:
        page.goto(f"{base}/auth/register")
        page.fill("#full_name", "Lina Coordinator")
        page.fill("#email", "lina@cluster.example.org")
        page.fill("#organisation_name", "Vilnius Mobility Cluster")
        page.select_option("#country", "LT")
        page.select_option("#organisation_type", "cluster_organisation")
        page.fill("#password", "a-long-enough-password")
        page.fill("#confirm", "a-long-enough-password")
        page.click("text=Create my account")
        page.wait_for_selector("text=we have e-mailed a link to lina@cluster.example.org")
        [(recipients, subject, _)] = mailbox.messages
    assert (recipients, subject) == (["lina@cluster.example.org"], "Confirm your e-mail address for Eurogrants")
    page.goto(f"{base}{mailbox.link()}")
    page.fill("#password", "a-long-enough-password")
    page.click("text=Confirm and log in")
    page.wait_for_url(f"{base}/applicant/")
    assert "No proposal yet." in page.content()

    # Start a draft from the open call (the dashboard lists it).
    page.click("text=Start a proposal")
    page.wait_for_url(re.compile(r".*/applicant/proposals/\d+/summary$"))
    proposal_url = page.url.removesuffix("/summary")

    # Summary, saved by leaving the section (the Consortium tab), not by the Save button.
    fill_summary(page, proposal_url, acronym="GREENMOVE",
                 title="Greener mobility value chains across the Baltic and the Rhine",
                 abstract="Three clusters help 300 SMEs adopt cleaner logistics.", strand="Tourism", months=30)
    assert "Summary saved." in page.content()
    assert "GREENMOVE" in page.locator("h1").inner_text()

    # Consortium: two partners, the second row added with the button.
    fill_consortium(page, proposal_url, coordinator_email="lina@cluster.example.org", partners=[
        PartnerRow("Cluster Rhein-Ruhr", "DE", "cluster_organisation", "office@rhein-ruhr.example.org"),
        PartnerRow("Pôle Mobilité Sud", "FR", "business_support_organisation", "contact@pole-sud.example.org")])

    # Budget: the total is computed as the user types.
    fill_budget(page, requested="1,200,000.00", amounts=["500000", "400000", "200000"])
    assert "€100,000.00 still to allocate." in page.locator("[data-split-note]").inner_text()
    page.fill("#amounts-2", "300000.00")
    assert "adds up to the requested grant" in page.locator("[data-split-note]").inner_text()
    _shot(page, "budget")
    page.click("text=Save and continue to annexes")
    page.wait_for_url(f"{proposal_url}/annexes")
    assert page.locator("#checklist li.check-bad").count() == 1  # only Part B is missing

    # Upload Part B.
    part_b = Path(tmp_path) / "GREENMOVE Part B.pdf"
    part_b.write_bytes(pdf_bytes(8))
    upload_annex(page, proposal_url, part_b)
    assert "GREENMOVE Part B.pdf, 8 pages" in page.content()

    # The checklist is green; submit from the overview.
    page.click("nav.section-tabs >> text=Overview")
    page.wait_for_url(proposal_url)
    assert page.locator("#checklist.is-ok").count() == 1
    assert page.locator("#checklist li.check-bad").count() == 0
    _shot(page, "ready")
    receipt_number = submit_from_overview(page)
    assert receipt_number.startswith("EG-EUROCLUSTERS-OPEN-0001-v1-")
    _shot(page, "receipt")

    # Download the receipt PDF.
    with page.expect_download() as download_info:
        page.click("text=Download the receipt (PDF)")
    download = download_info.value
    assert download.suggested_filename == f"receipt-{receipt_number}.pdf"
    data = Path(download.path()).read_bytes()
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert receipt_number in text
    assert "GREENMOVE" in text

    # The dashboard says so.
    page.goto(f"{base}/applicant/")
    assert "Submitted v1" in page.content()
    assert receipt_number in page.content()
    _shot(page, "dashboard")


def test_two_tabs_never_overwrite_each_other(page, live_server_url, euroclusters, app, make_user, login) -> None:  # type: ignore[no-untyped-def]
    user = make_user(email="tabs@example.org", organisation="Two Tabs Cluster", country="BE")
    page.goto(f"{live_server_url}/auth/login")
    page.fill("#email", user.email)
    page.fill("#password", "correct-horse-battery")
    page.click("button:has-text('Log in'), input[type=submit]")
    page.wait_for_url(f"{live_server_url}/applicant/")  # the dashboard loads (and is checked) before we move on
    page.goto(f"{live_server_url}/calls/{euroclusters}")
    page.click("text=Start a proposal")
    page.wait_for_url(re.compile(r".*/summary$"))
    summary = page.url
    other = page.new_tab()
    other.goto(summary)
    page.fill("#title", "Title typed in the first tab")
    page.click("button:text-is('Save')")
    page.wait_for_url(summary)
    other.fill("#title", "Title typed in the second tab")
    other.click("button:text-is('Save')")
    other.wait_for_load_state()
    assert "Saved elsewhere since you opened it" in other.content()
    assert other.input_value("#title") == "Title typed in the second tab"
    differs = other.locator("table.compare tr.differs")
    assert differs.count() == 1
    assert "Title typed in the first tab" in differs.inner_text()
    _shot(other, "conflict")
    other.click("button:text-is('Save')")  # deliberately keep the second tab's version
    other.wait_for_url(summary)
    assert other.input_value("#title") == "Title typed in the second tab"
