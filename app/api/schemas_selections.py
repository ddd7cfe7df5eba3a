"""Marshmallow schemas of the ranking and selection API: money and totals as decimal strings, times in ISO 8601 UTC.

A ranking entry carries what the scoring core decided for the proposal (`app.queries.outcomes`), never worked out
again: its step, the budget left after it, the reason code and the reason.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.models.limits import MAX_RESERVE_SIZE
from app.queries.ranking import RankingEntry


class RankingQuerySchema(Schema):
    budget_policy = fields.String(validate=validate.OneOf(["skip", "stop"]),
                                  metadata={"description": "Default: the call's setting"})
    reserve_size = fields.Integer(validate=validate.Range(min=0, max=MAX_RESERVE_SIZE))
    coverage = fields.Boolean(metadata={"description": "Apply the call's coverage rule (its coverage field)"})


class RunCreateSchema(RankingQuerySchema):
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class FinaliseSchema(Schema):
    token = fields.String(required=True, metadata={"description": "The token of a fresh preview (GET …/finalise)"})


class PromoteSchema(Schema):
    reference = fields.String(required=True, metadata={"description": "The selected proposal that leaves"})
    reason = fields.String(required=True, validate=validate.OneOf(["declined", "ineligible"]))
    note = fields.String(required=True, validate=validate.Length(min=10, max=2000))


class EntrySchema(Schema):
    rank = fields.Integer(allow_none=True)
    id = fields.String(attribute="reference", metadata={"description": "The proposal's reference"})
    acronym = fields.String()
    coordinator = fields.String()
    country = fields.String()
    strand = fields.String(allow_none=True)
    scores = fields.Dict(keys=fields.String(), values=fields.Decimal(as_string=True, allow_none=True))
    thresholds_passed = fields.Boolean(allow_none=True)
    failed_thresholds = fields.List(fields.String(), attribute="failed")
    total = fields.Decimal(as_string=True, allow_none=True, metadata={"description": "Weighted total"})
    tie_break_keys = fields.Method("get_tie_keys")
    requested = fields.Decimal(as_string=True, allow_none=True)
    step = fields.Integer(allow_none=True, metadata={
        "description": "The order in which the selection decided: the coverage rule's picks first, then every other "
                       "ranked proposal in merit order (null when not ranked)"})
    budget_left = fields.Decimal(as_string=True, allow_none=True, metadata={
        "description": "The budget left after this proposal's step (null without a budget or when not ranked)"})
    reason_code = fields.String(allow_none=True, metadata={
        "description": "The rule that decided: coverage, fits, budget, stop_policy, award_cap, threshold, ineligible; "
                       "promoted or declined in a promotion; review in the run applying an evaluation review's "
                       "outcome"})
    status = fields.String(metadata={"description": "selected, reserve, not_funded, below_threshold, ineligible, "
                                                    "declined, or not_ready (live ranking only)"})
    reserve_position = fields.Integer(allow_none=True)
    selected_by = fields.String(allow_none=True, metadata={
        "description": "coverage, merit, reserve (promoted), or review (funded from the budget left after an upheld "
                       "evaluation review)"})
    tie_resolution = fields.Integer(allow_none=True,
                                    metadata={"description": "The officer's tie resolution that ordered it"})
    reason = fields.String()

    def get_tie_keys(self, entry: RankingEntry) -> dict[str, str | None]:
        return {key: None if value is None else str(value) for key, value in entry.tie_keys}


class TieSchema(Schema):
    references = fields.List(fields.String())
    total = fields.Decimal(as_string=True, allow_none=True)
    resolution = fields.Integer(allow_none=True, attribute="resolution_id")


class RankingSchema(Schema):
    call = fields.String()
    options = fields.Dict()
    ready = fields.Boolean()
    not_ready = fields.Dict(metadata={"description": "What keeps the call from a selection run"})
    budget = fields.Decimal(as_string=True, allow_none=True)
    max_awards = fields.Integer(allow_none=True)
    selected_total = fields.Decimal(as_string=True)
    remaining_budget = fields.Decimal(as_string=True, allow_none=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    ties = fields.List(fields.Nested(TieSchema))
    proposals = fields.List(fields.Nested(EntrySchema))


class RunSummarySchema(Schema):
    id = fields.Integer()
    number = fields.Integer()
    call = fields.String()
    status = fields.String()
    in_force = fields.Boolean()
    promotion_of = fields.Integer(allow_none=True, metadata={"description": "The parent run's number"})
    options = fields.Dict()
    description = fields.String()
    note = fields.String()
    summary = fields.Dict()
    input_sha256 = fields.String()
    output_sha256 = fields.String()
    created_at = fields.AwareDateTime(format="iso")
    created_by = fields.String(allow_none=True)
    finalised_at = fields.AwareDateTime(format="iso", allow_none=True)


class RunSchema(RunSummarySchema):
    reproducible = fields.Boolean(metadata={"description": "Re-running the stored input gives the stored output"})
    ranking = fields.Nested(RankingSchema)


class ChangeSchema(Schema):
    id = fields.String(attribute="reference")
    before = fields.String(allow_none=True)
    before_position = fields.Integer(allow_none=True)
    after = fields.String()
    after_position = fields.Integer(allow_none=True)


class PreviewSchema(Schema):
    run = fields.Integer()
    token = fields.String()
    can_finalise = fields.Boolean()
    blockers = fields.List(fields.String())
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    references = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    selected_total = fields.Decimal(as_string=True)
    changes = fields.List(fields.Nested(ChangeSchema))


class TieResolveSchema(Schema):
    order = fields.List(fields.String(validate=validate.Length(max=100)), required=True,
                        validate=validate.Length(min=2, max=1000),
                        metadata={"description": "The references of one residual tie, in the order decided"})
    justification = fields.String(required=True, validate=validate.Length(max=2000),
                                  metadata={"description": "Why this order (at least 20 characters)"})


class TieResolutionSchema(Schema):
    id = fields.Integer()
    call = fields.String()
    order = fields.List(fields.String())
    justification = fields.String()
    active = fields.Boolean()
    created_at = fields.DateTime()
    created_by = fields.String(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class TiesSchema(Schema):
    ties = fields.List(fields.List(fields.String()), metadata={
        "description": "The residual ties of the live ranking (the call's options), each a list of references"})
    resolutions = fields.List(fields.Nested(TieResolutionSchema), metadata={
        "description": "The call's tie resolutions, newest first, revoked ones too"})


class OfferSchema(Schema):
    id = fields.Integer()
    proposal = fields.String(metadata={"description": "The reference of the proposal offered a transfer"})
    target_call = fields.String()
    status = fields.String(metadata={"description": "offered, accepted or declined"})
    offered_at = fields.DateTime()
    responded_at = fields.DateTime(allow_none=True)
    copy = fields.String(allow_none=True, metadata={"description": "The reference of the copy, once accepted"})


class OffersSchema(Schema):
    target_call = fields.String(allow_none=True, metadata={"description": "The call proposals may move to"})
    candidates = fields.List(fields.String(), metadata={
        "description": "The unselected proposals that sending the offers now would reach (none before a final "
                       "selection)"})
    offers = fields.List(fields.Nested(OfferSchema), metadata={"description": "The offers sent, by reference"})
