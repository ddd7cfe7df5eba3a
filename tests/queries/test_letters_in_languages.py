"""Letters in the coordinator's language: each kind (award, reserve list, rejection below threshold and not funded,
ineligibility, and the event calls' acceptance and non-acceptance) rendered to PDF in French and German and read
back: the decision's words, the amounts and the dates as the language writes them, and no English left outside
what people typed (the call's and the proposal's texts, the experts' comments, the officer's reasons)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import current_app

from app.enums import Role
from app.extensions import db
from app.models import OutboxMessage, Proposal, User
from tests.i18n_support import english_left
from tests.letter_worlds import decided_event_calls, generate, letter_of

# Read back from the PDF, a number's non-breaking spaces (1 010 000,00 €) are plain ones.
NBSP = NNBSP = " "

# What people typed or configured, quoted as written.
USER_CONTENT = ["Call SMP-COSME-2021-CLUSTER-01", "Test programme", "Relevance", "Quality", "Impact", "Diversity",
                "Baltic Cluster Alliance", "Fewer than 3 partners from 3 different eligible countries.",
                "The coordinator is not a cluster organisation.", "EU Industry Days 2022: stakeholder sessions",
                "EU Industry Week 2022: local events", "EU Industry Days 2022", "EU Industry Days", "Lithuania"]

EXPECTED: dict[str, dict[str, list[str]]] = {
    "fr": {
        "selected": ["retenue pour financement", "Retenue pour financement", "Contribution maximale de l’UE",
                     f"1{NNBSP}010{NNBSP}000,00{NBSP}€", "29 mars 2022", "15 juin 2022", "convention de subvention",
                     "Voies de recours", "demande de réexamen de l’évaluation", "Rapport de synthèse de l’évaluation"],
        "reserve": ["liste de réserve", "Liste de réserve", "Position sur la liste de réserve", "Objet :"],
        "not_funded": ["ne peut pas être financée", "Non retenue", "Au-dessus des seuils, non financée"],
        "below_threshold": ["Sous le seuil", "critère d’attribution", "sous le seuil"],
        "ineligible": ["inéligible", "Les règles qui n’ont pas été respectées",
                       "vérification de l’éligibilité"],
    },
    "de": {
        "selected": ["zur Förderung ausgewählt", "Zur Förderung ausgewählt", "EU-Höchstbeitrag",
                     f"1.010.000,00{NBSP}€", "29. März 2022", "15. Juni 2022", "Finanzhilfevereinbarung",
                     "Rechtsbehelfe", "Antrag auf Überprüfung der Bewertung", "Bewertungszusammenfassung"],
        "reserve": ["Reserveliste", "Platz auf der Reserveliste", "Betreff:"],
        "not_funded": ["nicht gefördert werden kann", "Nicht ausgewählt", "Über den Schwellenwerten, nicht gefördert"],
        "below_threshold": ["Unter dem Schwellenwert", "Vergabekriteriums", "unter dem Schwellenwert"],
        "ineligible": ["nicht förderfähig", "Die nicht erfüllten Regeln",
                       "Prüfung der Förderfähigkeit"],
    },
}


def _speaks(user: User, language: str) -> None:
    stored = db.session.get(User, user.id)
    assert stored is not None
    stored.language = language
    db.session.commit()


def _text(proposal: Proposal) -> str:
    return letter_of(proposal)[1]


def _typed(proposal: Proposal) -> list[str]:
    """What the letter quotes as written: the user content above, the proposal's, and the instance's settings (the
    issuer and the signatory are configured, in the instance's language)."""
    config = current_app.config
    return [*USER_CONTENT, proposal.title, proposal.acronym, str(config.get("LETTER_ISSUER", "")),
            str(config.get("LETTER_SIGNATORY", ""))]


@pytest.mark.parametrize("language", ["fr", "de"])
def test_grant_letters_of_each_kind_are_written_in_the_coordinators_language(
    scenario: dict[str, Any], officer: User, language: str,
) -> None:
    proposals = scenario["proposals"]
    _speaks(proposals["selected"].created_by, language)
    generate(scenario["run"], officer)
    for status, phrases in EXPECTED[language].items():
        text = _text(proposals[status])
        for phrase in phrases:
            assert phrase in text, (status, phrase, text[:3000])
        assert english_left(text, language, user_content=_typed(proposals[status])) == [], status


@pytest.mark.parametrize(("language", "subject", "greeting"), [
    ("fr", "Lettre d’attribution concernant votre proposition", "Madame, Monsieur,"),
    ("de", "Zuschlagsschreiben zu Ihrem Vorschlag", "Sehr geehrte Damen und Herren,"),
])
def test_the_letters_e_mail_is_written_in_the_coordinators_language(
    scenario: dict[str, Any], officer: User, language: str, subject: str, greeting: str,
) -> None:
    selected = scenario["proposals"]["selected"]
    _speaks(selected.created_by, language)
    generate(scenario["run"], officer)
    letter, _ = letter_of(selected)
    message = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.letter_id == letter.id))
    assert message is not None
    assert subject in message.subject
    assert message.body.startswith(greeting)
    assert letter.verification_code in message.body
    assert english_left(message.body + " " + message.subject, language, user_content=_typed(selected)) == []


@pytest.mark.parametrize(("language", "accepted_words", "refused_words"), [
    ("fr", ["a été acceptée pour", "Acceptée", "Aucun financement de l’UE"],
     ["n’a pas été acceptée", "Non acceptée", "transférer votre proposition vers"]),
    ("de", ["angenommen wurde", "Angenommen", "keine EU-Finanzierung"],
     ["nicht angenommen wurde", "Nicht angenommen", "in EU Industry Week 2022: local events (EUID-2022-LOCAL"]),
])
def test_event_letters_are_written_in_the_coordinators_language(
    app_ctx: None, make_user: Callable[..., User], officer: User, language: str, accepted_words: list[str],
    refused_words: list[str],
) -> None:
    applicant = db.session.merge(make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT"))
    applicant.language = language
    accepted, refused = decided_event_calls(applicant, officer, ("Relevance", "Quality", "Diversity"))
    for proposal, words in ((accepted, accepted_words), (refused, refused_words)):
        text = _text(proposal)
        for phrase in words:
            assert phrase in text, (phrase, text[:3000])
        assert english_left(text, language, user_content=_typed(proposal)) == []


def test_a_coordinator_who_chose_no_language_gets_english(scenario: dict[str, Any], officer: User) -> None:
    generate(scenario["run"], officer)
    text = _text(scenario["proposals"]["selected"])
    assert "has been selected for funding" in text
    assert "Maximum EU contribution €1,010,000.00" in text


# The letter closing an upheld evaluation review (redress reply, upheld): the request upheld, the new score and the
# outcome (here funded from the budget left, with the amount).
CLOSING: dict[str, list[str]] = {
    "fr": ["réexamen de l’évaluation", "votre demande est accueillie", "Résultat de la réévaluation",
           "12 / 15", "retenue pour financement sur le budget restant", f"1{NNBSP}000{NNBSP}000,00{NBSP}€",
           "Autres voies de recours"],
    "de": ["Überprüfung der Bewertung", "Ihrem Antrag wird stattgegeben", "Ergebnis der Neubewertung", "12 / 15",
           "aus dem verbleibenden Budget zur Förderung ausgewählt", f"1.000.000,00{NBSP}€", "Weitere Rechtsbehelfe"],
}


@pytest.mark.parametrize("language", ["fr", "de"])
def test_the_letter_closing_an_upheld_review_is_written_in_the_coordinators_language(app_ctx: None,
                                                                                     language: str) -> None:
    from app.letter_files import letter_pdf
    from tests.letter_worlds import flat, pdf_text
    from tests.redress_worlds import ASSESSMENT, close_upheld_review, make_redress_world

    world = make_redress_world()
    applicant = db.session.get(User, world.world.applicant_id)
    assert applicant is not None
    applicant.language = language
    request = close_upheld_review(world)
    db.session.commit()
    assert request.reply_letter is not None
    text = flat(pdf_text(letter_pdf(request.reply_letter)))
    for phrase in CLOSING[language]:
        assert phrase in text, (phrase, text[:3000])
    proposal = request.proposal
    typed = [*_typed(proposal), proposal.call.title, proposal.call.programme, ASSESSMENT]
    assert english_left(text, language, user_content=typed) == []


# The reply to a rejected evaluation review request: the request's grounds, the committee's reasons and the decision
# standing, in the coordinator's language.
REJECTED_REPLY: dict[str, list[str]] = {
    "fr": ["Votre demande de réexamen de l’évaluation", "au motif suivant", "L’appréciation du comité",
           "votre demande est rejetée et la décision est maintenue", "Autres voies de recours", "Objet :"],
    "de": ["Ihr Antrag auf Überprüfung der Bewertung", "mit folgender Begründung", "Die Beurteilung des Ausschusses",
           "Ihr Antrag wird abgelehnt, und die Entscheidung bleibt bestehen", "Weitere Rechtsbehelfe", "Betreff:"],
}


@pytest.mark.parametrize("language", ["fr", "de"])
def test_the_reply_to_a_rejected_review_is_written_in_the_coordinators_language(app_ctx: None,
                                                                                language: str) -> None:
    from app.letter_files import letter_pdf
    from app.models import RedressRequest
    from app.services.redress import reject_redress_request
    from tests.evaluation_support import user
    from tests.letter_worlds import flat, pdf_text
    from tests.redress_worlds import ASSESSMENT, make_redress_world

    world = make_redress_world()
    applicant = db.session.get(User, world.world.applicant_id)
    assert applicant is not None
    applicant.language = language
    request = db.session.get(RedressRequest, world.request_id)
    assert request is not None
    reject_redress_request(request, actor=user(world.outsider_id), assessment=ASSESSMENT)
    db.session.commit()
    assert request.reply_letter is not None
    text = flat(pdf_text(letter_pdf(request.reply_letter)))
    for phrase in REJECTED_REPLY[language]:
        assert phrase in text, (phrase, text[:3000])
    proposal = request.proposal
    typed = [*_typed(proposal), proposal.call.title, proposal.call.programme, ASSESSMENT]
    assert english_left(text, language, user_content=typed) == []
