"""An officer changes a call's settings: deadline, money, award cap, page limit, consortium rules."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from app.countries import is_country_code
from app.enums import Role
from app.extensions import db
from app.models import Call, User
from app.services.audit import record_event
from app.services.errors import InvalidInput, NotAllowed
from app.services.proposals import parse_amount

EDITABLE = ("opens_at", "deadline", "budget", "max_awards", "max_grant_per_proposal", "page_limit", "min_partners",
            "min_countries", "eligible_countries", "duration_min_months", "duration_max_months")


def _as_text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _positive(value: Any, field: str, errors: dict[str, str], *, allow_none: bool, minimum: int = 1) -> int | None:
    if value is None or value == "":
        if not allow_none:
            errors[field] = "Required."
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors[field] = "Give a whole number."
        return None
    if number < minimum:
        errors[field] = f"At least {minimum}."
    return number


def update_call_settings(call: Call, *, actor: User, changes: Mapping[str, Any]) -> list[str]:
    """Apply the changed settings; returns the names of the fields that changed.

    Side effects: the call's columns, one audit event with the old and new value of each changed field.
    """
    if not actor.has_role(Role.OFFICER, Role.ADMIN):
        raise NotAllowed("Only programme officers change a call's settings.")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"These settings cannot be changed here: {', '.join(sorted(unknown))}.",
                           details={"fields": {name: "Not editable." for name in sorted(unknown)}})
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for field in ("opens_at", "deadline"):
        if field in changes:
            value = changes[field]
            if not isinstance(value, datetime) or value.tzinfo is None:
                errors[field] = "Give a date and time with its time zone."
            else:
                clean[field] = value.replace(microsecond=0)
    for field in ("budget", "max_grant_per_proposal"):
        if field in changes:
            try:
                clean[field] = parse_amount(changes[field])
            except ValueError as error:
                errors[field] = str(error)
    for field, allow_none in (("max_awards", True), ("page_limit", True), ("min_partners", False),
                              ("min_countries", False), ("duration_min_months", True),
                              ("duration_max_months", True)):
        if field in changes:
            clean[field] = _positive(changes[field], field, errors, allow_none=allow_none)
    if "eligible_countries" in changes:
        codes = [str(code).strip().upper() for code in changes["eligible_countries"] or [] if str(code).strip()]
        wrong = [code for code in codes if not is_country_code(code)]
        if wrong:
            errors["eligible_countries"] = f"Unknown country codes: {', '.join(wrong)}."
        clean["eligible_countries"] = sorted(set(codes))

    merged = {field: clean.get(field, getattr(call, field)) for field in EDITABLE}
    if not errors:
        if merged["opens_at"] >= merged["deadline"]:
            errors["deadline"] = "The deadline must be after the opening."
        if merged["min_countries"] > merged["min_partners"]:
            errors["min_countries"] = "Cannot exceed the minimum number of partners."
        low, high = merged["duration_min_months"], merged["duration_max_months"]
        if low is not None and high is not None and low > high:
            errors["duration_max_months"] = "Cannot be shorter than the minimum duration."
        cap, budget = merged["max_grant_per_proposal"], merged["budget"]
        if cap is not None and budget is not None and cap > budget:
            errors["max_grant_per_proposal"] = "Cannot exceed the call's budget."
    if errors:
        first_field, first = next(iter(errors.items()))
        raise InvalidInput(first if len(errors) == 1 else f"{len(errors)} settings are not valid: {first}",
                           details={"fields": errors, **({"field": first_field} if len(errors) == 1 else {})})

    changed = {}
    for field, value in clean.items():
        old = getattr(call, field)
        if old != value:
            changed[field] = {"from": _as_text(old), "to": _as_text(value)}
            setattr(call, field, value)
    if changed:
        db.session.flush()
        record_event(actor, "call.settings_changed", object_type="call", object_id=call.code, changes=changed)
    return sorted(changed)
