"""Erasing an account in French and German: what goes now, what must wait and until when (the record of processing's
rules and periods said in the reader's language), then the page that confirms it, with no English left; the erasure
register keeps its English wording whoever reads."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from app.extensions import db
from app.models import Erasure
from app.queries.erasure import person_pseudonym
from app.web.locale import LANGUAGE_COOKIE
from tests.conftest import PASSWORD
from tests.i18n_support import english_left

# What people typed or were named in the privacy world (tests/privacy/conftest.py).
CONTENT = ["Baltic Cluster Alliance", "Expert Office", "Dora Solo Consulting", "GREENMOVE", "SOLODRAFT", "DATA-CALL",
           "Alice Applicant", "Eve Evaluator", "Dora Solo", "Test User"]
SAID = {
    "fr": {"until": "jusqu’au ", "rule": "(Proposition non financée)", "done": "Votre compte est effacé"},
    "de": {"until": "bis ", "rule": "(Nicht geförderter Vorschlag)", "done": "Ihr Konto ist gelöscht"},
}


def _page(client: Any, language: str, address: str, data: dict[str, str] | None = None) -> str:
    client.set_cookie(LANGUAGE_COOKIE, language)
    response = client.post(address, data=data) if data is not None else client.get(address)
    assert response.status_code == 200
    return str(response.get_data(as_text=True))


@pytest.mark.parametrize("language", ["fr", "de"])
@pytest.mark.parametrize("who", ["alice", "eve", "dora"])
def test_the_request_is_assessed_in_the_reader_s_language(app, people: SimpleNamespace, as_person, who: str,  # type: ignore[no-untyped-def]
                                                          language: str) -> None:
    page = _page(as_person(getattr(people, who)), language, "/account/erasure")
    with app.app_context():
        pseudonym = person_pseudonym(getattr(people, who))
    assert pseudonym in page
    if who == "alice":
        assert SAID[language]["until"] in page
        assert SAID[language]["rule"] in page
    content = [*CONTENT, pseudonym, people.reference, people.draft_reference]
    assert english_left(page, language, user_content=content) == []


@pytest.mark.parametrize("language", ["fr", "de"])
def test_the_erased_account_s_page_is_in_the_reader_s_language_and_the_register_in_english(  # type: ignore[no-untyped-def]
        app, people: SimpleNamespace, as_person, language: str) -> None:
    page = _page(as_person(people.alice), language, "/account/erasure", {"password": PASSWORD, "confirm": "y"})
    assert SAID[language]["done"] in page
    with app.app_context():
        pseudonym = person_pseudonym(people.alice)
        entry = db.session.query(Erasure).filter_by(subject_id=people.alice).one()
        kept = " ".join(item["what"] for item in entry.summary["waiting"])
    assert english_left(page, language, user_content=[*CONTENT, pseudonym, people.reference]) == []
    assert "where your name or address appears" in kept
