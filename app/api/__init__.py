"""The JSON API at /api/v1: bearer tokens, one error shape, an OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import flask_smorest
from flask import g, request
from flask_smorest import Api
from marshmallow import fields

from app.clock import utcnow
from app.extensions import csrf
from app.queries.accounts import is_usable, token_for_bearer
from app.services.tokens import note_token_use
from app.web.transaction import committing

# flask-smorest's abort raises the HTTP error in the API's error shape; named here with the type that says so.
abort: Callable[..., NoReturn] = flask_smorest.abort

F = TypeVar("F", bound=Callable[..., Any])


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's blueprint, whose `response` commits an operation's writes before serialising its result
    (app.web.transaction.committing): operations never commit themselves."""

    def response(self, *args: Any, **kwargs: Any) -> Callable[[Any], Any]:
        serialise = super().response(*args, **kwargs)
        return lambda view: serialise(committing(view))


bp = Blueprint("api", __name__, url_prefix="/api/v1", description="Eurogrants JSON API")
# Bearer tokens are not sent by browsers on their own, so cross-site requests cannot forge them: no CSRF.
csrf.exempt(bp)

PUBLIC_ENDPOINTS: set[str] = set()


def public(view: F) -> F:
    """Mark an API view as reachable without a token."""
    PUBLIC_ENDPOINTS.add(f"api.{view.__name__}")
    return view


@bp.before_request
def _authenticate() -> None:
    g.api_user = None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        api_token = token_for_bearer(token.strip())
        if api_token is not None and api_token.revoked_at is None and api_token.expires_at <= utcnow():
            abort(401, message=f"The bearer token expired at {api_token.expires_at:%Y-%m-%d %H:%M} UTC: ask "
                               "POST /api/v1/tokens for a new one.", error_code="token_expired")
        if api_token is None or not is_usable(api_token):
            abort(401, message="The bearer token is unknown or revoked.")
        g.api_user = api_token.user
        g.api_token = api_token
        note_token_use(api_token)
    if g.api_user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        abort(401, message="Send a bearer token: Authorization: Bearer <token>.")


def register_api(api: Api) -> None:
    from app.api import (
        assessments,  # noqa: F401 - the officer's assessment of a call for expression of interest
        call_texts,  # noqa: F401 - a call's own texts in French and German
        calls,  # noqa: F401 - opening, copying, changing, publishing and archiving calls
        evaluations,  # noqa: F401 - evaluation: pool, assignments, reports, consensus
        letters,  # noqa: F401 - decision letters
        personal_data,  # noqa: F401 - a person's own data, the texts people accept
        proposals,  # noqa: F401 - proposal intake
        redress,  # noqa: F401 - evaluation review (redress) requests
        routes,  # noqa: F401 - registers the views on bp
        selections,  # noqa: F401 - ranking and selection
        ties_offers,  # noqa: F401 - residual ties and transfer offers
    )

    # Money and scores travel as exact decimal strings ("1400000.00"), never as JSON floats.
    api.register_field(fields.Decimal, "string", "decimal")
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearerAuth": []}]
    api.register_blueprint(bp)
