"""The pager of a long list (the proposals list, the ranking) in French and German: the visible words and the ones
only a screen reader reads."""

from __future__ import annotations

import pytest

from app.enums import Role
from app.queries.proposals import PAGE_SIZE
from app.web.locale import LANGUAGE_COOKIE
from tests.i18n_support import english_left
from tests.views.manage.test_proposals_list_pages import _field

SAYS = {"fr": ("<span class=\"visually-hidden\">Page </span>précédente",
               "<span class=\"visually-hidden\">Page </span>suivante"),
        "de": ("Vorherige<span class=\"visually-hidden\"> Seite</span>",
               "Nächste<span class=\"visually-hidden\"> Seite</span>")}


@pytest.mark.parametrize("language", ["fr", "de"])
def test_the_pager_speaks_the_readers_language(app, client_as, language: str) -> None:  # type: ignore[no-untyped-def]
    _field(app, "LIST-PAGED", 2 * PAGE_SIZE + 1)
    officer = client_as(Role.OFFICER)
    officer.set_cookie(LANGUAGE_COOKIE, language)
    middle = officer.get("/manage/calls/LIST-PAGED/proposals?page=2").get_data(as_text=True)
    previous, following = SAYS[language]
    assert previous in middle
    assert following in middle
    assert english_left(middle, language, user_content=["Alliance", "Lukas", "applicant@list-paged.test"]) == []
