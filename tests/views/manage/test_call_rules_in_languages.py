"""The configuration page's preview of a call's rules in the reader's language: English shows the scoring core's own
words; French and German say the same rules again, sentence for sentence, with amounts written their way."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from app.enums import Role
from app.extensions import db
from app.manage.call_rules import rules_in_words
from app.queries.calls import get_call
from app.queries.selection import describe_call_rules
from app.seeds.calls import seed_reference_calls
from app.translation import in_language
from app.web.locale import LANGUAGE_COOKIE

EUROCLUSTERS = "SMP-COSME-2021-CLUSTER-01"


@pytest.fixture
def calls(app: Flask) -> None:
    with app.app_context():
        seed_reference_calls()
        db.session.commit()


@pytest.mark.usefixtures("calls")
@pytest.mark.parametrize("code", [EUROCLUSTERS, "EUID-2022-SESSIONS", "EUROCLUSTERS-2022-MISSION-KR"])
def test_english_is_the_core_s_own_words_and_other_languages_say_as_many_rules(app: Flask, code: str) -> None:
    with app.test_request_context():
        call = get_call(code)
        assert call is not None
        english = describe_call_rules(call)
        assert rules_in_words(call, "en") == english
        for language in ("fr", "de"):
            with in_language(language):
                said = rules_in_words(call, language)
            assert len(said) == len(english)
            assert not set(said) & set(english)


@pytest.mark.usefixtures("calls")
@pytest.mark.parametrize(("language", "budget"), [("fr", "42 000 000,00 €"), ("de", "42.000.000,00 €")])
def test_the_preview_on_the_page_writes_the_budget_the_reader_s_way(client_as, language: str, budget: str) -> None:  # type: ignore[no-untyped-def]
    officer = client_as(Role.OFFICER)
    officer.set_cookie(LANGUAGE_COOKIE, language)
    page = officer.get(f"/manage/calls/{EUROCLUSTERS}/configure").get_data(as_text=True)
    preview = page[page.index('id="rules-preview"'):page.index("</section>", page.index('id="rules-preview"'))]
    assert budget in re.sub(r"[\u00a0\u202f]", " ", preview)
