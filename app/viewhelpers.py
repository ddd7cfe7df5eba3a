"""Small helpers the HTML views share."""

from __future__ import annotations

from flask import flash
from flask_wtf import FlaskForm

from app.services.errors import DomainError


def show_domain_error(form: FlaskForm, error: DomainError) -> None:
    """Put a service's refusal next to the field it names, or flash it when it names none."""
    field = getattr(form, str(error.details.get("field", "")), None)
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")
