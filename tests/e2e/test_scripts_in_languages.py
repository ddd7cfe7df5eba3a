"""The pages' scripts in French, in a real browser: a French applicant typing in the proposal editor reads the live
checklist, its announcement and the budget split in French, with amounts written the French way — the words come
from the page (app/web/script_messages.py), none from the scripts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.enums import Role
from app.extensions import db
from app.models import User
from tests.e2e.signing_in import browser_log_in
from tests.factories import make_open_call, make_proposal

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def french_draft(app, make_user) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    applicant = make_user(Role.APPLICANT, organisation="Pôle Lumière", country="FR")
    with app.app_context():
        call = make_open_call("LIVE-FR", days_left=3, min_partners=4, min_countries=3, duration_min_months=24,
                              duration_max_months=36, max_grant_per_proposal=Decimal("1400000.00"))
        creator = db.session.get(User, applicant.id)
        assert creator is not None
        creator.language = "fr"
        proposal = make_proposal(call, creator, acronym="LUMEN", submitted=False,
                                 partners=[("Cluster Rhein-Ruhr", "DE"), ("Pôle Sud", "FR")])
        db.session.commit()
        return applicant.email, proposal.id


def _plain(text: str) -> str:
    """Narrow and ordinary no-break spaces (French thousands and the space before €) read as spaces."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def test_the_live_checklist_and_the_budget_split_speak_french(app, page, live_server_url, french_draft) -> None:  # type: ignore[no-untyped-def]
    email, proposal_id = french_draft
    browser_log_in(page, live_server_url, app, email)
    page.goto(f"{live_server_url}/applicant/proposals/{proposal_id}/summary")
    assert page.get_attribute("html", "lang") == "fr"
    item = page.locator("#checklist li[data-check='duration']")
    field = page.locator("#duration_months")
    field.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("40")
    assert "check-bad" in item.get_attribute("class")
    assert "40 mois : en dehors de la fourchette autorisée." in item.inner_text()
    status = page.locator("#checklist [data-checklist-status]")
    assert status.inner_text() == "Durée de 24 à 36 mois : à corriger. 40 mois : en dehors de la fourchette autorisée."

    page.goto(f"{live_server_url}/applicant/proposals/{proposal_id}/budget")
    cap = page.locator("#checklist li[data-check='grant_cap']")
    page.locator("#requested_grant").fill("1 500 000,00")
    assert "Réduisez la demande de 100 000,00 € pour respecter le plafond." in _plain(cap.inner_text())
    page.locator("#requested_grant").fill("1 400 000,00")
    assert "restent à répartir." in page.locator("[data-split-note]").inner_text()
    assert "EUR" not in page.locator("[data-split-note]").inner_text()
