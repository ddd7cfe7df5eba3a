"""Proposal intake over the API: the same service functions, rules and errors as the web pages.

Another organisation's proposal answers 404 (never 403): its existence is not revealed. Officers and
administrators read every proposal; only applicants of the owning organisation change one.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify
from werkzeug.exceptions import RequestEntityTooLarge

from app.api import bp
from app.api.schemas_proposals import (
    ChecklistSchema,
    DocumentSchema,
    ExtensionSchema,
    IntakeRowSchema,
    ProposalFieldsSchema,
    ProposalPatchSchema,
    ProposalSchema,
    SubmissionSchema,
    SubmissionSummarySchema,
    SubmitReceiptSchema,
    SubmitSchema,
    UploadFileSchema,
    UploadKindSchema,
    WithdrawSchema,
)
from app.enums import DocumentKind, OrganisationType, Role
from app.inputs import PROPOSAL_COLUMNS, PartnerInput, ProposalChanges
from app.models import Proposal, Submission
from app.queries.access import load_call, load_proposal_for_viewer, load_visible_call
from app.queries.documents import find_document
from app.queries.eligibility import Checklist, check_proposal
from app.queries.proposals import call_proposals, organisation_proposals
from app.queries.receipts import find_submission
from app.services.documents import too_large_message
from app.services.proposals import (
    create_proposal,
    grant_extension,
    remove_annex,
    save_proposal,
    submit_proposal_id,
    upload_annex,
    withdraw_proposal,
)
from app.web.access import annex_upload_limit, current_actor, officer_required
from app.web.downloads import send_annex, send_receipt_pdf
from app.web.errors import api_error


def _proposal(proposal_id: int, *, full: bool = True) -> Proposal:
    """The proposal if the token's user may see it (404 otherwise); `full=False` loads the row only."""
    return load_proposal_for_viewer(proposal_id, current_actor(), full=full)


def _changes(proposal: Proposal | None, body: dict[str, Any]) -> ProposalChanges:
    """The API body (validated by its schema) as the changes `save_proposal` takes."""
    changes: dict[str, Any] = {key: body[key] for key in PROPOSAL_COLUMNS if key in body}
    coordinator = body.get("coordinator") or {}
    if "contact_email" in coordinator:
        changes["coordinator_contact_email"] = coordinator["contact_email"]
    if "partners" in body:
        changes["partners"] = [
            PartnerInput(name=p["name"], country=p["country"],
                         organisation_type=OrganisationType(p["organisation_type"]),
                         contact_email=p.get("contact_email", ""), requested_amount=p.get("requested_amount"))
            for p in body["partners"]]
    if "requested_amount" in coordinator:
        if "partners" in changes:
            others = [p.requested_amount for p in changes["partners"]]
        else:
            others = [p.requested_amount for p in (proposal.partners if proposal else []) if not p.is_coordinator]
        changes["amounts"] = [coordinator["requested_amount"], *others]
    return ProposalChanges.parse(changes)


@bp.errorhandler(RequestEntityTooLarge)
def _upload_too_large(error: RequestEntityTooLarge) -> Any:
    """Werkzeug refused the body unread (MAX_CONTENT_LENGTH): say why in words, in the API's error shape."""
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    return api_error(413, "payload_too_large", too_large_message(limit), {"max_bytes": limit})

_RECEIPT = SubmitReceiptSchema()


# -- applicants --------------------------------------------------------------------------------------------------

@bp.get("/proposals")
@bp.response(200, ProposalSchema(many=True))
def list_my_proposals() -> list[Proposal]:
    """The proposals of your organisation, newest first."""
    user = current_actor()
    if user.organisation_id is None or not user.has_role(Role.APPLICANT):
        return []
    return organisation_proposals(user.organisation_id)


@bp.post("/calls/<code>/proposals")
@bp.arguments(ProposalFieldsSchema(), required=False)
@bp.response(201, ProposalSchema)
@bp.alt_response(403, description="Not an applicant with an organisation")
@bp.alt_response(409, description="deadline_passed: the call is closed")
def create_call_proposal(body: dict[str, Any], code: str) -> Proposal:
    """Start a draft in an open call; any fields given are saved at once (version 2)."""
    user = current_actor()
    proposal = create_proposal(load_visible_call(code, user), actor=user)
    if body:
        save_proposal(proposal, actor=user, base_version=proposal.edit_version, changes=_changes(proposal, body))
    return proposal


@bp.get("/proposals/<int(max=2147483647):proposal_id>")
@bp.response(200, ProposalSchema)
@bp.alt_response(404, description="No such proposal, or not yours")
def get_proposal(proposal_id: int) -> Proposal:
    """One proposal with its partners, annexes and submitted versions."""
    return _proposal(proposal_id)


@bp.patch("/proposals/<int(max=2147483647):proposal_id>")
@bp.arguments(ProposalPatchSchema())
@bp.response(200, ProposalSchema)
@bp.alt_response(409, description="edit_conflict: someone saved since `version`; or deadline_passed")
@bp.alt_response(404, description="No such proposal, or not yours")
def patch_proposal(body: dict[str, Any], proposal_id: int) -> Proposal:
    """Save some fields; `version` must be the current one (optimistic locking)."""
    proposal = _proposal(proposal_id)
    version = body.pop("version")
    save_proposal(proposal, actor=current_actor(), base_version=version, changes=_changes(proposal, body))
    return proposal


@bp.post("/proposals/<int(max=2147483647):proposal_id>/documents")
@annex_upload_limit
@bp.arguments(UploadKindSchema, location="form")
@bp.arguments(UploadFileSchema, location="files")
@bp.response(201, DocumentSchema)
@bp.alt_response(413, description="payload_too_large")
@bp.alt_response(422, description="Not a usable PDF (fake, encrypted, empty, damaged, too many pages)")
@bp.alt_response(429, description="More uploads than UPLOAD_RATE_LIMIT allows per account (pages and API together)")
def upload_document(form: dict[str, Any], files: dict[str, Any], proposal_id: int) -> Any:
    """Upload an annex: multipart `file` (a PDF) and `kind` (part_b, the default, or support_letter).

    A new Part B replaces the previous one. The file is judged by its content: a readable, unencrypted PDF
    within the call's page limit and MAX_UPLOAD_BYTES (413 beyond).
    """
    proposal = _proposal(proposal_id, full=False)
    upload = files["file"]
    document = upload_annex(proposal, actor=current_actor(), kind=DocumentKind(form["kind"]), stream=upload.stream,
                            filename=upload.filename)
    return document


@bp.get("/proposals/<int(max=2147483647):proposal_id>/documents/<int(max=2147483647):document_id>")
@bp.response(200, description="The PDF, as an attachment", content_type="application/pdf")
def download_document(proposal_id: int, document_id: int) -> Response:
    """Download an annex (also one of an earlier submitted version)."""
    return send_annex(find_document(_proposal(proposal_id), document_id))


@bp.delete("/proposals/<int(max=2147483647):proposal_id>/documents/<int(max=2147483647):document_id>")
@bp.response(204)
def delete_document(proposal_id: int, document_id: int) -> None:
    """Take an annex off the proposal (submitted versions keep it)."""
    proposal = _proposal(proposal_id)
    remove_annex(proposal, find_document(proposal, document_id, include_removed=False), actor=current_actor())


@bp.get("/proposals/<int(max=2147483647):proposal_id>/eligibility")
@bp.response(200, ChecklistSchema)
def get_eligibility(proposal_id: int) -> dict[str, Any]:
    """The eligibility and admissibility checklist, as submission will check it."""
    checklist: Checklist = check_proposal(_proposal(proposal_id))
    return checklist.as_dict()


@bp.post("/proposals/<int(max=2147483647):proposal_id>/submit")
@bp.arguments(SubmitSchema(), required=False)
@bp.response(201, SubmitReceiptSchema)
@bp.alt_response(409, description="deadline_passed, or edit_conflict when `version` is stale")
@bp.alt_response(422, description="ineligible: the failed checks are in details.failures")
def submit(body: dict[str, Any], proposal_id: int) -> Response:
    """Submit a new version; accepted only if committed strictly before the deadline. The receipt is immediate."""
    body = body or {}
    submission = submit_proposal_id(proposal_id, actor=current_actor(), base_version=body.get("version"),
                                    declaration_version=body.get("declaration_version"))
    # Serialised before the commit, which would expire the row (no reload); sent only once committed, strictly
    # before the deadline: the commit guard may still refuse (409).
    receipt = jsonify(_RECEIPT.dump(submission))
    receipt.status_code = 201
    return receipt


@bp.get("/proposals/<int(max=2147483647):proposal_id>/submissions")
@bp.response(200, SubmissionSummarySchema(many=True))
def list_submissions(proposal_id: int) -> list[Submission]:
    """Every submitted version, oldest first; the last one counts."""
    return list(_proposal(proposal_id).submissions)


@bp.get("/proposals/<int(max=2147483647):proposal_id>/submissions/<int(max=2147483647):version>")
@bp.response(200, SubmissionSchema)
def get_submission(proposal_id: int, version: int) -> Submission:
    """One submitted version with its snapshot text: sha256(snapshot) equals `sha256`."""
    return find_submission(_proposal(proposal_id), version)


@bp.get("/proposals/<int(max=2147483647):proposal_id>/submissions/<int(max=2147483647):version>/receipt.pdf")
@bp.response(200, description="The receipt PDF", content_type="application/pdf")
def submission_receipt_pdf(proposal_id: int, version: int) -> Response:
    """The receipt of one submitted version as a PDF."""
    return send_receipt_pdf(find_submission(_proposal(proposal_id), version))


@bp.post("/proposals/<int(max=2147483647):proposal_id>/withdraw")
@bp.arguments(WithdrawSchema(), required=False)
@bp.response(200, ProposalSchema)
@bp.alt_response(409, description="deadline_passed or already withdrawn")
def withdraw(body: dict[str, Any], proposal_id: int) -> Proposal:
    """Withdraw before the deadline; final."""
    proposal = withdraw_proposal(_proposal(proposal_id), actor=current_actor(), reason=(body or {}).get("reason", ""))
    return proposal


# -- officers ----------------------------------------------------------------------------------------------------

@bp.post("/proposals/<int(max=2147483647):proposal_id>/extension")
@officer_required
@bp.arguments(ExtensionSchema())
@bp.response(200, ProposalSchema)
@bp.alt_response(403, description="Not an officer")
def extend(body: dict[str, Any], proposal_id: int) -> Proposal:
    """Officers: give one proposal a later deadline, with a reason the applicant sees."""
    proposal = grant_extension(_proposal(proposal_id), actor=current_actor(), deadline=body["deadline"],
                               reason=body["reason"])
    return proposal


@bp.get("/calls/<code>/proposals")
@officer_required
@bp.response(200, IntakeRowSchema(many=True))
def list_call_proposals(code: str) -> list[Proposal]:
    """Officers: every proposal of a call, by reference."""
    return call_proposals(load_call(code))
