"""The world of the letter tests: a call with one proposal per outcome and its finalised run (`scenario`), an officer,
a run's letters generated (the jobs run inline), and a letter read back from its PDF. The fixtures are registered for
the whole suite in tests/conftest.py; a module's own fixture of the same name wins."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from pypdf import PdfReader

from app.enums import CallKind, Role
from app.extensions import db
from app.letter_files import letter_pdf
from app.models import Letter, LetterBatch, Proposal, SelectionRun, User
from app.services import letters as letter_service
from tests.factories import (
    make_approved_consensus,
    make_call,
    make_finalised_run,
    make_letter_scenario,
    make_proposal,
)


@pytest.fixture
def scenario(app_ctx: None, make_user: Callable[..., User]) -> dict[str, Any]:
    """make_letter_scenario for an applicant of Baltic Cluster Alliance (LT), committed."""
    applicant = db.session.merge(make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT"))
    data = make_letter_scenario(applicant)
    db.session.commit()
    return data


@pytest.fixture
def officer(app: Flask, make_user: Callable[..., User]) -> User:
    return make_user(Role.OFFICER)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def flat(text: str) -> str:
    """Text with its line breaks and runs of spaces made single spaces (PDF extraction wraps lines)."""
    return " ".join(text.split())


def generate(run: SelectionRun, officer: User) -> LetterBatch:
    """Generate the run's letters; JOBS_INLINE runs the jobs before commit() returns. The batch, read again."""
    batch = letter_service.start_letter_batch(run, actor=db.session.merge(officer))
    db.session.commit()
    db.session.expire_all()
    found = db.session.get(LetterBatch, batch.id)
    assert found is not None
    return found


def letter_of(proposal: Proposal) -> tuple[Letter, str]:
    """The proposal's letter and its text, on one line."""
    letter = db.session.scalar(sa.select(Letter).where(Letter.proposal_id == proposal.id))
    assert letter is not None
    return letter, flat(pdf_text(letter_pdf(letter)))


def decided_event_calls(applicant: User, officer: User,
                        criteria_names: tuple[str, str, str]) -> tuple[Proposal, Proposal]:
    """The EU Industry Days stakeholder-sessions call decided and lettered: GREENYOUTH accepted, LATEIDEA refused
    (and offered the local events call). The criteria's names are the test's: the letters quote them."""
    criteria = [{"key": key, "name": name} for key, name in zip(("relevance", "quality", "diversity"), criteria_names,
                                                                strict=True)]
    local = make_call("EUID-2022-LOCAL", kind=CallKind.EVENT, budget=None, criteria=criteria,
                      title="EU Industry Week 2022: local events", programme="EU Industry Days 2022")
    sessions = make_call("EUID-2022-SESSIONS", kind=CallKind.EVENT, budget=None, criteria=criteria,
                         title="EU Industry Days 2022: stakeholder sessions", programme="EU Industry Days 2022",
                         transfer_to_call_id=local.id)
    accepted = make_proposal(sessions, applicant, acronym="GREENYOUTH", requested=None)
    refused = make_proposal(sessions, applicant, acronym="LATEIDEA", requested=None)
    make_approved_consensus(accepted, {"relevance": "5", "quality": "4", "diversity": "4"})
    make_approved_consensus(refused, {"relevance": "3", "quality": "3", "diversity": "3"})
    run = make_finalised_run(sessions, [(accepted, "selected"), (refused, "not_funded")])
    db.session.commit()
    generate(run, officer)
    return accepted, refused
