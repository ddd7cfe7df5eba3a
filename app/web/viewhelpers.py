"""Small helpers the HTML views share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import flash
from flask_login import current_user
from flask_wtf import FlaskForm

from app.services.errors import DomainError

if TYPE_CHECKING:
    from app.models import User


def signed_in_user() -> User:
    """The signed-in user as our model (not Flask-Login's proxy), for the services' `actor` arguments."""
    user: User = current_user._get_current_object()  # type: ignore[attr-defined]
    return user


def show_domain_error(form: FlaskForm, error: DomainError) -> None:
    """Put a service's refusal next to the field it names, or flash it when it names none."""
    field = getattr(form, str(error.details.get("field", "")), None)
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")
