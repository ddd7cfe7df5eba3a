"""Access at the door: the signed-in actor, role guards for blueprints and routes.

The rules themselves (who may see which proposal, run, letter …) and the loaders that apply them live in
`app.queries.access`; these helpers only put the actor of a request in front of them:

- `current_actor()` is the user a service acts for: the bearer token's user in the API, the logged-in user on pages.
- `guard_blueprint(bp, *roles)`: every route of a blueprint needs one of the roles (anonymous: the log-in page).
- `role_required(*roles)`: a stricter guard for one route inside a guarded blueprint.
- `actor_key()`: the rate-limit bucket of the signed-in account; `annex_upload_limit`, the one limit that the
  annex uploads of the pages and of the API share, per account (each upload is read by a limited process).
- `register_enrolment_gate`: officers and administrators set up two-factor sign-in before any other page.
- `officer_required`: an API operation for officers and administrators only, refused (403) before its body or query
  is even read, so no validation detail leaks to other roles.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

from flask import Blueprint, Flask, abort, current_app, flash, g, redirect, request, url_for
from flask_login import current_user

from app.enums import Role
from app.extensions import limiter, login_manager
from app.queries.access import require_officer
from app.queries.two_factor import needs_enrolment
from app.translation import gettext
from app.web.errors import is_api_request

if TYPE_CHECKING:
    from app.models import User

F = TypeVar("F", bound=Callable[..., Any])


def current_actor() -> User:
    """The user this request acts for (our model, not Flask-Login's proxy): the services' `actor`."""
    if is_api_request():
        api_user: User = g.api_user
        return api_user
    user: User = current_user._get_current_object()
    return user


def signed_in_actor() -> User | None:
    """The user this request acts for, or None for an anonymous visitor of a public page."""
    if is_api_request():
        api_user: User | None = g.get("api_user")
        return api_user
    user: User | None = current_user._get_current_object() if current_user.is_authenticated else None
    return user


def actor_key() -> str:
    """The rate-limit key of the signed-in account, for limits checked inside a guarded view (the guard has run);
    the address for anyone else (a limit is checked before an API operation's own 401)."""
    actor = g.get("api_user") if is_api_request() else current_user
    if actor is not None and getattr(actor, "is_authenticated", False):
        return f"account:{actor.id}"
    return f"address:{request.remote_addr}"


annex_upload_limit = limiter.shared_limit(lambda: str(current_app.config["UPLOAD_RATE_LIMIT"]), "annex-uploads",
                                          key_func=actor_key, methods=["POST"])


def guard_blueprint(bp: Blueprint, *roles: Role) -> None:
    """Every route of `bp` needs a logged-in user holding one of `roles`: no route can forget it."""

    @bp.before_request
    def _require_role() -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.has_role(*roles):
            abort(403)
        return None


def role_required(*roles: Role) -> Callable[[F], F]:
    """A stricter guard for one route inside an already guarded blueprint."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorator


def officer_required(view: F) -> F:
    """An API operation for officers and administrators (NotAllowed, 403, for others).

    Placed right under the route decorator, so that it wraps flask-smorest's argument parsing; `wraps` keeps the
    OpenAPI documentation the other decorators attached to the view."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        require_officer(current_actor())
        return view(*args, **kwargs)

    return cast(F, wrapper)


# Where an officer or administrator without a second factor may still go: set it up, log out, the public pages.
_OPEN_TO_THE_UNENROLLED = ("account.two_factor", "auth.", "public.", "health.")


def register_enrolment_gate(app: Flask) -> None:
    """An officer or administrator without two-factor sign-in is sent to set it up before any other page (the
    API's token exchange refuses them instead, app/api/routes.py)."""

    @app.before_request
    def _send_staff_to_enrol() -> Any:
        endpoint = request.endpoint or ""
        if is_api_request() or endpoint == "static" or endpoint.startswith(_OPEN_TO_THE_UNENROLLED):
            return None
        if current_user.is_authenticated and needs_enrolment(current_user):
            flash(gettext("Officers and administrators sign in with two factors: set up your authenticator app to "
                          "continue."), "info")
            return redirect(url_for("account.two_factor"))
        return None
