"""A French-speaking visitor in a real browser: the switcher (a form, no script needed) turns the pages French, the
call and the registration read in French, a mistake is explained in French, and the account keeps the choice in
another browser. The applicant's own pages after registration are not translated yet (README, Languages)."""

from __future__ import annotations

import re

import pytest

from app.countries import EU_MEMBER_STATES
from app.extensions import db
from tests.factories import make_open_call
from tests.mailbox import mailbox_for

pytestmark = [pytest.mark.browser]


@pytest.fixture
def open_call(app) -> str:  # type: ignore[no-untyped-def]
    with app.app_context():
        make_open_call("EUROCLUSTERS-OPEN", days_left=3, min_partners=3, min_countries=3,
                       eligible_countries=list(EU_MEMBER_STATES), page_limit=10, duration_min_months=24,
                       duration_max_months=36, title="Joint Cluster Initiatives (practice)")
        db.session.commit()
    return "EUROCLUSTERS-OPEN"


def test_a_visitor_chooses_french_registers_in_it_and_the_account_keeps_it(  # type: ignore[no-untyped-def]
        app, page, browser, live_server_url, open_call, monkeypatch) -> None:
    base = live_server_url
    page.goto(f"{base}/calls/{open_call}")
    assert page.get_attribute("html", "lang") == "en"
    page.select_option("#language-choice", "fr")
    page.click("button:has-text('Change language')")
    page.wait_for_url(f"{base}/calls/{open_call}")
    assert page.get_attribute("html", "lang") == "fr"
    text = page.inner_text("main")
    assert "Date limite" in text
    assert "Critères d’attribution" in text
    assert "Au moins 3 partenaires (coordinateur compris) d’au moins 3 pays éligibles différents." in text

    page.click("text=S’inscrire pour soumettre une proposition")
    page.wait_for_url(f"{base}/auth/register")
    page.fill("#full_name", "Léa Coordinatrice")
    page.fill("#email", "lea@cluster.example.org")
    page.fill("#organisation_name", "Cluster Mobilité Lyon")
    page.select_option("#country", "FR")
    page.fill("#password", "court")
    page.fill("#confirm", "court")
    page.click("text=Créer mon compte")
    page.wait_for_selector("[data-error-summary]")
    summary = page.inner_text("[data-error-summary]")
    assert "Il y a 1 problème" in summary
    assert "Utilisez au moins 10 caractères." in summary

    # The confirmation mail goes out in the language chosen before registering, and so does its page.
    with mailbox_for(app, monkeypatch) as mailbox:
        page.fill("#password", "un-mot-de-passe-assez-long")
        page.fill("#confirm", "un-mot-de-passe-assez-long")
        page.click("text=Créer mon compte")
        page.wait_for_selector("text=Presque terminé : nous avons envoyé un lien à lea@cluster.example.org.")
        [(recipients, subject, body)] = mailbox.messages
    assert recipients == ["lea@cluster.example.org"]
    assert subject == "Confirmez votre adresse électronique pour Eurogrants"
    assert "Bonjour Léa Coordinatrice," in body
    page.goto(f"{base}{mailbox.link()}")
    assert page.get_attribute("html", "lang") == "fr"
    page.fill("#password", "un-mot-de-passe-assez-long")
    page.click("text=Confirmer et me connecter")
    page.wait_for_url(f"{base}/applicant/")
    assert "Bienvenue sur Eurogrants. Votre compte est prêt, en tant que membre de Cluster Mobilité Lyon." in (
        page.inner_text(".flashes"))

    # Another browser, which asks for German: once signed in, the account's French wins.
    context = browser.new_context(locale="de-DE")
    try:
        other = context.new_page()
        other.goto(f"{base}/auth/login")
        assert other.get_attribute("html", "lang") == "de"
        other.fill("#email", "lea@cluster.example.org")
        other.fill("#password", "un-mot-de-passe-assez-long")
        other.click("button:has-text('Anmelden'), input[value='Anmelden']")
        other.wait_for_url(re.compile(rf"{re.escape(base)}/applicant/.*"))
        assert other.get_attribute("html", "lang") == "fr"
    finally:
        context.close()
