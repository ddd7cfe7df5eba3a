"""Marshmallow schemas of the evaluation API: the pool, assignments, screening, reports and their scores."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.models.limits import MAX_AFFILIATION, MAX_COMMENT_LENGTH, MAX_LOAD_LIMIT, MAX_NOTE_LENGTH, MAX_REASON_LENGTH


class PersonSchema(Schema):
    id = fields.Integer()
    full_name = fields.String()
    email = fields.String()


class InviteSchema(Schema):
    email = fields.Email(required=True, metadata={"description": "An existing evaluator account."})
    organisation = fields.String(load_default=None, validate=validate.Length(max=MAX_AFFILIATION),
                                 metadata={"description": "Affiliation for conflict checks; default: the account's."})
    country = fields.String(load_default=None, validate=validate.Length(equal=2),
                            metadata={"description": "ISO 3166 alpha-2; default: the account's."})
    expertise = fields.List(fields.String(), load_default=list,
                            metadata={"description": "Strands or topics of the call."})
    max_load = fields.Integer(load_default=10, validate=validate.Range(min=1, max=MAX_LOAD_LIMIT))


class PoolMemberSchema(Schema):
    id = fields.Integer()
    evaluator = fields.Nested(PersonSchema, attribute="user")
    organisation = fields.String(attribute="organisation_name")
    country = fields.String()
    expertise = fields.List(fields.String())
    max_load = fields.Integer()
    nationality = fields.String(metadata={"description": "ISO 3166 alpha-2, kept by the evaluator; empty: not "
                                                         "given yet."})
    gender = fields.Function(lambda m: m.gender.value if m.gender else None,
                             metadata={"description": "Self-declared and optional: woman, man, another, "
                                                      "prefer_not_to_say, or null (no answer)."})
    expertise_keywords = fields.List(fields.String())
    expertise_statement = fields.String()
    invited_at = fields.AwareDateTime(format="iso")
    code_of_conduct_accepted_at = fields.AwareDateTime(format="iso", allow_none=True)
    withdrawn_at = fields.AwareDateTime(format="iso", allow_none=True)


class ProposalRefSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    acronym = fields.String()


class AssignmentSchema(Schema):
    id = fields.Integer()
    proposal = fields.Nested(ProposalRefSchema)
    evaluator = fields.Nested(PersonSchema)
    state = fields.String(attribute="state.value")
    is_rapporteur = fields.Boolean()
    conflict = fields.String(attribute="conflict.value")
    conflict_waived = fields.Function(lambda a: bool(a.conflict_waived_reason))
    report_status = fields.Function(lambda a: a.report.status.value if a.report else None)
    affinity = fields.Float(allow_none=True, metadata={
        "description": "How close the proposal and the evaluator's profile are (0 to 1), when the automatic "
                       "assignment matched on them; null otherwise."})
    shared_terms = fields.List(fields.String(), metadata={"description": "Why this evaluator: the terms weighing "
                                                                         "most in the affinity."})


class AutoAssignSchema(Schema):
    discard_proposed = fields.Boolean(load_default=False,
                                      metadata={"description": "Recompute unpublished assignments too."})


class AutoResultSchema(Schema):
    created = fields.List(fields.Nested(AssignmentSchema))
    withdrawn = fields.List(fields.Integer(), metadata={"description": "Ids of assignments withdrawn (conflicts)."})
    removed = fields.Integer(metadata={"description": "Unpublished assignments discarded before computing."})
    assignments = fields.List(fields.Nested(AssignmentSchema), metadata={"description": "Every active assignment."})


class PublishSchema(Schema):
    evaluation_deadline = fields.AwareDateTime(format="iso", load_default=None,
                                               metadata={"description": "Required unless the call has one."})


class PublishResultSchema(Schema):
    published = fields.Integer()
    evaluation_deadline = fields.AwareDateTime(format="iso")


class ScoreInSchema(Schema):
    criterion = fields.String(required=True, metadata={"description": "The criterion key, e.g. relevance."})
    score = fields.Raw(load_default=None, allow_none=True,
                       metadata={"description": "0 to the criterion's maximum in steps of 0.5 (number or string); "
                                                "null: not scored yet."})
    comment = fields.String(load_default="", validate=validate.Length(max=MAX_COMMENT_LENGTH))


class ReportInSchema(Schema):
    overall_comment = fields.String(load_default=None, validate=validate.Length(max=MAX_COMMENT_LENGTH))
    scores = fields.List(fields.Nested(ScoreInSchema), load_default=list)


class ConsensusInSchema(ReportInSchema):
    submit = fields.Boolean(load_default=False, metadata={"description": "Submit for the officer's approval."})


class ConflictInSchema(Schema):
    conflict = fields.Boolean(required=True, metadata={"description": "true: I have a conflict of interest."})
    note = fields.String(load_default="", validate=validate.Length(max=MAX_NOTE_LENGTH),
                         metadata={"description": "What the conflict is (required when conflict is true)."})


class EligibilityInSchema(Schema):
    eligibility = fields.String(required=True, validate=validate.OneOf(["eligible", "ineligible"]))
    reason = fields.String(required=True, validate=validate.Length(max=MAX_REASON_LENGTH))


class CheckSchema(Schema):
    key = fields.String()
    label = fields.String()
    ok = fields.Boolean()
    fix = fields.String()


class EligibilityOutSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    eligibility = fields.String(attribute="eligibility.value")
    eligibility_reason = fields.String(allow_none=True)
    screened_at = fields.AwareDateTime(format="iso", allow_none=True)
    automatic_checks = fields.List(fields.Nested(CheckSchema))


class ProgressSchema(Schema):
    ready_to_rank = fields.Boolean()
    reasons = fields.List(fields.String())
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class ReopenSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(max=MAX_REASON_LENGTH))
