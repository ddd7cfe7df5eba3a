"""An officer changes a call's settings: deadline, money, award cap, page limit, consortium rules."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.countries import is_country_code
from app.enums import ProposalStatus
from app.extensions import db
from app.formatting import format_local
from app.models import Call, Proposal, User
from app.queries.access import require_officer
from app.services.audit import record_event
from app.services.errors import ConfirmationRequired, InvalidInput
from app.services.proposals import parse_amount

EDITABLE = ("opens_at", "deadline", "budget", "max_awards", "max_grant_per_proposal", "page_limit", "min_partners",
            "min_countries", "eligible_countries", "duration_min_months", "duration_max_months", "privacy_controller",
            "privacy_dpo")
# How the officer's messages name each setting, in the order of the settings form.
SETTING_NAMES = {
    "opens_at": "opening", "deadline": "deadline", "budget": "budget", "max_awards": "award cap",
    "max_grant_per_proposal": "maximum grant per proposal", "page_limit": "page limit",
    "min_partners": "minimum partners", "min_countries": "minimum countries",
    "eligible_countries": "eligible countries", "duration_min_months": "shortest duration",
    "duration_max_months": "longest duration", "privacy_controller": "controller's contact",
    "privacy_dpo": "data protection officer's contact",
}
# The contacts printed in the call's privacy statement (app/privacy/map.py generates the rest).
PRIVACY_CONTACT_LIMIT = 1000


def _as_text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _unchanged(field: str, old: Any, new: Any) -> bool:
    """Whether `new` says the same as `old` in the sense of the rule, not of the Python value.

    Eligible countries are a set (the order they were typed or seeded in means nothing); amounts compare as
    decimals (42000000 is 42000000.00); times compare as instants to the second, the precision the settings
    have (a stored time may carry microseconds that no form can show).
    """
    if field == "eligible_countries":
        return set(old or []) == set(new or [])
    if isinstance(old, datetime) and isinstance(new, datetime):
        return old.replace(microsecond=0) == new.replace(microsecond=0)
    return bool(old == new)


def changed_names(fields: list[str]) -> str:
    """'deadline, eligible countries': the changed settings as the officer's message names them."""
    return ", ".join(SETTING_NAMES[field] for field in fields)


def extensions_overtaken(call: Call, deadline: datetime) -> list[Proposal]:
    """The proposals whose extension gives them more time today but would not with the call's deadline at `deadline`.

    Their extension then ends at or before the call's deadline, so they get the call's deadline like every other
    proposal (`Proposal.effective_deadline`); nobody loses time, but the officer should know before saving.
    """
    if deadline <= call.deadline:
        return []
    return list(db.session.scalars(
        sa.select(Proposal).where(Proposal.call_id == call.id, Proposal.status != ProposalStatus.WITHDRAWN,
                                  Proposal.extended_deadline > call.deadline, Proposal.extended_deadline <= deadline)
        .order_by(Proposal.number)))


def overtaken_token(proposals: list[Proposal]) -> str:
    """What confirms exactly these overtaken extensions: another extension or another deadline needs a new look."""
    text = ";".join(f"{p.id}@{p.extended_deadline.isoformat() if p.extended_deadline else ''}" for p in proposals)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _require_confirmation(call: Call, deadline: datetime, confirm: str | None) -> list[Proposal]:
    overtaken = extensions_overtaken(call, deadline)
    if overtaken and confirm != overtaken_token(overtaken):
        zone = call.time_zone
        count = len(overtaken)
        raise ConfirmationRequired(
            f"With the deadline at {format_local(deadline, zone)}, {count} granted extension"
            f"{'s end' if count != 1 else ' ends'} at or before it: "
            f"{'those proposals get' if count != 1 else 'that proposal gets'} the call's deadline. Confirm to save.",
            details={"token": overtaken_token(overtaken), "extensions": [
                {"proposal": p.id, "reference": p.reference, "acronym": p.acronym,
                 "extended_deadline": p.extended_deadline.isoformat() if p.extended_deadline else None}
                for p in overtaken]})
    return overtaken


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


def update_call_settings(call: Call, *, actor: User, changes: Mapping[str, Any],
                         confirm: str | None = None) -> list[str]:
    """Apply the settings that really change; returns their field names in the form's order (empty: no change).

    A later deadline that overtakes granted extensions is refused with ConfirmationRequired (409: the proposals
    and a token) unless `confirm` is that token.
    Side effects: the call's changed columns and, only if something changed, one audit event with the old and
    new value of exactly those fields (and the extensions the new deadline overtook).
    """
    require_officer(actor, to="change a call's settings")
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
    for field in ("privacy_controller", "privacy_dpo"):
        if field in changes:
            text = str(changes[field] or "").strip()
            if len(text) > PRIVACY_CONTACT_LIMIT:
                errors[field] = f"At most {PRIVACY_CONTACT_LIMIT} characters."
            clean[field] = text

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

    changed_fields = [field for field in EDITABLE
                      if field in clean and not _unchanged(field, getattr(call, field), clean[field])]
    if not changed_fields:
        return []
    overtaken = _require_confirmation(call, clean["deadline"], confirm) if "deadline" in changed_fields else []
    changes_made = {}
    for field in changed_fields:
        old, new = getattr(call, field), clean[field]
        if field == "eligible_countries":
            old = sorted(old or [])
        changes_made[field] = {"from": _as_text(old), "to": _as_text(new)}
        setattr(call, field, new)
    db.session.flush()
    extra = {"overtaken_extensions": [p.reference for p in overtaken]} if overtaken else {}
    record_event(actor, "call.settings_changed", object_type="call", object_id=call.code, changes=changes_made,
                 **extra)
    return changed_fields
