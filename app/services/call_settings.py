"""An officer changes a call's settings: deadline, money, award cap, page limit, consortium rules."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from app.extensions import db
from app.formatting import format_local
from app.inputs import SETTING_NAMES, CallSettings
from app.models import Call, Proposal, User
from app.queries.access import require_officer
from app.queries.calls import extensions_overtaken, overtaken_token
from app.services.audit import record_event
from app.services.errors import ConfirmationRequired, InvalidInput


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


def _refuse_invalid(call: Call, settings: CallSettings) -> None:
    """InvalidInput naming what app.inputs found unstorable or, when all is storable, the settings that would
    break the call's invariants once merged with the settings left as they are."""
    if settings.unknown:
        raise InvalidInput(f"These settings cannot be changed here: {', '.join(settings.unknown)}.",
                           details={"fields": {name: "Not editable." for name in settings.unknown}})
    problems = dict(settings.problems)
    if not problems:
        merged: dict[str, Any] = {name: getattr(call, name) for name in SETTING_NAMES} | settings.given()
        if merged["opens_at"] >= merged["deadline"]:
            problems["deadline"] = "The deadline must be after the opening."
        if merged["min_countries"] > merged["min_partners"]:
            problems["min_countries"] = "Cannot exceed the minimum number of partners."
        low, high = merged["duration_min_months"], merged["duration_max_months"]
        if low is not None and high is not None and low > high:
            problems["duration_max_months"] = "Cannot be shorter than the minimum duration."
        cap, budget = merged["max_grant_per_proposal"], merged["budget"]
        if cap is not None and budget is not None and cap > budget:
            problems["max_grant_per_proposal"] = "Cannot exceed the call's budget."
    if problems:
        raise InvalidInput.naming(problems, several="settings are not valid")


def update_call_settings(call: Call, *, actor: User, settings: CallSettings, confirm: str | None = None) -> list[str]:
    """Apply the settings that really change; returns their field names in the form's order (empty: no change).

    A later deadline that overtakes granted extensions is refused with ConfirmationRequired (409: the proposals
    and a token) unless `confirm` is that token.
    Side effects: the call's changed columns and, only if something changed, one audit event with the old and
    new value of exactly those fields (and the extensions the new deadline overtook).
    """
    require_officer(actor, to="change a call's settings")
    _refuse_invalid(call, settings)
    given = settings.given()
    changed_fields = [name for name, new in given.items() if not _unchanged(name, getattr(call, name), new)]
    if not changed_fields:
        return []
    overtaken = _require_confirmation(call, given["deadline"], confirm) if "deadline" in changed_fields else []
    changes_made = {}
    for name in changed_fields:
        old, new = getattr(call, name), given[name]
        if name == "eligible_countries":
            old, new = sorted(old or []), list(new)
        changes_made[name] = {"from": _as_text(old), "to": _as_text(new)}
        setattr(call, name, new)
    db.session.flush()
    extra = {"overtaken_extensions": [p.reference for p in overtaken]} if overtaken else {}
    record_event(actor, "call.settings_changed", object_type="call", object_id=call.code, changes=changes_made,
                 **extra)
    return changed_fields
