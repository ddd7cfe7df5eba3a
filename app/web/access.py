"""Role guards and per-object loaders shared by the blueprints."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, abort
from flask_login import current_user

from app.enums import Role
from app.extensions import login_manager

F = TypeVar("F", bound=Callable[..., Any])


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

        return wrapper  # type: ignore[return-value]

    return decorator
