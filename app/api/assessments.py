"""The officer's assessment of a call for expression of interest over the API, with the same service, rules and
errors as the page (`app.services.assessment`): a call scored by experts answers 409 (it has no assessment)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from app.api import bp
from app.models import Assessment
from app.models.limits import MAX_ASSESSMENT_NOTE, MAX_FIT, MIN_FIT
from app.queries.access import load_call, load_submitted_proposal
from app.queries.assessment import AssessmentRow, assessment_rows, require_assessed_call
from app.services.assessment import record_assessment
from app.web.access import current_actor, officer_required


class AssessmentSchema(Schema):
    verdict = fields.String(metadata={"description": "suitable or not_suitable (for the call's aims)."})
    fit = fields.Integer(metadata={"description": f"The fit with the call's aims, {MIN_FIT} to {MAX_FIT}: orders "
                                                  "the suitable proposals."})
    note = fields.String(metadata={"description": "The officer's short reasoned note."})
    assessor = fields.String(allow_none=True)
    created_at = fields.AwareDateTime(format="iso")
    updated_at = fields.AwareDateTime(format="iso")


class AssessmentRowSchema(Schema):
    proposal_id = fields.Integer()
    reference = fields.String()
    acronym = fields.String()
    coordinator = fields.String()
    country = fields.String()
    assessment = fields.Nested(AssessmentSchema, allow_none=True,
                               metadata={"description": "null: not assessed yet."})


class AssessmentInputSchema(Schema):
    verdict = fields.String(required=True, validate=validate.OneOf(("suitable", "not_suitable")))
    fit = fields.Integer(required=True, strict=True, validate=validate.Range(min=MIN_FIT, max=MAX_FIT))
    note = fields.String(required=True, validate=validate.Length(max=MAX_ASSESSMENT_NOTE), metadata={
        "description": "The reasons, at least 10 characters (the service says so at the field)."})


def _assessment_body(assessment: Assessment | None) -> dict[str, Any] | None:
    if assessment is None:
        return None
    return {"verdict": assessment.verdict.value, "fit": assessment.fit, "note": assessment.note,
            "assessor": assessment.assessor.email if assessment.assessor else None,
            "created_at": assessment.created_at, "updated_at": assessment.updated_at}


def _row_body(row: AssessmentRow) -> dict[str, Any]:
    return {"proposal_id": row.proposal_id, "reference": row.reference, "acronym": row.acronym,
            "coordinator": row.coordinator, "country": row.country, "assessment": _assessment_body(row.assessment)}


@bp.get("/calls/<code>/assessments")
@officer_required
@bp.response(200, AssessmentRowSchema(many=True))
@bp.alt_response(403, description="Not a programme officer")
@bp.alt_response(404, description="No such call")
@bp.alt_response(409, description="invalid_transition: the call is scored by experts, not selected by assessment")
def assessment_list(code: str) -> list[dict[str, Any]]:
    """Officers: the proposals of a call for expression of interest screened eligible, with their assessment (null:
    not assessed yet), by reference."""
    call = load_call(code)
    require_assessed_call(call)
    return [_row_body(row) for row in assessment_rows(call)]


@bp.put("/calls/<code>/assessments/<int(max=2147483647):proposal_id>")
@officer_required
@bp.arguments(AssessmentInputSchema)
@bp.response(200, AssessmentRowSchema)
@bp.alt_response(403, description="Not a programme officer")
@bp.alt_response(404, description="No such call, or no such submitted proposal in it")
@bp.alt_response(409, description="invalid_transition: the call is scored by experts; it has not closed; the "
                                  "proposal is not screened eligible; the call's selection is finalised")
@bp.alt_response(422, description="invalid_input: `details.fields` names the verdict, fit or note that is not valid")
def assessment_put(body: dict[str, Any], code: str, proposal_id: int) -> dict[str, Any]:
    """Officers: record or change the assessment of one eligible proposal (audited with before and after)."""
    call = load_call(code)
    require_assessed_call(call)
    proposal = load_submitted_proposal(call, proposal_id, current_actor())
    assessment = record_assessment(proposal, actor=current_actor(), verdict=body["verdict"], fit=body["fit"],
                                   note=body["note"])
    coordinator = proposal.coordinator
    return {"proposal_id": proposal.id, "reference": proposal.reference, "acronym": proposal.acronym or "",
            "coordinator": coordinator.name if coordinator else "", "country": coordinator.country if coordinator
            else "", "assessment": _assessment_body(assessment)}
