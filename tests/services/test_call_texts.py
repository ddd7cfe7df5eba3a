"""A call's own texts in French and German: what a reader sees (their language's text, else the English), and the
officer's service that gives them (checks, audit, the life cycle, a copy of the call)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from app.call_inputs import CallSettings
from app.enums import Role
from app.extensions import db
from app.models import AuditEvent, Call, User
from app.models.limits import MAX_CALL_TITLE, MAX_CRITERION_NAME
from app.services.call_settings import create_call
from app.services.call_texts import LanguageTexts, given_texts, update_call_texts
from app.services.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from tests.factories import make_call, make_letter_scenario, make_open_call

FRENCH = LanguageTexts(title="Appel de test", description="Un appel pour les tests.",
                       criteria={"relevance": {"name": "Pertinence", "description": "Adéquation aux objectifs."}})


@pytest.fixture
def officer(app_ctx: None, make_user: Callable[..., User]) -> User:
    return db.session.merge(make_user(Role.OFFICER))


@pytest.fixture
def call(app_ctx: None) -> Call:
    call = make_open_call("TEXTS-1")
    db.session.commit()
    return call


def _criterion(call: Call, key: str) -> Any:
    return next(c for c in call.criteria if c.key == key)


def test_a_reader_sees_the_english_where_no_text_was_given_in_their_language(call: Call) -> None:
    assert call.text("title", "fr") == "Call TEXTS-1"
    assert call.text("description", "de") == "A call for tests."
    assert _criterion(call, "relevance").text("name", "fr") == "Relevance"


def test_a_text_given_in_french_is_seen_in_french_and_a_german_reader_sees_german(call: Call,
                                                                                  officer: User) -> None:
    german = LanguageTexts(title="Testaufforderung", criteria={"impact": {"name": "Wirkung"}})
    assert update_call_texts(call, {"fr": FRENCH, "de": german}, actor=officer) == ["fr", "de"]
    db.session.commit()
    assert (call.text("title", "fr"), call.text("title", "de"), call.text("title", "en")) == (
        "Appel de test", "Testaufforderung", "Call TEXTS-1")
    # German gave no description, and no name for relevance: the English is shown there.
    assert call.text("description", "de") == "A call for tests."
    assert _criterion(call, "relevance").text("name", "fr") == "Pertinence"
    assert _criterion(call, "relevance").text("description", "fr") == "Adéquation aux objectifs."
    assert _criterion(call, "relevance").text("name", "de") == "Relevance"
    assert _criterion(call, "impact").text("name", "de") == "Wirkung"


def test_emptying_a_text_brings_the_english_back_and_is_audited_before_and_after(call: Call,
                                                                                 officer: User) -> None:
    update_call_texts(call, {"fr": FRENCH}, actor=officer)
    db.session.commit()
    assert update_call_texts(call, {"fr": LanguageTexts(title="  ", description="Un appel pour les tests.")},
                             actor=officer) == ["fr"]
    db.session.commit()
    assert call.text("title", "fr") == "Call TEXTS-1"
    assert _criterion(call, "relevance").text("name", "fr") == "Relevance"
    assert given_texts(call, "fr").title == ""
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "call.texts_changed")
                                .order_by(AuditEvent.id)).all()
    assert len(events) == 2
    assert events[1].actor_id == officer.id
    assert events[1].data["changes"]["fr"]["from"]["title"] == "Appel de test"
    assert "title" not in events[1].data["changes"]["fr"]["to"]
    assert events[1].data["changes"]["fr"]["to"]["description"] == "Un appel pour les tests."


def test_saving_the_same_texts_again_changes_nothing_and_audits_nothing(call: Call, officer: User) -> None:
    update_call_texts(call, {"fr": FRENCH}, actor=officer)
    db.session.commit()
    assert update_call_texts(call, {"fr": FRENCH, "de": LanguageTexts()}, actor=officer) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "call.texts_changed")) == 1


@pytest.mark.parametrize(("texts", "field"), [
    (LanguageTexts(title="x" * (MAX_CALL_TITLE + 1)), "fr.title"),
    (LanguageTexts(criteria={"relevance": {"name": "x" * (MAX_CRITERION_NAME + 1)}}), "fr.criteria.relevance.name"),
    (LanguageTexts(criteria={"nosuch": {"name": "Nom"}}), "fr.criteria.nosuch"),
])
def test_a_text_too_long_or_for_no_criterion_is_refused_at_its_field(call: Call, officer: User,
                                                                     texts: LanguageTexts, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        update_call_texts(call, {"fr": texts}, actor=officer)
    assert refused.value.details["field"] == field
    assert call.texts == {}


def test_a_text_as_long_as_the_english_column_allows_is_kept(call: Call, officer: User) -> None:
    update_call_texts(call, {"fr": LanguageTexts(title="é" * MAX_CALL_TITLE)}, actor=officer)
    assert call.text("title", "fr") == "é" * MAX_CALL_TITLE


def test_only_officers_give_texts_and_only_in_french_and_german(call: Call, make_user: Callable[..., User],
                                                                officer: User) -> None:
    applicant = db.session.merge(make_user(Role.APPLICANT))
    with pytest.raises(NotAllowed):
        update_call_texts(call, {"fr": FRENCH}, actor=applicant)
    for language in ("en", "it"):
        with pytest.raises(NotFound):
            update_call_texts(call, {language: FRENCH}, actor=officer)


def test_a_decided_call_keeps_its_texts(officer: User, make_user: Callable[..., User]) -> None:
    scenario = make_letter_scenario(db.session.merge(make_user(Role.APPLICANT)))
    db.session.commit()
    decided: Call = scenario["run"].call
    with pytest.raises(InvalidTransition):
        update_call_texts(decided, {"fr": FRENCH}, actor=officer)


def test_a_copy_of_a_call_keeps_its_texts(call: Call, officer: User) -> None:
    update_call_texts(call, {"fr": FRENCH}, actor=officer)
    db.session.commit()
    copy = create_call(CallSettings.parse({"code": "TEXTS-2", "opens_at": datetime(2031, 1, 1, tzinfo=UTC),
                                           "deadline": datetime(2031, 3, 1, 16, tzinfo=UTC)}),
                       actor=officer, copy_of=call)
    db.session.commit()
    assert copy.text("title", "fr") == "Appel de test"
    assert _criterion(copy, "relevance").text("name", "fr") == "Pertinence"


def test_make_call_needs_no_texts(app_ctx: None) -> None:
    assert make_call("TEXTS-3").texts == {}


def test_a_title_is_kept_on_one_line_and_a_description_keeps_its_paragraphs(call: Call, officer: User) -> None:
    update_call_texts(call, {"de": LanguageTexts(title="  Test\n aufforderung ", description="\nErster.\n\nZweiter.\n",
                                                criteria={"impact": {"name": "Wir\nkung"}})}, actor=officer)
    assert call.text("title", "de") == "Test aufforderung"
    assert call.text("description", "de") == "Erster.\n\nZweiter."
    assert _criterion(call, "impact").text("name", "de") == "Wir kung"
