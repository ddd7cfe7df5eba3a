"""Every e-mail sent to one person goes out in that person's language (`users.language`), English when none was
chosen: each kind is sent by its own job to a French and to a German reader, and read back from the test mail server
without English left (tests/i18n_support.py) outside what people typed and the links."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app.enums import Role
from app.extensions import db
from app.models import Assignment, Call, EmailChange, User
from app.services.account_admin import send_two_factor_reset_notice_job
from app.services.accounts import send_failed_logins_notice_job
from app.services.evaluator_mail import send_assignment_notices_job, send_reminders
from app.services.passwords import send_password_reset_link_job
from app.services.personal_data import send_email_confirmation_job
from app.services.registration import send_registration_notice_job
from tests.factories import make_evaluation_setup, make_staff
from tests.i18n_support import english_left
from tests.mailbox import Mailbox

pytestmark = pytest.mark.usefixtures("app_ctx")

# Words each e-mail must say in the reader's language (subject and body together).
EXPECTED: dict[str, dict[str, list[str]]] = {
    "assignments": {"fr": ["Propositions à évaluer", "Déclarez d’abord tout conflit d’intérêts", "Vos évaluations"],
                    "de": ["Zu bewertende Vorschläge", "Interessenkonflikte", "Ihre Bewertungen"]},
    "reminder": {"fr": ["Rappel : évaluations attendues pour le", "ne sont pas encore soumis", "janvier 2022"],
                 "de": ["Erinnerung: Bewertungen fällig am", "noch nicht eingereicht", "Januar 2022"]},
    "failed_logins": {"fr": ["Échecs de connexion", "mot de passe erroné 5 fois en 15 minutes"],
                      "de": ["Fehlgeschlagene Anmeldungen", "5-mal in 15 Minuten"]},
    "two_factor_reset": {"fr": ["authentificateur", "codes de récupération"],
                         "de": ["Authentifikator", "Wiederherstellungscodes"]},
    "email_confirmation": {"fr": ["Confirmez votre nouvelle adresse électronique", "pendant 24 heures"],
                           "de": ["Bestätigen Sie Ihre neue E-Mail-Adresse", "24 Stunden lang"]},
    "password_reset": {"fr": ["Choisissez un nouveau mot de passe"], "de": ["Neues Passwort für Eurogrants festlegen"]},
    "registration_notice": {"fr": ["Quelqu’un a tenté de s’inscrire"], "de": ["Jemand hat versucht"]},
}
# People's names, codes, addresses and links: what the e-mails quote as written.
USER_CONTENT = ["Evaluator 1", "Evaluator 2", "Evaluator 3", "Lena Leser", "Call MAIL-CALL", "MAIL-CALL", "ACR1",
                "ACR2", "Eurogrants"]


def _text(mailbox: Mailbox, address: str) -> str:
    (subject, body), = mailbox.to(address)
    # Addresses and links are not words of any language.
    return re.sub(r"\S+@\S+|https?://\S+", " ", f"{subject}\n{body}")


def _check(kind: str, language: str, text: str) -> None:
    for expected in EXPECTED[kind][language]:
        assert expected in text, (expected, text)
    assert english_left(text, language, user_content=USER_CONTENT) == [], text


def _reader(language: str) -> User:
    user = make_staff(Role.APPLICANT, f"reader-{language}@example.test", organisation="Nordlicht GmbH", country="DE",
                      name="Lena Leser")
    user.language = language
    db.session.commit()
    return user


@pytest.mark.parametrize("language", ["fr", "de"])
def test_the_evaluators_emails_are_in_their_language(language: str, mailbox: Mailbox,
                                                     evaluation_clock: list[Any]) -> None:
    world = make_evaluation_setup(code="MAIL-CALL", proposals=2, evaluators=3)
    call = db.session.get(Call, world.call_id)
    assert call is not None
    for evaluator_id in world.evaluator_ids:
        evaluator = db.session.get(User, evaluator_id)
        assert evaluator is not None
        evaluator.language = language
    db.session.commit()
    send_assignment_notices_job({"call_id": call.id, "assignment_ids": list(world.assignments.values())})
    _check("assignments", language, _text(mailbox, world.evaluator_emails[0]))

    mailbox.messages.clear()
    assert call.evaluation_deadline is not None
    evaluation_clock[0] = call.evaluation_deadline - timedelta(days=2)
    assert send_reminders(days=3)["failed"] == 0
    _check("reminder", language, _text(mailbox, world.evaluator_emails[0]))


def test_the_evaluators_emails_stay_english_for_readers_who_chose_no_language(mailbox: Mailbox) -> None:
    world = make_evaluation_setup(code="MAIL-CALL", proposals=1, evaluators=3)
    db.session.commit()
    assignments = list(db.session.scalars(sa.select(Assignment.id)))
    send_assignment_notices_job({"call_id": world.call_id, "assignment_ids": assignments})
    (subject, body), = mailbox.to(world.evaluator_emails[0])
    assert subject == "[MAIL-CALL] Proposals to evaluate"
    assert "You have 1 proposal to evaluate in the call MAIL-CALL" in body


@pytest.mark.parametrize("language", ["fr", "de"])
def test_the_account_emails_are_in_their_owners_language(language: str, mailbox: Mailbox) -> None:
    reader = _reader(language)
    address = reader.email
    assert send_failed_logins_notice_job({"user": reader.id, "failures": 5})["sent"]
    _check("failed_logins", language, _text(mailbox, address))

    mailbox.messages.clear()
    assert send_two_factor_reset_notice_job({"user": reader.id, "at": 1})["sent"]
    _check("two_factor_reset", language, _text(mailbox, address))

    mailbox.messages.clear()
    assert send_password_reset_link_job({"user": reader.id, "at": 1})["sent"]
    _check("password_reset", language, _text(mailbox, address))

    mailbox.messages.clear()
    assert send_registration_notice_job({"user": reader.id, "at": 1})["sent"]
    _check("registration_notice", language, _text(mailbox, address))


@pytest.mark.parametrize("language", ["fr", "de"])
def test_the_new_address_is_confirmed_in_the_owners_language(language: str, mailbox: Mailbox) -> None:
    reader = _reader(language)
    change = EmailChange(user_id=reader.id, new_email=f"new-{language}@example.test",
                         requested_at=reader.created_at, expires_at=reader.created_at + timedelta(days=1))
    db.session.add(change)
    db.session.commit()
    assert send_email_confirmation_job({"change": change.id})["sent"]
    _check("email_confirmation", language, _text(mailbox, f"new-{language}@example.test"))
