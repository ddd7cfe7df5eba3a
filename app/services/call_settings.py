"""An officer opens a call (from scratch or as a copy of another) and changes its settings; every change is checked
against the call's life cycle (`app.services.call_lifecycle`) and the rules that protect the money, and audited
with its value before and after."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from app.call_inputs import REQUIRED_TO_CREATE, SETTING_NAMES, CallSettings, CriterionInput, tidy
from app.clock import utcnow
from app.enums import BudgetPolicy, CallKind, CountryScope, EvaluationMode, RuleStrength
from app.extensions import db
from app.formatting import format_local
from app.languages import N_
from app.models import Call, Criterion, Proposal, User
from app.queries.access import require_officer
from app.queries.calls import extensions_overtaken, get_call, overtaken_token
from app.services.audit import record_event
from app.services.call_lifecycle import check_changes
from app.services.errors import ConfirmationRequired, InvalidInput
from app.translation import current_language, gettext, ngettext

TO_CHANGE = N_("change a call's settings")
# A new call's settings that the input may leave out.
DEFAULTS: dict[str, Any] = {
    "description": "", "time_zone": "Europe/Brussels", "budget": None, "max_awards": None,
    "max_grant_per_proposal": None, "budget_policy": "skip", "reserve_size": 0, "min_partners": 1,
    "min_countries": 1, "eligible_countries": (), "page_limit": None, "duration_min_months": None,
    "duration_max_months": None, "strands": (), "strand_label": "Strand", "coverage_field": None,
    "evaluators_per_proposal": 3, "evaluation_deadline": None, "country_conflict": True,
    "country_conflict_scope": "coordinator", "country_conflict_strength": "hard", "evaluation_mode": "experts",
    "overall_threshold": None,
    "tie_break": (), "letter_contact": "", "grant_preparation_days": None, "redress_days": None,
    "redress_unopened_days": None, "privacy_controller": "",
    "privacy_dpo": "", "organisation_types": (), "required_annexes": ("part_b",),
    "optional_annexes": ("support_letter",), "redress_wording": "",
}


def criterion_inputs(call: Call) -> tuple[CriterionInput, ...]:
    return tuple(CriterionInput(c.key, c.name, c.description or "", tidy(c.max_score), tidy(c.weight),
                                None if c.threshold is None else tidy(c.threshold)) for c in call.criteria)


# Settings a copy carries that are changed on other pages than the call's configuration (the assignment page's panel
# rule), so that a copy of a call evaluates like it.
SET_ON_OTHER_PAGES: Final = ("nationality_rule", "gender_rule", "gender_target", "texts")


def current_settings(call: Call) -> dict[str, Any]:
    """Every setting of the call as `CallSettings` types it (what a copy starts from, what a change compares to)."""
    values = {name: getattr(call, name) for name in SETTING_NAMES if name != "criteria"}
    values.update(kind=call.kind.value, budget_policy=call.budget_policy.value, criteria=criterion_inputs(call),
                  evaluation_mode=call.evaluation_mode.value,
                  country_conflict_scope=call.country_conflict_scope.value,
                  country_conflict_strength=call.country_conflict_strength.value,
                  eligible_countries=tuple(sorted(call.eligible_countries or [])), strands=tuple(call.strands or []),
                  tie_break=tuple(call.tie_break or []),
                  organisation_types=tuple(call.organisation_types or []),
                  required_annexes=tuple(call.required_annexes or []),
                  optional_annexes=tuple(call.optional_annexes or []))
    return values


def _as_text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple | list):
        return [item.as_dict() if isinstance(item, CriterionInput) else _as_text(item) for item in value]
    return value


# Settings that are sets of codes, whatever order they were stored or typed in.
SETS: Final = ("eligible_countries", "organisation_types", "required_annexes", "optional_annexes")


def _unchanged(field: str, old: Any, new: Any) -> bool:
    """Whether `new` says the same as `old` in the sense of the rule, not of the Python value.

    Eligible countries, organisation and annex types are sets (the order they were typed or seeded in means
    nothing); amounts compare as decimals (42000000 is 42000000.00); times compare as instants to the second, the
    precision the settings have (a stored time may carry microseconds that no form can show).
    """
    if field in SETS:
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
            ngettext("With the deadline at %(deadline)s, %(num)d granted extension ends at or before it: that "
                     "proposal gets the call's deadline. Confirm to save.",
                     "With the deadline at %(deadline)s, %(num)d granted extensions end at or before it: those "
                     "proposals get the call's deadline. Confirm to save.", count,
                     deadline=format_local(deadline, zone, locale=current_language())),
            details={"token": overtaken_token(overtaken), "extensions": [
                {"proposal": p.id, "reference": p.reference, "acronym": p.acronym,
                 "extended_deadline": p.extended_deadline.isoformat() if p.extended_deadline else None}
                for p in overtaken]})
    return overtaken


def whole_call_problems(merged: dict[str, Any]) -> dict[str, str]:
    """The rules that need the whole call, on the call as it would be (field -> message, in the language of the
    request that asked, as the page and the API show it): the dates, the consortium, the annexes, the money and the
    scoring."""
    assessed = merged["evaluation_mode"] == EvaluationMode.ASSESSMENT.value
    criteria = merged.get("criteria") or ()  # a new call selected by assessment may leave them out
    if not criteria and not assessed:
        return {"criteria": gettext("Give at least one criterion.")}
    problems: dict[str, str] = {}
    if assessed:
        problems.update(_assessment_problems(merged))
    if merged["opens_at"] >= merged["deadline"]:
        problems["deadline"] = gettext("The deadline must be after the opening.")
    if merged["evaluation_deadline"] is not None and merged["evaluation_deadline"] <= merged["deadline"]:
        problems["evaluation_deadline"] = gettext("The evaluation ends after the call's deadline.")
    if merged["min_countries"] > merged["min_partners"]:
        problems["min_countries"] = gettext("Cannot exceed the minimum number of partners.")
    low, high = merged["duration_min_months"], merged["duration_max_months"]
    if low is not None and high is not None and low > high:
        problems["duration_max_months"] = gettext("Cannot be shorter than the minimum duration.")
    cap, budget = merged["max_grant_per_proposal"], merged["budget"]
    if cap is not None and budget is not None and cap > budget:
        problems["max_grant_per_proposal"] = gettext("Cannot exceed the call's budget.")
    both = [kind for kind in merged["optional_annexes"] if kind in merged["required_annexes"]]
    if both:
        problems["optional_annexes"] = gettext("Required already: %(annexes)s. An annex type is either required or "
                                               "optional.", annexes=", ".join(both))
    if merged["coverage_field"] == "strand" and not merged["strands"]:
        problems["coverage_field"] = gettext("Covering the strands needs a list of strands.")
    keys = [criterion.key for criterion in criteria]
    unknown = [key for key in merged["tie_break"] if key not in keys]
    if unknown:
        problems["tie_break"] = gettext("Not a criterion of this call: %(unknown)s (criteria: %(keys)s).",
                                        unknown=", ".join(unknown), keys=", ".join(keys))
    top = sum((criterion.max for criterion in criteria), Decimal(0))
    threshold = merged["overall_threshold"]
    if threshold is not None and not 0 <= threshold <= top:
        problems["overall_threshold"] = gettext("Within the scale of the total, 0 to %(max)s.", max=tidy(top))
    return problems


def _assessment_problems(merged: dict[str, Any]) -> dict[str, str]:
    """A call selected by the officer's assessment gives places, not money, and has no coverage rule."""
    problems: dict[str, str] = {}
    if merged["budget"] is not None:
        problems["budget"] = gettext("A call selected by assessment has no budget: it gives places (the award cap).")
    if merged["max_grant_per_proposal"] is not None:
        problems["max_grant_per_proposal"] = gettext("A call selected by assessment grants no money.")
    if merged["max_awards"] is None:
        problems["max_awards"] = gettext("Give the number of places a call selected by assessment offers.")
    if merged["coverage_field"] is not None:
        problems["coverage_field"] = gettext("A call selected by assessment has no coverage rule.")
    return problems


def _missing(base: dict[str, Any], given: dict[str, Any]) -> dict[str, str]:
    """The required settings neither the input nor the base gives; a call selected by assessment needs no criteria."""
    mode = given.get("evaluation_mode", base.get("evaluation_mode"))
    return {name: gettext("Required.") for name in REQUIRED_TO_CREATE if name not in given and name not in base
            and not (name == "criteria" and mode == EvaluationMode.ASSESSMENT.value)}


def _refuse_invalid(base: dict[str, Any], settings: CallSettings, *,
                    missing: dict[str, str] | None = None) -> dict[str, Any]:
    """The settings merged with `base`; InvalidInput naming what is `missing`, what app.call_inputs found unstorable
    or, when all is there and storable, the settings that would break the call's rules once merged."""
    if settings.unknown:
        raise InvalidInput(N_("These settings cannot be changed here: %(names)s."),
                           details={"fields": {name: gettext("Not editable.") for name in settings.unknown}},
                           names=", ".join(settings.unknown))
    problems = {**(missing or {}), **settings.problems}
    merged = base | settings.given()
    if not problems:
        problems = whole_call_problems(merged)
    if problems:
        raise InvalidInput.naming(problems, several="settings are not valid", summary=ngettext(
            "%(num)d setting is not valid: %(first)s", "%(num)d settings are not valid: %(first)s", len(problems),
            first=next(iter(problems.values()))))
    return merged


def _set_criteria(call: Call, criteria: tuple[CriterionInput, ...]) -> None:
    """Replace the call's criteria (only before any score exists: the life cycle fixes them at the first submission).
    The old rows go first, so that the new ones may take their keys and positions."""
    call.criteria.clear()
    db.session.flush()
    call.criteria.extend(Criterion(key=c.key, name=c.name, description=c.description, max_score=c.max,
                                   weight=c.weight, threshold=c.threshold, position=position)
                         for position, c in enumerate(criteria, start=1))


def _apply(call: Call, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name == "criteria":
            _set_criteria(call, value)
        elif name == "kind":
            call.kind = CallKind(value)
        elif name == "evaluation_mode":
            call.evaluation_mode = EvaluationMode(value)
        elif name == "budget_policy":
            call.budget_policy = BudgetPolicy(value)
        elif name == "country_conflict_scope":
            call.country_conflict_scope = CountryScope(value)
        elif name == "country_conflict_strength":
            call.country_conflict_strength = RuleStrength(value)
        elif isinstance(value, tuple):
            setattr(call, name, list(value))
        else:
            setattr(call, name, value)


def update_call_settings(call: Call, *, actor: User, settings: CallSettings, confirm: str | None = None,
                         reason: str = "") -> list[str]:
    """Apply the settings that really change; returns their field names in the page's order (empty: no change).

    The call's phase decides what may change (InvalidTransition with the documented refusal, or InvalidInput when a
    deadline moves without a reason). A later deadline that overtakes granted extensions is refused with
    ConfirmationRequired (409: the proposals and a token) unless `confirm` is that token.
    Side effects: the call's changed columns and criteria and, only if something changed, one audit event with the
    old and new value of exactly those fields (the reason, and the extensions the new deadline overtook).
    """
    require_officer(actor, to=TO_CHANGE)
    before = current_settings(call)
    if isinstance(settings.code, str) and settings.code != before["code"]:
        raise InvalidInput(N_("A call's code never changes: copy the call to open another."),
                           details={"field": "code"})
    merged = _refuse_invalid(before, settings)
    changed_fields = [name for name in settings.given() if not _unchanged(name, before[name], merged[name])]
    if not changed_fields:
        return []
    check_changes(call, changed_fields, reason=reason)
    overtaken = _require_confirmation(call, merged["deadline"], confirm) if "deadline" in changed_fields else []
    changes_made = {name: {"from": _as_text(before[name]), "to": _as_text(merged[name])} for name in changed_fields}
    _apply(call, {name: merged[name] for name in changed_fields})
    db.session.flush()
    extra: dict[str, Any] = {"overtaken_extensions": [p.reference for p in overtaken]} if overtaken else {}
    if reason.strip():
        extra["reason"] = " ".join(reason.split())
    record_event(actor, "call.settings_changed", object_type="call", object_id=call.code, changes=changes_made,
                 **extra)
    return changed_fields


def new_call(values: dict[str, Any], *, published: bool) -> Call:
    """A call with these settings (all of them, checked), added to the session; a draft unless `published`."""
    call = Call(code=values["code"], kind=CallKind(values["kind"]), published_at=None)
    _apply(call, {name: value for name, value in values.items() if name not in ("code", "kind")})
    if published:
        call.published_at = utcnow()
    db.session.add(call)
    db.session.flush()
    return call


def create_call(settings: CallSettings, *, actor: User | None, copy_of: Call | None = None) -> Call:
    """Open a new call as a draft, from scratch or as a copy of `copy_of` (its criteria and rules; the input gives
    at least a new code and its dates). Refuses (InvalidInput, by field) what breaks a rule, a taken code or a
    missing required setting. Side effects: the call and its criteria, one audit event with every setting."""
    require_officer(actor, to=N_("open calls"))
    base = DEFAULTS | ({name: value for name, value in current_settings(copy_of).items()
                        if name not in ("code", "opens_at", "deadline", "evaluation_deadline")}
                       if copy_of is not None else {})
    given = settings.given()
    merged = _refuse_invalid(base, settings, missing=_missing(base, given))
    if get_call(merged["code"]) is not None:
        raise InvalidInput(N_("A call with the code %(code)s exists already."), details={"field": "code"},
                           code=merged["code"])
    call = new_call(merged, published=False)
    for name in SET_ON_OTHER_PAGES if copy_of is not None else ():
        setattr(call, name, getattr(copy_of, name))
    record_event(actor, "call.created", object_type="call", object_id=call.code,
                 source=f"copy of {copy_of.code}" if copy_of is not None else "new",
                 settings={name: _as_text(value) for name, value in merged.items()})
    return call


def load_call_record(settings: CallSettings, *, published: bool) -> Call:
    """A call from a complete record (the reference data): the same checks as an officer's new call, without the
    permission (the command line seeds it). InvalidInput names what is wrong. Side effects: the call; no audit."""
    given = settings.given()
    missing = _missing({}, given)
    return new_call(_refuse_invalid(DEFAULTS, settings, missing=missing), published=published)
