from __future__ import annotations

from typing import Any

from flask import Response, request

from app.api import bp, public
from app.api.schemas import (
    ApiTokenSchema,
    CallSchema,
    CallSummarySchema,
    MeSchema,
    TokenRequestSchema,
    TokenSchema,
)
from app.extensions import limiter
from app.languages import N_
from app.models import ApiToken, Call, User
from app.queries.access import is_officer, load_visible_call
from app.queries.accounts import load_account_for_admin, load_token, token_for_bearer, tokens_of
from app.queries.calls import calls_by_deadline
from app.queries.two_factor import needs_enrolment
from app.services.accounts import authenticate, issue_token
from app.services.tokens import revoke_token
from app.services.two_factor import WRONG_CODE, verify_second_factor
from app.web.access import current_actor
from app.web.errors import api_error


@bp.post("/tokens")
@public
@limiter.limit("10 per minute")
@bp.arguments(TokenRequestSchema)
@bp.response(201, TokenSchema)
@bp.alt_response(401, description="`unauthorized`: wrong credentials; `two_factor_required` or `two_factor_invalid`: "
                                  "the account's second factor is missing or wrong")
@bp.alt_response(403, description="`two_factor_enrolment_required`: an officer or administrator without two-factor "
                                  "sign-in; `email_unconfirmed`: a self-registered account whose address is not "
                                  "confirmed yet")
@bp.doc(security=[])
def create_token(body: dict[str, Any]) -> dict[str, Any] | tuple[Response, int]:
    """Exchange an e-mail address and password for a bearer token (shown once; rate-limited).

    With two-factor sign-in on, `code` is required too (401 `two_factor_required` without it, 401
    `two_factor_invalid` when wrong); an officer or administrator without it is refused (403
    `two_factor_enrolment_required`) until they set it up on the account page."""
    user = authenticate(body["email"], body["password"], address=request.remote_addr or "")
    if user is None:
        # Answered, not raised: the request's transaction commits the failed attempt for the lockout rule.
        return api_error(401, message=N_("Those credentials did not work."))
    if not user.is_confirmed:  # told only to whoever knows the password
        return api_error(403, "email_unconfirmed", N_("Confirm the account's e-mail address first, with the link "
                         "e-mailed at registration; logging in on the web site sends it again."))
    if needs_enrolment(user):
        return api_error(403, "two_factor_enrolment_required", N_(
            "Officers and administrators need two-factor sign-in: set it up under Two-factor sign-in on the account "
            "pages, then ask again with its code."))
    if user.has_two_factor:
        if not body.get("code"):
            return api_error(401, "two_factor_required", N_(
                "Two-factor sign-in is on for this account: send the authenticator's current code (or a recovery "
                "code) as `code`."))
        if not verify_second_factor(user, body["code"]):
            return api_error(401, "two_factor_invalid", WRONG_CODE, {"field": "code"})
    token = issue_token(user, label=body.get("label") or "api", days=body.get("expires_in_days"), logging_in=True)
    issued = token_for_bearer(token)
    return {"token": token, "token_type": "Bearer", "expires_at": issued.expires_at if issued else None}


@bp.get("/tokens")
@bp.response(200, ApiTokenSchema(many=True))
def list_tokens() -> list[ApiToken]:
    """Your tokens, newest first, with when each expires and was last used; revoked and expired ones too."""
    return tokens_of(current_actor())


@bp.delete("/tokens/<int(max=2147483647):token_id>")
@bp.response(204)
@bp.alt_response(404, description="Not one of your tokens (administrators: no such token)")
def revoke_own_token(token_id: int) -> None:
    """Revoke one of your tokens (the one this request carries too), or, for an administrator, anyone's; it stops
    working at once."""
    revoke_token(load_token(token_id, current_actor()), actor=current_actor())


@bp.get("/users/<int(max=2147483647):user_id>/tokens")
@bp.response(200, ApiTokenSchema(many=True))
@bp.alt_response(403, description="Not an administrator")
@bp.alt_response(404, description="No such account")
def user_tokens(user_id: int) -> list[ApiToken]:
    """An account's tokens, for administrators (revoke one with DELETE /tokens/{id})."""
    return tokens_of(load_account_for_admin(user_id, current_actor()))


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
