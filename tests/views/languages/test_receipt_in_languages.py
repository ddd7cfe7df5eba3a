"""The submission receipt, on its page and as a PDF, in the reader's language: the PDF is rendered on demand for
whoever downloads it, so a French or German applicant reads it in French or German (amounts and times written as
the language writes them), with no English left outside what people typed."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.enums import ConsentKind, Role
from app.extensions import db
from app.models import User
from app.privacy.texts import current_text
from app.services.proposals import submit_proposal
from app.web.locale import LANGUAGE_COOKIE
from tests.factories import make_open_call, make_ready_proposal
from tests.i18n_support import english_left
from tests.letter_worlds import pdf_text

# Read back from the PDF, a number's non-breaking spaces (400 000,00 €) are plain ones.
EXPECTED = {
    "fr": ["Accusé de réception de la soumission", "Numéro de l’accusé de réception", "Reçue par le serveur",
           "Partie B", "Intégrité", "400 000,00 € demandés", "36 mois", "Page 1 sur 1"],
    "de": ["Eingangsbestätigung der Einreichung", "Nummer der Eingangsbestätigung", "Vom Server empfangen",
           "Teil B", "Integrität", "beantragt 400.000,00 €", "36 Monate", "Seite 1 von 1"],
}
USER_CONTENT = ["Zeta Vega Orbis", "ZVREADY", "Proposal 1", "Test Organisation", "Partner A", "Partner B",
                "part-b.pdf", "Test User", "Eurogrants", "Open", "Zeta"]


@pytest.fixture
def submitted(app: Flask, make_user: Callable[..., User]) -> tuple[User, int]:
    owner = make_user(Role.APPLICANT)
    with app.app_context():
        call = make_open_call("ZV-OPEN-2", title="Zeta Vega Orbis", programme="Zeta")
        applicant = db.session.merge(owner)
        proposal = make_ready_proposal(call, applicant, acronym="ZVREADY", requested=Decimal("400000.00"))
        proposal.duration_months = 36
        submit_proposal(proposal, actor=applicant,
                        declaration_version=current_text(ConsentKind.SUBMISSION_DECLARATION).version)
        db.session.commit()
        return owner, proposal.id


@pytest.mark.parametrize("language", ["fr", "de"])
def test_the_receipt_pdf_is_in_the_readers_language(app: Flask, submitted: tuple[User, int],
                                                    login: Callable[..., FlaskClient], language: str) -> None:
    owner, proposal_id = submitted
    client = app.test_client()
    login(client, owner)
    client.set_cookie(LANGUAGE_COOKIE, language)
    response = client.get(f"/applicant/proposals/{proposal_id}/submissions/1/receipt.pdf")
    assert response.status_code == 200
    text = " ".join(pdf_text(response.data).replace("\u00a0", " ").replace("\u202f", " ").split())
    for expected in EXPECTED[language]:
        assert expected.casefold() in text.casefold(), expected  # the facts' names are set in capitals
    assert english_left(text, language, user_content=USER_CONTENT) == []


def test_the_receipt_pdf_stays_english_for_english_readers(app: Flask, submitted: tuple[User, int],
                                                           login: Callable[..., FlaskClient]) -> None:
    owner, proposal_id = submitted
    client = app.test_client()
    login(client, owner)
    text = pdf_text(client.get(f"/applicant/proposals/{proposal_id}/submissions/1/receipt.pdf").data)
    assert "Submission receipt" in " ".join(text.split())
