"""Decision letters read: which proposals a run writes to (a promotion only to those it changes), codes typed as
people type them, and a letter found by its verification code."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app.enums import LetterKind
from app.extensions import db
from app.models import Letter
from app.queries.letters import find_letter_by_code, normalise_code
from tests.factories import make_finalised_run
from tests.letter_worlds import generate, letter_of


def test_a_promotion_run_writes_only_to_the_proposals_it_changes(scenario, officer) -> None:
    proposals = scenario["proposals"]
    generate(scenario["run"], officer)
    promotion = make_finalised_run(scenario["call"], [
        (proposals["reserve"], "selected"), (proposals["not_funded"], "not_funded"),
        (proposals["below_threshold"], "below_threshold"),
    ], parent=scenario["run"])
    # The consortium that declined, as the promotion service writes it: it gets no letter.
    document = json.loads(promotion.output_json)
    document["proposals"].append({"id": proposals["selected"].reference, "status": "declined", "rank": 1,
                                  "total": "12.50", "reason": "rank 1; selected in run 1, then declined the grant"})
    promotion.output_json = json.dumps(document)
    inputs = json.loads(promotion.input_json)
    inputs["proposals"].append({"id": proposals["selected"].reference, "requested": "1000000.00", "eligible": True,
                                "scores": {"relevance": "4.5", "quality": "4", "impact": "4"}})
    promotion.input_json = json.dumps(inputs)
    db.session.commit()
    batch = generate(promotion, officer)
    assert (batch.total, batch.done) == (1, 1)
    letter = db.session.scalar(sa.select(Letter).where(Letter.run_id == promotion.id))
    assert (letter.proposal_id, letter.kind, letter.reference) == (
        proposals["reserve"].id, LetterKind.AWARD, f"{proposals['reserve'].reference}-L2")


@pytest.mark.parametrize(("typed", "expected"), [
    ("abcde-fgh23", "ABCDE-FGH23"), (" ABCDEFGH23 ", "ABCDE-FGH23"), ("abcde fgh23", "ABCDE-FGH23"),
    ("ABCDE-FGH2", None), ("", None), ("ABCDE-FGH234", None),
])
def test_typed_codes_are_normalised(typed, expected) -> None:
    assert normalise_code(typed) == expected


def test_verification_code_is_short_stable_and_found(scenario, officer) -> None:
    generate(scenario["run"], officer)
    letter, _ = letter_of(scenario["proposals"]["selected"])
    assert len(letter.verification_code) == 11
    assert letter.verification_code[5] == "-"
    assert find_letter_by_code(letter.verification_code.lower().replace("-", " ")) == letter
    assert find_letter_by_code("AAAAA-AAAAA") is None

