"""Decision letters over the API: start a run's batch, follow it, download letters, verify a letter.

Officers and administrators handle batches and read every letter; an applicant reads the published letter of
their organisation's proposal (another organisation's proposal answers 404). Verification needs no token.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from marshmallow import Schema, fields

from app.api import abort, bp, public
from app.enums import Role, letter_decision_label
from app.models import SelectionRun
from app.queries import letters as letter_queries
from app.queries.access import (
    is_officer,
    load_call,
    load_letter_batch,
    load_proposal_for_viewer,
    load_run,
    load_run_by_id,
)
from app.services import letters as letter_service
from app.services.redress import record_letter_opened
from app.web.access import current_actor, officer_required
from app.web.downloads import send_letter, send_letters_zip


class BatchErrorSchema(Schema):
    proposal = fields.String(metadata={"description": "The proposal's reference"})
    message = fields.String()


class LetterBatchSchema(Schema):
    id = fields.Integer()
    run = fields.Integer(metadata={"description": "The selection run's id"})
    status = fields.String(metadata={"description": "running, finished or finished_with_errors"})
    label = fields.String()
    total = fields.Integer(metadata={"description": "Letters the run needs"})
    done = fields.Integer(metadata={"description": "Rendered by this batch"})
    skipped = fields.Integer(metadata={"description": "Already there from an earlier batch"})
    failed = fields.Integer()
    processed = fields.Integer()
    percent = fields.Integer()
    finished = fields.Boolean()
    stalled = fields.Boolean(metadata={"description": "Running but not moved for ten minutes"})
    errors = fields.List(fields.Nested(BatchErrorSchema))
    created_at = fields.String(metadata={"description": "ISO 8601, UTC"})
    finished_at = fields.String(allow_none=True, metadata={"description": "ISO 8601, UTC"})


class VerificationSchema(Schema):
    code = fields.String()
    reference = fields.String(metadata={"description": "The letter's reference"})
    call = fields.String(metadata={"description": "The call's code"})
    call_title = fields.String()
    proposal = fields.String(metadata={"description": "The proposal's reference"})
    acronym = fields.String()
    kind = fields.String(metadata={"description": "award, reserve, rejection or ineligible"})
    decision = fields.String()
    date = fields.DateTime(metadata={"description": "The decision date"})
    sha256 = fields.String(metadata={"description": "SHA-256 of the genuine PDF"})


def _start_batch(run: SelectionRun) -> dict[str, Any]:
    return letter_queries.batch_progress(letter_service.start_letter_batch(run, actor=current_actor()))


def _zip(run: SelectionRun) -> Response:
    letters = letter_queries.run_letters(run)
    if not letters:
        abort(404, error_code="no_letter", message="This run has no letters yet: start a batch first.")
    return send_letters_zip(run, letters)


@bp.post("/calls/<code>/runs/<int:number>/letters")
@officer_required
@bp.response(202, LetterBatchSchema)
@bp.alt_response(403, description="Not a programme officer")
@bp.alt_response(404, description="No such call or run")
@bp.alt_response(409, description="invalid_transition: the run is not finalised, or a batch is running")
def run_letters_start(code: str, number: int) -> dict[str, Any]:
    """Generate every letter of a finalised run in the background; letters already stored are kept."""
    return _start_batch(load_run(load_call(code), number, current_actor()))


@bp.post("/selections/<int:run_id>/letters")
@officer_required
@bp.response(202, LetterBatchSchema)
@bp.doc(deprecated=True, description="Deprecated alias of POST /calls/{code}/runs/{number}/letters.")
def letters_start_batch(run_id: int) -> dict[str, Any]:
    """Generate every letter of a finalised run, by its id."""
    return _start_batch(load_run_by_id(run_id, current_actor()))


@bp.get("/letter-batches/<int:batch_id>")
@officer_required
@bp.response(200, LetterBatchSchema)
@bp.alt_response(403, description="Not a programme officer")
@bp.alt_response(404, description="No such batch")
def letters_batch_progress(batch_id: int) -> dict[str, Any]:
    """A batch's progress: counters, status and the letters that failed."""
    return letter_queries.batch_progress(load_letter_batch(batch_id, current_actor()))


@bp.get("/proposals/<int:proposal_id>/letter.pdf")
@bp.response(200, description="The latest letter of the proposal (PDF)", content_type="application/pdf")
@bp.alt_response(404, description="No such proposal, not yours, or no (published) letter yet")
def letters_proposal_pdf(proposal_id: int) -> Response:
    """The proposal's latest letter: the applicant's own once published; officers always."""
    user = current_actor()
    proposal = load_proposal_for_viewer(proposal_id, user, full=False)
    if not user.has_role(Role.OFFICER, Role.ADMIN, Role.APPLICANT):
        abort(403, message="Letters are for the applicants and the programme officers.")
    officer = is_officer(user)
    letter = letter_queries.latest_letter(proposal, published_only=not officer)
    if letter is None:
        abort(404, error_code="no_letter",
              message="This proposal has no letter yet." if officer else "No letter has been published yet.")
    record_letter_opened(letter, actor=user)  # the applicant's first download is the letter's receipt
    return send_letter(letter)


@bp.get("/calls/<code>/runs/<int:number>/letters.zip")
@officer_required
@bp.response(200, description="Every letter of the run and a manifest.csv", content_type="application/zip")
@bp.alt_response(403, description="Not a programme officer")
@bp.alt_response(404, description="No such call or run, or no letter yet")
def run_letters_zip(code: str, number: int) -> Response:
    """The run's letters in one ZIP (the same letters give the same bytes)."""
    return _zip(load_run(load_call(code), number, current_actor()))


@bp.get("/selections/<int:run_id>/letters.zip")
@officer_required
@bp.response(200, description="Every letter of the run and a manifest.csv", content_type="application/zip")
@bp.doc(deprecated=True, description="Deprecated alias of GET /calls/{code}/runs/{number}/letters.zip.")
def letters_run_zip(run_id: int) -> Response:
    """The run's letters in one ZIP, by the run's id."""
    return _zip(load_run_by_id(run_id, current_actor()))


@bp.get("/letters/verify/<code>")
@public
@bp.response(200, VerificationSchema)
@bp.alt_response(404, description="No letter has this code")
def letters_verify(code: str) -> dict[str, Any]:
    """Which call, proposal, decision and date a letter belongs to, and its SHA-256. No token needed."""
    letter = letter_queries.find_letter_by_code(code)
    if letter is None:
        abort(404, error_code="unknown_code", message="No letter has this verification code.")
    call = letter.proposal.call
    return {
        "code": letter.verification_code, "reference": letter.reference, "call": call.code,
        "call_title": call.title, "proposal": letter.proposal.reference, "acronym": letter.proposal.acronym,
        "kind": letter.kind.value, "decision": letter_decision_label(letter.kind, call.kind),
        "date": letter.decision_date, "sha256": letter.sha256,
    }
