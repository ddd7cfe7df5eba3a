"""Marshmallow schemas of the API's bodies."""

from __future__ import annotations

from flask import g
from marshmallow import Schema, fields, validate

from app.models import ApiToken, Call, User
from app.queries.calls import call_phase, money_warnings
from app.queries.selection import describe_call_rules


class CriterionSchema(Schema):
    key = fields.String()
    name = fields.String()
    description = fields.String()
    max_score = fields.Decimal(as_string=True)
    weight = fields.Decimal(as_string=True)
    threshold = fields.Decimal(as_string=True, allow_none=True)
    position = fields.Integer()


class CallSchema(Schema):
    code = fields.String()
    title = fields.String()
    programme = fields.String()
    kind = fields.String(attribute="kind.value")
    evaluation_mode = fields.String(attribute="evaluation_mode.value", metadata={
        "description": "experts (evaluators score) or assessment (a call for expression of interest: the officer "
                       "assesses, places without budget)."})
    description = fields.String()
    state = fields.Method("get_state")
    opens_at = fields.AwareDateTime(format="iso")
    deadline = fields.AwareDateTime(format="iso", metadata={"description": "UTC, to the second."})
    deadline_local = fields.Method(
        "get_deadline_local", metadata={"description": "The deadline in the call's time zone (ISO 8601)."}
    )
    time_zone = fields.String()
    budget = fields.Decimal(as_string=True, allow_none=True)
    max_awards = fields.Integer(allow_none=True)
    max_grant_per_proposal = fields.Decimal(as_string=True, allow_none=True)
    min_partners = fields.Integer()
    min_countries = fields.Integer()
    eligible_countries = fields.List(fields.String())
    page_limit = fields.Integer(allow_none=True)
    evaluators_per_proposal = fields.Integer()
    strands = fields.List(fields.String())
    strand_label = fields.String()
    overall_threshold = fields.Decimal(as_string=True, allow_none=True)
    tie_break = fields.List(fields.String())
    criteria = fields.List(fields.Nested(CriterionSchema))
    texts = fields.Dict(keys=fields.String(), values=fields.Dict(), metadata={
        "description": "The call's own texts given in other languages than English, by language: title, description "
                       "and criteria (by key: name, description); what is not given reads as the English above. "
                       "Officers change them with PUT /calls/{code}/texts/{language}."})
    privacy_controller = fields.String(metadata={"description": "The controller's contact in the call's privacy "
                                                                "statement (empty: the instance's default)."})
    privacy_dpo = fields.String(metadata={"description": "The data protection officer's contact (empty: the "
                                                         "instance's default)."})
    phase = fields.Method("get_phase", metadata={"description": "draft, published, open, closed, in_evaluation, "
                                                                "decided or archived (README: the life cycle)."})
    budget_policy = fields.String(attribute="budget_policy.value")
    reserve_size = fields.Integer()
    coverage_field = fields.String(allow_none=True)
    evaluation_deadline = fields.AwareDateTime(format="iso", allow_none=True)
    country_conflict = fields.Boolean()
    country_conflict_scope = fields.String(attribute="country_conflict_scope.value")
    country_conflict_strength = fields.String(attribute="country_conflict_strength.value")
    duration_min_months = fields.Integer(allow_none=True)
    duration_max_months = fields.Integer(allow_none=True)
    letter_contact = fields.String()
    grant_preparation_days = fields.Integer(allow_none=True)
    redress_days = fields.Integer(allow_none=True)
    redress_unopened_days = fields.Integer(allow_none=True)
    organisation_types = fields.List(fields.String(), metadata={"description": "Empty: any type."})
    required_annexes = fields.List(fields.String())
    optional_annexes = fields.List(fields.String())
    redress_wording = fields.String(metadata={"description": "Empty: the standard wording."})
    published_at = fields.AwareDateTime(format="iso", allow_none=True)
    archived_at = fields.AwareDateTime(format="iso", allow_none=True)
    rules = fields.Method("get_rules", metadata={
        "description": "The rules the ranking will apply, in the words of the scoring core itself."})
    warnings = fields.Method("get_warnings", metadata={"description": "What to check before publishing."})

    def get_phase(self, call: Call) -> str:
        return call_phase(call).value

    def get_rules(self, call: Call) -> list[str]:
        return describe_call_rules(call)

    def get_warnings(self, call: Call) -> list[str]:
        return money_warnings(budget=call.budget, max_awards=call.max_awards, max_grant=call.max_grant_per_proposal)

    def get_deadline_local(self, call: Call) -> str:
        return call.deadline_local.isoformat()

    def get_state(self, call: Call) -> str:
        return call.state().value


class CallSummarySchema(Schema):
    code = fields.String()
    title = fields.String()
    kind = fields.String(attribute="kind.value")
    state = fields.Method("get_state")
    deadline = fields.AwareDateTime(format="iso")
    budget = fields.Decimal(as_string=True, allow_none=True)
    max_awards = fields.Integer(allow_none=True)

    def get_state(self, call: Call) -> str:
        return call.state().value


class MeSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    full_name = fields.String()
    roles = fields.Method("get_roles")
    organisation = fields.Method("get_organisation")

    def get_roles(self, user: User) -> list[str]:
        return sorted(role.value for role in user.roles)

    def get_organisation(self, user: User) -> dict[str, str] | None:
        org = user.organisation
        return None if org is None else {"name": org.name, "country": org.country, "type": org.type.value}


class TokenRequestSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=1000))
    label = fields.String(validate=validate.Length(max=100))
    code = fields.String(load_only=True, validate=validate.Length(max=20), metadata={
        "description": "With two-factor sign-in on: the authenticator's current code, or a recovery code."})
    expires_in_days = fields.Integer(load_only=True, validate=validate.Range(min=1, max=100_000), metadata={
        "description": "The token's life in days (default API_TOKEN_DAYS, 30; at most API_TOKEN_MAX_DAYS, 365)."})


class TokenSchema(Schema):
    token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_at = fields.DateTime(required=True)


class ApiTokenSchema(Schema):
    """One of your tokens as listed: never the token itself (only its hash is kept)."""

    id = fields.Integer(required=True)
    label = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True)
    last_used_at = fields.DateTime(allow_none=True, metadata={"description": "To the minute"})
    revoked_at = fields.DateTime(allow_none=True)
    current = fields.Method("is_current", metadata={"description": "Whether this request carries it"})

    def is_current(self, api_token: ApiToken) -> bool:
        current = g.get("api_token")
        return current is not None and current.id == api_token.id
