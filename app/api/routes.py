from __future__ import annotations

from flask import Response, request

from app.api import bp, public
from app.api.schemas import CallSchema, CallSummarySchema, MeSchema, TokenRequestSchema, TokenSchema
from app.extensions import limiter
from app.models import Call, User
from app.queries.access import is_officer, load_visible_call
from app.queries.calls import calls_by_deadline
from app.services.accounts import authenticate, issue_token
from app.web.access import current_actor
from app.web.errors import api_error


@bp.post("/tokens")
@public
@limiter.limit("10 per minute")
@bp.arguments(TokenRequestSchema)
@bp.response(201, TokenSchema)
@bp.doc(security=[])
def create_token(body: dict[str, str]) -> dict[str, str] | tuple[Response, int]:
    """Exchange an e-mail address and password for a bearer token (shown once; rate-limited)."""
    user = authenticate(body["email"], body["password"], address=request.remote_addr or "")
    if user is None:
        # Answered, not raised: the request's transaction commits the failed attempt for the lockout rule.
        return api_error(401, message="Those credentials did not work.")
    token = issue_token(user, label=body.get("label") or "api")
    return {"token": token, "token_type": "Bearer"}


@bp.get("/me")
@bp.response(200, MeSchema)
def me() -> User:
    """The account the bearer token belongs to."""
    return current_actor()


@bp.get("/calls")
@bp.response(200, CallSummarySchema(many=True))
def list_calls() -> list[Call]:
    """Every published call, latest deadline first (officers: the drafts too)."""
    return calls_by_deadline(drafts=is_officer(current_actor()))


@bp.get("/calls/<code>")
@bp.response(200, CallSchema)
def get_call(code: str) -> Call:
    """One call with its criteria, rules and strands (a draft: officers only)."""
    return load_visible_call(code, current_actor())
