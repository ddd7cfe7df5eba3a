"""Helpers of the letter tests: a run's letters generated (the jobs run inline), and a letter read back from its PDF."""

from __future__ import annotations

import io

import sqlalchemy as sa
from pypdf import PdfReader

from app.extensions import db
from app.letter_files import letter_pdf
from app.models import Letter, LetterBatch, Proposal, SelectionRun, User
from app.services import letters as letter_service


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
