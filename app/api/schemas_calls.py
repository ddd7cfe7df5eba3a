"""Marshmallow schemas of the calls' configuration: the body that opens a call or changes it (every setting of
`app.call_inputs.CallSettings`, checked by the service with the same rules and messages as the officers' page)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from app.api.schemas_proposals import COUNTRY_CODES, money
from app.call_inputs import (
    ANNEX_TYPES,
    BUDGET_POLICIES,
    COUNTRY_SCOPES,
    COUNTRY_STRENGTHS,
    COVERAGE_FIELDS,
    EVALUATION_MODES,
    KINDS,
    ORGANISATION_TYPES,
)
from app.models.limits import MAX_CRITERIA, MAX_PRIVACY_CONTACT, MAX_STRANDS

SCALE_PATTERN = r"^[0-9]{1,3}(\.[0-9])?$"  # scales and thresholds: one decimal, as scores are stored
WEIGHT_PATTERN = r"^[0-9]{1,3}(\.[0-9]{1,2})?$"


def _number(description: str, *, pattern: str = SCALE_PATTERN, **kwargs: Any) -> fields.Decimal:
    return fields.Decimal(as_string=True, allow_nan=False, metadata={"description": description, "pattern": pattern,
                                                                     "example": "3"}, **kwargs)


class CriterionInputSchema(Schema):
    key = fields.String(required=True, validate=validate.Length(min=1, max=40),
                        metadata={"description": "Small letters, digits and _; unique in the call."})
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    max = _number("Scores run from 0 to this, in half points (at most one decimal).", load_default="5")
    weight = _number("Positive; weights the total used for ranking only (at most two decimals).", load_default="1",
                     pattern=WEIGHT_PATTERN)
    threshold = _number("The lowest passing score of this criterion, within the scale; null: none.",
                        load_default=None, allow_none=True)


class CallSettingsSchema(Schema):
    """Every setting of a call, by section; a PATCH changes only those it sends."""

    code = fields.String(validate=validate.Length(max=60), metadata={"description": "Capital letters, digits and "
                         "hyphens; set when the call is opened, never changed."})
    title = fields.String(validate=validate.Length(max=300))
    programme = fields.String(validate=validate.Length(max=200))
    kind = fields.String(validate=validate.OneOf(KINDS))
    description = fields.String(validate=validate.Length(max=20_000))
    opens_at = fields.AwareDateTime(format="iso")
    deadline = fields.AwareDateTime(format="iso")
    time_zone = fields.String(validate=validate.Length(max=60), metadata={"description": "An IANA zone name."})
    budget = money(allow_none=True)
    max_awards = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=100_000))
    max_grant_per_proposal = money(allow_none=True)
    budget_policy = fields.String(validate=validate.OneOf(BUDGET_POLICIES))
    reserve_size = fields.Integer(validate=validate.Range(min=0, max=1000))
    min_partners = fields.Integer(validate=validate.Range(min=1, max=1000))
    min_countries = fields.Integer(validate=validate.Range(min=1, max=1000))
    eligible_countries = fields.List(fields.String(validate=validate.OneOf(COUNTRY_CODES)))
    page_limit = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=10_000))
    duration_min_months = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=1000))
    duration_max_months = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=1000))
    organisation_types = fields.List(fields.String(validate=validate.OneOf(ORGANISATION_TYPES)), metadata={
        "description": "The types every partner, the coordinator included, must be; empty: any type."})
    required_annexes = fields.List(fields.String(validate=validate.OneOf(ANNEX_TYPES)), metadata={
        "description": "The annex types a proposal must have before it is submitted."})
    optional_annexes = fields.List(fields.String(validate=validate.OneOf(ANNEX_TYPES)), metadata={
        "description": "The annex types a proposal may add (none of the required ones); the upload takes no other."})
    strands = fields.List(fields.String(validate=validate.Length(min=1, max=100)),
                          validate=validate.Length(max=MAX_STRANDS))
    strand_label = fields.String(validate=validate.Length(min=1, max=60))
    coverage_field = fields.String(allow_none=True, validate=validate.OneOf(COVERAGE_FIELDS),
                                   metadata={"description": "strand: select the best proposal of each strand "
                                             "first; null: no coverage rule."})
    evaluators_per_proposal = fields.Integer(validate=validate.Range(min=1, max=20))
    evaluation_deadline = fields.AwareDateTime(format="iso", allow_none=True)
    country_conflict = fields.Boolean(metadata={"description": "The country rule: no evaluator from the coordinator's "
                                                               "country (or the consortium's, by scope)."})
    country_conflict_scope = fields.String(validate=validate.OneOf(COUNTRY_SCOPES), metadata={
        "description": "coordinator: the coordinator's country; consortium: every country of the consortium."})
    country_conflict_strength = fields.String(validate=validate.OneOf(COUNTRY_STRENGTHS), metadata={
        "description": "hard: a conflict of interest, never assigned; soft: avoided whenever the pool allows."})
    evaluation_mode = fields.String(validate=validate.OneOf(EVALUATION_MODES), metadata={
        "description": "experts: evaluators score the proposals against the criteria; assessment: the programme "
                       "officer assesses each eligible proposal (suitable or not, a fit score and a note) and the "
                       "places go in that order - a call for expression of interest, without budget or criteria. "
                       "Fixed once the first proposal is submitted."})
    criteria = fields.List(fields.Nested(CriterionInputSchema), validate=validate.Length(max=MAX_CRITERIA),
                           metadata={"description": "Replaces every criterion, in order (not after the first "
                                     "submission)."})
    overall_threshold = _number("The lowest passing unweighted sum of the scores; null: none.", allow_none=True)
    tie_break = fields.List(fields.String(validate=validate.Length(max=40)),
                            metadata={"description": "Criterion keys, in the order that breaks equal totals."})
    letter_contact = fields.String(validate=validate.Length(max=200),
                                   metadata={"description": "Whom the letters name (empty: the instance's)."})
    grant_preparation_days = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=365))
    redress_days = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=365), metadata={
        "description": "Days from a letter's receipt to request an evaluation review (null: the instance's, 30)."})
    redress_unopened_days = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=365), metadata={
        "description": "Days after which a letter not opened counts as received (null: the instance's, 10)."})
    privacy_controller = fields.String(validate=validate.Length(max=MAX_PRIVACY_CONTACT),
                                       metadata={"description": "The controller's contact in the privacy statement"})
    privacy_dpo = fields.String(validate=validate.Length(max=MAX_PRIVACY_CONTACT),
                                metadata={"description": "The data protection officer's contact"})
    redress_wording = fields.String(validate=validate.Length(max=2000), metadata={
        "description": "The letters' paragraph on the further means of redress, printed as written; empty: the "
                       "standard wording in the letter's language."})


class CallChangeSchema(CallSettingsSchema):
    reason = fields.String(load_default="", validate=validate.Length(max=2000),
                           metadata={"description": "Why the deadline moves: needed once the call is published."})
    confirm = fields.String(metadata={"description": "The token of a 409 confirmation_required answer: a later "
                                                     "deadline overtakes the granted extensions it listed."})


class CallCreateSchema(CallSettingsSchema):
    copy_of = fields.String(validate=validate.Length(max=60), metadata={
        "description": "The code of a call to copy (its criteria and rules); the body gives at least the new code "
                       "and dates, and may change anything else."})
