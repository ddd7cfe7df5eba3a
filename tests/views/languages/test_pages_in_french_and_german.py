"""Every page covered so far, for each role that sees it, rendered in French and in German without an error and
without English left (tests/i18n_support.py: the catalogues' English messages and English function words), user
content aside. The integrator extends COVERED_PAGES as more pages are translated.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.enums import ConsentKind, Role
from app.extensions import db
from app.models import Call, Letter, LetterBatch, OutboxMessage, User
from app.privacy.texts import current_text
from app.services import accounts as account_service
from app.services import letters as letter_service
from app.services import proposals as proposal_service
from app.web.locale import LANGUAGE_COOKIE
from tests.factories import (
    make_evaluation_setup,
    make_letter_scenario,
    make_open_call,
    make_proposal,
    make_ready_proposal,
)
from tests.i18n_support import english_left

# What people typed, which stays as written: the test call's texts are not English words on purpose.
CALL = {"title": "Zeta Vega Orbis", "programme": "Zeta", "description": "Lorem ipsum dolor.",
        "strands": ["Alpha", "Beta"], "strand_label": "Strand"}
CRITERIA = [{"key": "relevance", "name": "Kappa"}, {"key": "quality", "name": "Lambda"},
            {"key": "impact", "name": "Sigma"}]
USER_CONTENT = ["Zeta Vega Orbis", "Lorem ipsum dolor.", "Call SMP-COSME-2021-CLUSTER-01", "Test programme",
                "Relevance", "Quality", "Impact", "Test User", "Eurogrants"]

# (who, address, status): {call}, {code} are filled in from the world below.
COVERED_PAGES: list[tuple[str, str, int]] = [
    ("anonymous", "/", 200),
    ("anonymous", "/calls/{call}", 200),
    ("applicant", "/calls/{call}", 200),
    ("anonymous", "/verify", 200),
    ("anonymous", "/verify/{code}", 200),
    ("anonymous", "/verify/NOSUCH-CODE1", 404),
    ("anonymous", "/auth/login", 200),
    ("anonymous", "/auth/register", 200),
    ("anonymous", "/auth/password-reset", 200),
    ("anonymous", "/auth/password-reset/not-a-token", 410),
    ("anonymous", "/auth/two-factor", 200),
    ("anonymous", "/auth/invitations/not-a-token", 404),
    ("anonymous", "/no-such-page", 404),
    ("applicant", "/applicant/letters", 200),
    ("applicant", "/applicant/", 200),
    # The proposal editor, on a draft that fails most checks (the checklist's fixes show) and on a closed proposal.
    *[("applicant", f"/applicant/proposals/{{{proposal}}}{section}", 200)
      for proposal in ("draft", "closed")
      for section in ("", "/summary", "/consortium", "/budget", "/annexes", "/withdraw")],
    ("applicant", "/applicant/proposals/{submitted}/submissions/1", 200),
    # The officers' and administrators' pages.
    ("officer", "/manage/", 200),
    ("admin", "/manage/users", 200),
    ("admin", "/manage/users/{officer_id}", 200),
    ("admin", "/manage/users/{admin_id}", 200),
    ("admin", "/manage/users/{officer_id}/tokens", 200),
    ("admin", "/manage/users/{admin_id}/tokens", 200),
    *[("officer", f"/manage/calls/ZV-EVAL/{page}", 200) for page in (
        "evaluation", "screening", "screening/{pending}", "screening/{eligible}", "evaluators",
        "evaluators/{member}")],
    ("officer", "/manage/calls/{call}/proposals", 200),
    ("officer", "/manage/calls/ZV-EVAL/proposals?status=submitted&sort=acronym", 200),
    *[("officer", f"/manage/proposals/{{{proposal}}}{page}", 200)
      for proposal in ("submitted", "draft") for page in ("", "/extension")],
    ("officer", "/manage/proposals/{submitted}/submissions/1", 200),
    *[("officer", f"/manage/calls/{call}/{page}", 200)
      for call in ("SMP-COSME-2021-CLUSTER-01", "ZV-EVAL") for page in ("letters", "outbox")],
    ("officer", "/manage/calls/SMP-COSME-2021-CLUSTER-01/runs/1/letters", 200),
    ("officer", "/manage/letter-batches/{batch}", 200),
    ("officer", "/manage/calls/SMP-COSME-2021-CLUSTER-01/runs", 200),
    ("officer", "/manage/calls/ZV-EVAL/runs", 200),
    ("officer", "/manage/calls/SMP-COSME-2021-CLUSTER-01/runs/1/finalise", 200),
    ("officer", "/manage/personal-data", 200),
    ("officer", "/manage/personal-data?email={applicant.email}", 200),
    ("officer", "/manage/personal-data?email=nobody@example.test", 200),
    ("admin", "/manage/personal-data/access-log", 200),
    ("admin", "/manage/personal-data/access-log?officer=officer@example.test", 200),
]
# Forms sent with mistakes: the messages next to the fields, in the summary and in flashes are translated too.
COVERED_REFUSALS: list[tuple[str, str, dict[str, str]]] = [
    ("anonymous", "/auth/login", {"email": "nobody@example.test", "password": "wrong-password"}),
    ("anonymous", "/auth/register", {"email": "not-an-address", "password": "short", "confirm": "other"}),
    ("anonymous", "/auth/password-reset", {"email": ""}),
    ("admin", "/manage/users", {"email": "not-an-address", "password": "short", "confirm": "other"}),
    ("admin", "/manage/users/{officer_id}/roles", {}),
    ("officer", "/manage/calls/ZV-EVAL/screening/{pending}", {"reason": "short"}),
    ("officer", "/manage/calls/ZV-EVAL/evaluators", {"email": "", "max_load": "0"}),
    ("officer", "/manage/proposals/{submitted}/extension", {"deadline": "2020-01-01T10:00", "reason": "Too late."}),
    ("officer", "/manage/personal-data/people/{applicant.id}/export", {"request_reference": ""}),
]


@pytest.fixture
def world(app: Flask, make_user: Callable[..., User]) -> dict[str, Any]:
    owner = make_user(Role.APPLICANT)
    officer = make_user(Role.OFFICER, email="officer@example.test")
    admin = make_user(Role.ADMIN, email="admin@example.test")
    with app.app_context():
        call = make_open_call("ZV-OPEN-1", criteria=CRITERIA, budget=Decimal("42000000"), page_limit=10,
                              max_grant_per_proposal=Decimal("500000"), duration_min_months=24,
                              duration_max_months=36, min_partners=3, min_countries=3,
                              eligible_countries=["BE", "DE", "FR"], **CALL)
        applicant = db.session.merge(owner)
        draft = make_proposal(call, applicant, acronym="ZVDRAFT", submitted=False, partners=[("Kappa Lab", "CH")])
        draft.duration_months = None
        ready = make_ready_proposal(call, applicant, acronym="ZVREADY", requested=Decimal("400000.00"))
        ready.strand = "Alpha"
        proposal_service.submit_proposal(ready, actor=applicant, base_version=None,
                                         declaration_version=current_text(ConsentKind.SUBMISSION_DECLARATION).version)
        data = make_letter_scenario(applicant)
        db.session.commit()
        letter_service.start_letter_batch(data["run"], actor=None)
        db.session.commit()
        letter_service.publish_letters(data["run"], actor=None)
        db.session.commit()
        award = db.session.scalar(sa.select(Letter).where(Letter.proposal_id == data["proposals"]["selected"].id))
        assert award is not None
        account_service.issue_token(db.session.merge(officer), label="Zeta")
        # A call in evaluation: two eligible proposals with their evaluators, and one proposal still to screen.
        evaluation = make_evaluation_setup(code="ZV-EVAL", title="Zeta Vega Eval", programme="Zeta",
                                           strands=["Alpha", "Beta"], strand_label="Strand")
        pending = make_proposal(db.session.get(Call, evaluation.call_id), db.session.get(User, evaluation.applicant_id),
                                acronym="ZVPEND", strand="Alpha")
        db.session.commit()
        return {"call": "ZV-OPEN-1", "code": award.verification_code, "applicant": owner,
                "officer": officer, "officer_id": officer.id, "admin": admin, "admin_id": admin.id,
                "batch": db.session.scalar(sa.select(LetterBatch.id)), "pending": pending.id,
                "eligible": evaluation.proposal_ids[0], "member": evaluation.member_ids[0],
                "draft": draft.id, "closed": data["proposals"]["selected"].id, "submitted": ready.id,
                "proposals": [p.acronym for p in data["proposals"].values()] + [
                    "ZVDRAFT", "ZVREADY", "Kappa Lab", "part-b.pdf", owner.email,
                    "officer@example.test", "admin@example.test", "Call SMP-COSME-2021-CLUSTER-01",
                    "Zeta Vega Eval", "Olivia Officer", "Lukas Applicant", "Baltic Cluster Alliance",
                    "European Commission", "Expert Office", *evaluation.evaluator_emails, evaluation.officer_email,
                    evaluation.applicant_email, "Proposal 1", "Proposal 2", "Proposal 3", "All checks passed.",
                    # The notification e-mails the outbox shows are written in their recipient's language.
                    *[" ".join(text.split()) for message in db.session.scalars(sa.select(OutboxMessage))
                      for text in (message.subject, message.body)]]}


def _client(app: Flask, who: str, world: dict[str, Any], login: Callable[..., FlaskClient],
            language: str) -> FlaskClient:
    client = app.test_client()
    if who != "anonymous":
        login(client, world[who])
    client.set_cookie(LANGUAGE_COOKIE, language)
    return client


@pytest.mark.parametrize("language", ["fr", "de"])
@pytest.mark.parametrize(("who", "address", "status"), COVERED_PAGES)
def test_the_page_has_no_english_left(app: Flask, world: dict[str, Any], login: Callable[..., FlaskClient],
                                      who: str, address: str, status: int, language: str) -> None:
    client = _client(app, who, world, login, language)
    response = client.get(address.format(**world))
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert f'<html lang="{language}">' in html
    assert english_left(html, language, user_content=USER_CONTENT + world["proposals"]) == []


@pytest.mark.parametrize("language", ["fr", "de"])
@pytest.mark.parametrize(("who", "address", "data"), COVERED_REFUSALS)
def test_the_refusal_has_no_english_left(app: Flask, world: dict[str, Any], login: Callable[..., FlaskClient],
                                         who: str, address: str, data: dict[str, str], language: str) -> None:
    client = _client(app, who, world, login, language)
    response = client.post(address.format(**world), data=data, follow_redirects=True)
    assert response.status_code in (200, 422), response.status_code
    html = response.get_data(as_text=True)
    assert 'class="error' in html or 'flash-error' in html
    assert english_left(html, language, user_content=USER_CONTENT + list(data.values())) == []
