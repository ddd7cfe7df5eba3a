"""Marshmallow schemas of the proposal intake API: money as decimal strings, times in ISO 8601 UTC."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from app.countries import country_names
from app.enums import DocumentKind, OrganisationType
from app.models.limits import (
    MAX_ABSTRACT,
    MAX_ACRONYM,
    MAX_DURATION_MONTHS,
    MAX_KEYWORD,
    MAX_KEYWORDS,
    MAX_PARTNERS,
    MAX_TITLE,
)
from app.queries.receipts import submission_integrity

ORGANISATION_TYPES = [t.value for t in OrganisationType]
COUNTRY_CODES = sorted(country_names())
MONEY_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"


def money(**kwargs: Any) -> fields.Decimal:
    """Euros as a decimal string with at most two decimals ("1400000.00"); documented with its pattern."""
    metadata = {"pattern": MONEY_PATTERN, "example": "1400000.00", **kwargs.pop("metadata", {})}
    return fields.Decimal(as_string=True, allow_nan=False, validate=validate.Range(min=0), metadata=metadata,
                          **kwargs)


class PartnerSchema(Schema):
    position = fields.Integer(dump_only=True, metadata={"description": "0 is the coordinator."})
    is_coordinator = fields.Boolean(dump_only=True)
    name = fields.String(required=True, validate=[validate.Length(min=1, max=200), validate.Regexp(r".*\S.*")])
    country = fields.String(required=True, validate=validate.OneOf(COUNTRY_CODES),
                            metadata={"description": "ISO 3166-1 alpha-2 code."})
    organisation_type = fields.String(required=True, validate=validate.OneOf(ORGANISATION_TYPES))
    contact_email = fields.String(load_default="", validate=validate.Length(max=254),
                                  metadata={"description": "Stored as given; the checklist flags an invalid one."})
    requested_amount = money(allow_none=True, load_default=None)


class CoordinatorPatchSchema(Schema):
    contact_email = fields.String(validate=validate.Length(max=254))
    requested_amount = money(allow_none=True)


class DocumentSchema(Schema):
    id = fields.Integer()
    kind = fields.Function(lambda d: d.kind.value)
    filename = fields.String(metadata={"description": "The uploaded file's name, sanitised; for display only."})
    sha256 = fields.String()
    size_bytes = fields.Integer()
    page_count = fields.Integer()
    uploaded_at = fields.AwareDateTime(format="iso")
    url = fields.Function(lambda d: url_for("api.download_document", proposal_id=d.proposal_id, document_id=d.id))


class SubmissionSummarySchema(Schema):
    version = fields.Integer()
    receipt_number = fields.String()
    sha256 = fields.String()
    submitted_at = fields.AwareDateTime(format="iso")


class SubmissionSchema(SubmissionSummarySchema):
    snapshot = fields.String(metadata={"description": "The canonical JSON text that was hashed, verbatim (empty once "
                                                      "its content was erased under a retention rule)."})
    integrity = fields.Function(lambda s: submission_integrity(s).as_dict(), metadata={
        "description": "`state`: intact (the snapshot matches `sha256`), erased (its content was erased on "
                       "`erased_at` under the retention rule `rule`; the hash stands) or tampered"})
    receipt_url = fields.Function(lambda s: url_for("api.submission_receipt_pdf", proposal_id=s.proposal_id,
                                                    version=s.version))


class SubmitReceiptSchema(SubmissionSummarySchema):
    receipt_url = fields.Function(lambda s: url_for("api.submission_receipt_pdf", proposal_id=s.proposal_id,
                                                    version=s.version))


class ProposalSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    call = fields.Function(lambda p: p.call.code)
    status = fields.Function(lambda p: p.status.value)
    version = fields.Integer(attribute="edit_version",
                             metadata={"description": "Send it back with every PATCH (optimistic locking)."})
    acronym = fields.String()
    title = fields.String()
    abstract = fields.String()
    keywords = fields.List(fields.String())
    strand = fields.String(allow_none=True)
    duration_months = fields.Integer(allow_none=True)
    requested_grant = fields.Decimal(as_string=True, allow_none=True)
    organisation = fields.Function(lambda p: {"name": p.organisation.name, "country": p.organisation.country,
                                              "type": p.organisation.type.value})
    partners = fields.List(fields.Nested(PartnerSchema))
    documents = fields.Method("get_documents")
    deadline = fields.Function(
        lambda p: p.effective_deadline.isoformat(),
        metadata={"description": "The effective deadline (UTC): the later of the call's and an extension."})
    extension = fields.Method("get_extension")
    editable = fields.Function(lambda p: p.is_editable())
    submissions = fields.List(fields.Nested(SubmissionSummarySchema))
    withdrawn_at = fields.AwareDateTime(format="iso", allow_none=True)
    updated_at = fields.AwareDateTime(format="iso")

    def get_documents(self, proposal: Any) -> list[dict[str, Any]]:
        documents: list[dict[str, Any]] = DocumentSchema(many=True).dump(
            [d for d in proposal.documents if d.removed_at is None])
        return documents

    def get_extension(self, proposal: Any) -> dict[str, Any] | None:
        if proposal.extended_deadline is None:
            return None
        # in_force is false once the call's own deadline is later: the proposal then has the call's deadline.
        return {"deadline": proposal.extended_deadline.isoformat(), "reason": proposal.extension_reason,
                "in_force": proposal.extension_in_force}


class ProposalFieldsSchema(Schema):
    acronym = fields.String(validate=validate.Length(max=MAX_ACRONYM))
    title = fields.String(validate=validate.Length(max=MAX_TITLE))
    abstract = fields.String(validate=validate.Length(max=MAX_ABSTRACT))
    keywords = fields.List(fields.String(validate=validate.Length(max=MAX_KEYWORD)),
                           validate=validate.Length(max=MAX_KEYWORDS),
                           metadata={"description": "What the proposal is about in a few words; evaluators are "
                                                    "matched on them, the title and the abstract. Replaces them all."})
    strand = fields.String(allow_none=True, validate=validate.Length(max=100),
                           metadata={"description": "One of the call's strands (the checklist flags another)."})
    duration_months = fields.Integer(allow_none=True, validate=validate.Range(1, MAX_DURATION_MONTHS))
    requested_grant = money(allow_none=True)
    coordinator = fields.Nested(CoordinatorPatchSchema)
    partners = fields.List(fields.Nested(PartnerSchema), validate=validate.Length(max=MAX_PARTNERS - 1),
                           metadata={"description": "Every partner except the coordinator, in order; replaces "
                                                    "the current list."})


class ProposalPatchSchema(ProposalFieldsSchema):
    version = fields.Integer(required=True, metadata={"description": "The version your changes are based on."})


class UploadFileSchema(Schema):
    file = Upload(required=True, metadata={"description": "A PDF."})


class UploadKindSchema(Schema):
    kind = fields.String(load_default=DocumentKind.PART_B.value,
                         validate=validate.OneOf([k.value for k in DocumentKind]))


class ChecklistSchema(Schema):
    ok = fields.Boolean()
    passed = fields.Integer()
    total = fields.Integer()
    checks = fields.List(fields.Dict())


class SubmitSchema(Schema):
    version = fields.Integer(load_default=None, metadata={
        "description": "Optional: the version you reviewed; 409 edit_conflict if it changed since."})
    declaration_version = fields.String(load_default=None, validate=validate.Length(max=40), metadata={
        "description": "The version of the declaration the submitter accepts (its text: GET /api/v1/texts/"
                       "submission_declaration); the current one when left out, 422 invalid_input if it is not "
                       "the current one."})


class WithdrawSchema(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=1000))


class ExtensionSchema(Schema):
    deadline = fields.AwareDateTime(required=True, format="iso",
                                    metadata={"description": "The new deadline, with its UTC offset."})
    reason = fields.String(required=True, validate=validate.Length(min=10, max=2000))


class IntakeRowSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    acronym = fields.String()
    status = fields.Function(lambda p: p.status.value)
    coordinator = fields.Function(lambda p: p.organisation.name)
    country = fields.Function(lambda p: p.organisation.country)
    latest_submission = fields.Function(
        lambda p: None if p.latest_submission is None else SubmissionSummarySchema().dump(p.latest_submission))
    extended_deadline = fields.AwareDateTime(format="iso", allow_none=True)
