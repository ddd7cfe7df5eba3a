"""Issue 15, item 3: the proposal editor's checklist is live. While the applicant types, the rules the page holds the
data for are checked again with the call's own limits (rendered by the server into the checklist), the checklist
item turns red or green and says so politely, and the field itself is flagged — before anything is saved; the
server stays the authority on saving."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.enums import Role
from app.extensions import db
from app.models import Proposal, User
from tests.e2e.signing_in import browser_log_in
from tests.factories import make_open_call, make_proposal

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def draft(app, make_user) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    applicant = make_user(Role.APPLICANT, organisation="Vilnius Mobility Cluster", country="LT")
    with app.app_context():
        call = make_open_call("LIVE-CHECK", days_left=3, min_partners=4, min_countries=3, duration_min_months=24,
                              duration_max_months=36, max_grant_per_proposal=Decimal("1400000.00"))
        creator = db.session.get(User, applicant.id)
        proposal = make_proposal(call, creator, acronym="LIVE", submitted=False,
                                 partners=[("Cluster Rhein-Ruhr", "DE"), ("Pôle Sud", "FR")])
        db.session.commit()
        return applicant.email, proposal.id


def test_a_too_long_duration_is_flagged_while_typing_before_saving(app, page, live_server_url, draft) -> None:  # type: ignore[no-untyped-def]
    email, proposal_id = draft
    browser_log_in(page, live_server_url, app, email)
    page.goto(f"{live_server_url}/applicant/proposals/{proposal_id}/summary")
    item = page.locator("#checklist li[data-check='duration']")
    assert item.get_attribute("data-min") == "24"  # the server's limits, not the script's
    assert item.get_attribute("data-max") == "36"
    assert "check-ok" in item.get_attribute("class")
    field = page.locator("#duration_months")
    assert field.get_attribute("aria-invalid") is None

    field.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("40")
    assert "check-bad" in item.get_attribute("class")
    assert "40 months is outside the allowed range." in item.inner_text()
    assert field.get_attribute("aria-invalid") == "true"
    assert "duration_months-error" in field.get_attribute("aria-describedby").split()
    assert page.locator("#duration_months-error").inner_text() == "40 months is outside the allowed range."
    status = page.locator("#checklist [data-checklist-status]")
    assert status.get_attribute("role") == "status"
    assert status.inner_text() == "Duration 24–36 months: to fix. 40 months is outside the allowed range."
    assert "can be submitted" not in page.locator("#checklist").inner_text()
    with app.app_context():
        assert db.session.get(Proposal, proposal_id).duration_months == 36  # nothing was saved: all in the page

    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    page.keyboard.type("30")
    assert "check-ok" in item.get_attribute("class")
    assert field.get_attribute("aria-invalid") is None
    assert status.inner_text() == "Duration 24–36 months: passed"

    # Emptying a mandatory field flags it too; saving leaves the last word to the server.
    page.locator("#title").fill("")
    mandatory = page.locator("#checklist li[data-check='mandatory_fields']")
    assert "Fill in: title." in mandatory.inner_text()
    assert page.locator("#title").get_attribute("aria-invalid") == "true"
    page.locator("#duration_months").fill("40")
    page.click("form.section-form button[type=submit], form.section-form input[type=submit][value='Save']")
    page.locator(".flash-success:has-text('Summary saved.')").wait_for()  # the answer's page, not the old one
    saved = page.locator("#checklist li[data-check='duration']")
    assert "40 months is outside the allowed range." in saved.inner_text()
    with app.app_context():
        assert db.session.scalar(sa.select(Proposal.duration_months).where(Proposal.id == proposal_id)) == 40


def test_partners_and_countries_are_counted_while_typing(app, page, live_server_url, draft) -> None:  # type: ignore[no-untyped-def]
    email, proposal_id = draft
    browser_log_in(page, live_server_url, app, email)
    page.goto(f"{live_server_url}/applicant/proposals/{proposal_id}/consortium")
    partners = page.locator("#checklist li[data-check='min_partners']")
    assert "Add 1 more partner (you have 3)." in partners.inner_text()
    count = page.locator("#checklist .checklist-count").inner_text()
    blank = page.locator("tr.partner-row").last
    blank.locator("[name$='-name']").fill("Tallinn Digital Cluster")
    assert "check-ok" in partners.get_attribute("class")
    countries = page.locator("#checklist li[data-check='min_countries']")
    assert "check-ok" in countries.get_attribute("class")  # LT, DE, FR already
    blank.locator("[name$='-remove']").check()
    assert "Add 1 more partner (you have 3)." in partners.inner_text()
    assert page.locator("#checklist .checklist-count").inner_text() == count


def test_a_request_above_the_cap_typed_the_european_way_is_flagged_while_typing(app, page, live_server_url,  # type: ignore[no-untyped-def]
                                                                               draft) -> None:
    email, proposal_id = draft
    browser_log_in(page, live_server_url, app, email)
    page.goto(f"{live_server_url}/applicant/proposals/{proposal_id}/budget")
    cap = page.locator("#checklist li[data-check='grant_cap']")
    assert cap.get_attribute("data-max") == "1400000.00"
    assert "check-ok" in cap.get_attribute("class")
    page.locator("#requested_grant").fill("1 500 000,00")
    assert "Reduce the request by €100,000.00 to the cap." in cap.inner_text()
    assert page.locator("#requested_grant").get_attribute("aria-invalid") == "true"
    page.locator("#requested_grant").fill("1.400.000,00")
    assert "check-ok" in cap.get_attribute("class")
    assert page.locator("#requested_grant").get_attribute("aria-invalid") is None
    # The split's note reads the request as the server does (it refused "1.400.000,00" as not an amount).
    assert page.locator("[data-split-note]").inner_text() == "€400,000.00 still to allocate."


@pytest.fixture
def typed_draft(app, make_user) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    """A draft of a call that admits cluster and business support organisations only."""
    applicant = make_user(Role.APPLICANT, organisation="Vilnius Mobility Cluster", country="LT")
    with app.app_context():
        call = make_open_call("LIVE-TYPES", days_left=3,
                              organisation_types=["cluster_organisation", "business_support_organisation"])
        proposal = make_proposal(call, db.session.get(User, applicant.id), acronym="TYPES", submitted=False,
                                 partners=[("Cluster Rhein-Ruhr", "DE"), ("Pôle Sud", "FR")])
        db.session.commit()
        return applicant.email, proposal.id


def test_a_partner_of_a_type_the_call_does_not_admit_is_flagged_while_choosing_it(app, page, live_server_url,  # type: ignore[no-untyped-def]
                                                                                 typed_draft) -> None:
    email, proposal_id = typed_draft
    browser_log_in(page, live_server_url, app, email)
    page.goto(f"{live_server_url}/applicant/proposals/{proposal_id}/consortium")
    item = page.locator("#checklist li[data-check='organisation_types']")
    # The server renders the allowed types and names them in the rule.
    assert item.get_attribute("data-allowed") == "cluster_organisation business_support_organisation"
    assert "is of an eligible type: Cluster organisation, Business support organisation" in item.inner_text()
    assert "check-ok" in item.get_attribute("class")
    page.select_option("#partners-1-organisation_type", "large_company")
    assert "check-bad" in item.get_attribute("class")
    assert "Pôle Sud is registered as “Large company”, which is not eligible." in item.inner_text()
    page.select_option("#partners-1-organisation_type", "business_support_organisation")
    assert "check-ok" in item.get_attribute("class")
    # Saving a wrong type leaves the last word to the server, in the same words.
    page.select_option("#partners-0-organisation_type", "sme")
    page.click("form.section-form button[type=submit], form.section-form input[type=submit][value='Save']")
    page.locator(".flash-success").wait_for()
    saved = page.locator("#checklist li[data-check='organisation_types']")
    assert "Cluster Rhein-Ruhr is registered as “SME”, which is not eligible." in saved.inner_text()
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        assert [p.organisation_type.value for p in proposal.partners][1] == "sme"  # type: ignore[union-attr]
