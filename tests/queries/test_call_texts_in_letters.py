"""A letter and its e-mail name the call as the call gives itself in the coordinator's language: its French or
German title and criteria when an officer gave them, the English otherwise."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Call, OutboxMessage, User
from tests.letter_worlds import generate, letter_of

# As the officer's service stores them (tests/services/test_call_texts.py), given before the call was decided: a
# decided call's texts are fixed.
TEXTS = {
    "fr": {"title": "Appel Euroclusters de test",
           "criteria": {"relevance": {"name": "Pertinence"}, "impact": {"name": "Incidence"}}},
    "de": {"title": "Euroclusters-Testaufforderung", "criteria": {"relevance": {"name": "Relevanz"}}},
}


def _give_texts(call: Call) -> None:
    call.texts = TEXTS
    db.session.commit()


def _coordinator_speaks(proposal: Any, language: str) -> None:
    coordinator = db.session.get(User, proposal.created_by.id)
    assert coordinator is not None
    coordinator.language = language
    db.session.commit()


@pytest.mark.parametrize(("language", "criterion"), [("fr", "Pertinence"), ("de", "Relevanz")])
def test_a_letter_carries_the_calls_title_and_criteria_in_the_coordinators_language(
    scenario: dict[str, Any], officer: User, language: str, criterion: str,
) -> None:
    _give_texts(scenario["run"].call)
    selected = scenario["proposals"]["selected"]
    _coordinator_speaks(selected, language)
    generate(scenario["run"], officer)
    letter, text = letter_of(selected)
    assert TEXTS[language]["title"] in text
    assert "Call SMP-COSME-2021-CLUSTER-01" not in text
    # The Evaluation Summary's rows: the criterion named in the language; none given for quality: the English.
    assert f"{criterion} : 4,5 / 5" in text or f"{criterion}: 4,5 / 5" in text
    assert "Quality" in text
    assert "Relevance" not in text
    message = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.letter_id == letter.id))
    assert message is not None
    assert TEXTS[language]["title"] in message.body


def test_a_coordinator_in_english_gets_the_english_title(scenario: dict[str, Any], officer: User) -> None:
    _give_texts(scenario["run"].call)
    generate(scenario["run"], officer)
    _, text = letter_of(scenario["proposals"]["selected"])
    assert "Call SMP-COSME-2021-CLUSTER-01" in text
    assert "Appel Euroclusters de test" not in text
