"""A call's configuration refused in the officer's language: what the call's phase fixes is refused with its reason,
and a whole form of mistakes comes back at each field, in French and in German with no English left."""

from __future__ import annotations

import html
from typing import Any

import pytest
from flask.testing import FlaskClient

from app.enums import Role
from app.extensions import db
from app.seeds.calls import seed_reference_calls
from app.web.locale import LANGUAGE_COOKIE
from tests.i18n_support import english_left
from tests.views.manage.test_call_configuration_pages import _fields

EUROCLUSTERS = "SMP-COSME-2021-CLUSTER-01"
FIXED = {
    "fr": ("Les règles d’éligibilité de l’appel ne peuvent plus changer maintenant que l’appel est clôturé : des "
           "propositions ont été soumises selon ces règles et sont vérifiées selon elles."),
    "de": ("Die Förderfähigkeitsregeln der Aufforderung können nicht mehr geändert werden, da die Aufforderung "
           "geschlossen ist: Vorschläge wurden nach diesen Regeln eingereicht und werden nach ihnen geprüft."),
}


@pytest.fixture
def officer(client_as, app) -> FlaskClient:  # type: ignore[no-untyped-def]
    with app.app_context():
        seed_reference_calls()
        db.session.commit()
    client: FlaskClient = client_as(Role.OFFICER)
    return client


def _user_content(values: dict[str, Any]) -> list[str]:
    """What the officers of the reference call wrote (its texts) and what this test types: user content."""
    typed = [str(v) for value in values.values() for v in (value if isinstance(value, list) else [value]) if v]
    return sorted({part for text in typed for part in [text, *text.splitlines()] if part.strip()}, key=len,
                  reverse=True)


@pytest.mark.parametrize("language", ["fr", "de"])
def test_a_setting_the_phase_fixes_is_refused_with_its_reason_in_the_officer_s_language(
        officer: FlaskClient, language: str) -> None:
    officer.set_cookie(LANGUAGE_COOKIE, language)
    values = _fields(officer.get(f"/manage/calls/{EUROCLUSTERS}/configure").get_data(as_text=True))
    values.update(page_limit="12", country_conflict="y")
    refused = officer.post(f"/manage/calls/{EUROCLUSTERS}/configure", data=values)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert FIXED[language] in html.unescape(page)
    assert english_left(page, language, user_content=_user_content(values)) == []


# An amount the form cannot read (it stops there), then mistakes the service finds, each at its field.
MISTAKES = [
    ({"budget": "1.200"}, {"fr": "peut se lire de deux façons", "de": "lässt sich auf zwei Arten lesen"}),
    ({"criteria-1-weight": "0", "criteria-2-threshold": "7", "tie_break": "relevance, novelty",
      "eligible_countries": "BE XX"},
     {"fr": "Une pondération est positive (supérieure à 0).", "de": "Eine Gewichtung ist positiv (größer als 0)."}),
]


@pytest.mark.parametrize("language", ["fr", "de"])
@pytest.mark.parametrize(("mistakes", "said"), MISTAKES)
def test_a_form_of_mistakes_is_refused_at_each_field_with_no_english_left(
        officer: FlaskClient, language: str, mistakes: dict[str, str], said: dict[str, str]) -> None:
    officer.set_cookie(LANGUAGE_COOKIE, language)
    values = _fields(officer.get(f"/manage/calls/new?copy_of={EUROCLUSTERS}").get_data(as_text=True))
    values.update({"code": "SMP-COSME-2027-CLUSTER-01", "opens_at": "2031-01-10T00:00:00",
                   "deadline": "2031-03-10T17:00:00", **mistakes})
    refused = officer.post(f"/manage/calls/new?copy_of={EUROCLUSTERS}", data=values)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert said[language] in html.unescape(page)
    assert english_left(page, language, user_content=_user_content(values)) == []
