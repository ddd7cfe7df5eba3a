"""A call's configuration as typed input: every setting an officer creates a call with or changes, organised by the
sections of the call's page (`SECTIONS`), parsed at the edge like `app.inputs` (problems by field, UNSET for what
the input does not mention). The rules that need the whole call (the money, the tie-break keys) are checked by the
service on the call as it will be (`app.services.call_settings`), so that the page and the API refuse alike.
Each problem is written in the language of the request that parses (the page's, or the API's Accept-Language),
English outside a request; the field names stay the same.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.countries import is_country_code
from app.enums import DocumentKind, OrganisationType
from app.inputs import UNSET, Unset, _Parsed, _Problems
from app.languages import N_
from app.models.limits import (
    MAX_CRITERIA,
    MAX_EVALUATORS_PER_PROPOSAL,
    MAX_PRIVACY_CONTACT,
    MAX_RESERVE_SIZE,
    MAX_STRAND,
    MAX_STRANDS,
    MAX_TITLE,
)
from app.translation import gettext, ngettext

# The sections of a call's configuration, in the order of its page; each setting belongs to one.
SECTIONS: Final = {
    "identity": ("code", "title", "programme", "kind", "description"),
    "dates": ("opens_at", "deadline", "time_zone"),
    "money": ("budget", "max_awards", "max_grant_per_proposal", "budget_policy", "reserve_size"),
    "eligibility": ("min_partners", "min_countries", "eligible_countries", "page_limit", "duration_min_months",
                    "duration_max_months", "organisation_types", "required_annexes", "optional_annexes"),
    "strands": ("strands", "strand_label", "coverage_field"),
    "evaluation": ("evaluators_per_proposal", "evaluation_deadline", "country_conflict", "country_conflict_scope",
                   "country_conflict_strength"),
    "scoring": ("evaluation_mode", "criteria", "overall_threshold", "tie_break"),
    "texts": ("letter_contact", "grant_preparation_days", "redress_days", "redress_unopened_days", "privacy_controller",
              "privacy_dpo", "redress_wording"),
}

# How the officer's messages name each setting, in the order of the call's page.
SETTING_NAMES: Final = {
    "code": N_("code"), "title": N_("title"), "programme": N_("programme"), "kind": N_("kind"),
    "description": N_("description"), "opens_at": N_("opening"), "deadline": N_("deadline"),
    "time_zone": N_("time zone"), "budget": N_("budget"), "max_awards": N_("award cap"),
    "max_grant_per_proposal": N_("maximum grant per proposal"), "budget_policy": N_("budget policy"),
    "reserve_size": N_("reserve list size"), "min_partners": N_("minimum partners"),
    "min_countries": N_("minimum countries"), "eligible_countries": N_("eligible countries"),
    "page_limit": N_("page limit"), "duration_min_months": N_("shortest duration"),
    "duration_max_months": N_("longest duration"), "strands": N_("strands"), "strand_label": N_("strand label"),
    "coverage_field": N_("coverage rule"), "evaluators_per_proposal": N_("evaluators per proposal"),
    "evaluation_deadline": N_("evaluation deadline"), "country_conflict": N_("same-country conflict"),
    "country_conflict_scope": N_("countries kept away"), "country_conflict_strength": N_("country rule's strength"),
    "evaluation_mode": N_("evaluation mode"), "criteria": N_("criteria"),
    "overall_threshold": N_("overall threshold"), "tie_break": N_("tie-break order"),
    "letter_contact": N_("letters' contact point"), "grant_preparation_days": N_("days to grant preparation"),
    "redress_days": N_("days to request a review"),
    "redress_unopened_days": N_("days until an unopened letter counts as received"),
    "privacy_controller": N_("controller's contact"), "privacy_dpo": N_("data protection officer's contact"),
    "organisation_types": N_("eligible organisation types"), "required_annexes": N_("required annexes"),
    "optional_annexes": N_("optional annexes"), "redress_wording": N_("means of redress in letters"),
}
# What a new call must say (everything else has a default).
REQUIRED_TO_CREATE: Final = ("code", "title", "programme", "kind", "opens_at", "deadline", "criteria")
KINDS: Final = ("grant", "event")
# experts: evaluators score the proposals; assessment: the officer assesses them (a call for expression of interest).
EVALUATION_MODES: Final = ("experts", "assessment")
BUDGET_POLICIES: Final = ("skip", "stop")
COUNTRY_SCOPES: Final = ("coordinator", "consortium")  # app.enums.CountryScope
COUNTRY_STRENGTHS: Final = ("hard", "soft")  # app.enums.RuleStrength without "off": country_conflict switches it
# The proposal fields a coverage rule may name (what app.queries.selection gives the core of each proposal).
COVERAGE_FIELDS: Final = ("strand",)
ORGANISATION_TYPES: Final = tuple(t.value for t in OrganisationType)
ANNEX_TYPES: Final = tuple(k.value for k in DocumentKind)
CODE_PATTERN: Final = re.compile(r"[A-Z0-9][A-Z0-9-]{1,59}")
CRITERION_KEY: Final = re.compile(r"[a-z][a-z0-9_]{0,39}")
TEXT_LIMITS: Final = {"title": MAX_TITLE, "programme": 200, "description": 20_000, "strand_label": 60,
                      "letter_contact": 200, "privacy_controller": MAX_PRIVACY_CONTACT,
                      "privacy_dpo": MAX_PRIVACY_CONTACT, "redress_wording": 2000}


def changed_names(names: list[str]) -> str:
    """'deadline, eligible countries': the changed settings as the officer's message names them, in the language
    being spoken."""
    return ", ".join(gettext(SETTING_NAMES[name]) for name in names)


@dataclass(frozen=True)
class CriterionInput:
    """One award criterion as the call will score it: from 0 to `max` in half points."""

    key: str
    name: str
    description: str = ""
    max: Decimal = Decimal(5)
    weight: Decimal = Decimal(1)
    threshold: Decimal | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "name": self.name, "description": self.description, "max": str(self.max),
                "weight": str(self.weight), "threshold": None if self.threshold is None else str(self.threshold)}


@dataclass(frozen=True, kw_only=True)
class CallSettings(_Parsed):
    """A call's settings, normalised (see `app.inputs` for UNSET): times to the second and with their zone, amounts
    in cents, eligible countries as a sorted set of upper-case codes, criteria in their order."""

    code: str | Unset = UNSET
    title: str | Unset = UNSET
    programme: str | Unset = UNSET
    kind: str | Unset = UNSET
    description: str | Unset = UNSET
    opens_at: datetime | Unset = UNSET
    deadline: datetime | Unset = UNSET
    time_zone: str | Unset = UNSET
    budget: Decimal | None | Unset = UNSET
    max_awards: int | None | Unset = UNSET
    max_grant_per_proposal: Decimal | None | Unset = UNSET
    budget_policy: str | Unset = UNSET
    reserve_size: int | None | Unset = UNSET
    min_partners: int | None | Unset = UNSET  # None only with a problem: required
    min_countries: int | None | Unset = UNSET
    eligible_countries: tuple[str, ...] | Unset = UNSET
    page_limit: int | None | Unset = UNSET
    duration_min_months: int | None | Unset = UNSET
    duration_max_months: int | None | Unset = UNSET
    strands: tuple[str, ...] | Unset = UNSET
    strand_label: str | Unset = UNSET
    coverage_field: str | None | Unset = UNSET
    evaluators_per_proposal: int | None | Unset = UNSET
    evaluation_deadline: datetime | None | Unset = UNSET
    country_conflict: bool | Unset = UNSET
    country_conflict_scope: str | Unset = UNSET
    country_conflict_strength: str | Unset = UNSET
    evaluation_mode: str | Unset = UNSET
    criteria: tuple[CriterionInput, ...] | Unset = UNSET
    overall_threshold: Decimal | None | Unset = UNSET
    tie_break: tuple[str, ...] | Unset = UNSET
    letter_contact: str | Unset = UNSET
    grant_preparation_days: int | None | Unset = UNSET
    redress_days: int | None | Unset = UNSET  # None: the instance's REDRESS_DAYS
    redress_unopened_days: int | None | Unset = UNSET  # None: the instance's REDRESS_UNOPENED_DAYS
    privacy_controller: str | Unset = UNSET  # the contacts in the call's privacy statement ("": the instance's)
    privacy_dpo: str | Unset = UNSET
    organisation_types: tuple[str, ...] | Unset = UNSET  # () : any type
    required_annexes: tuple[str, ...] | Unset = UNSET
    optional_annexes: tuple[str, ...] | Unset = UNSET
    redress_wording: str | Unset = UNSET  # "": the standard wording, translated

    def given(self) -> dict[str, Any]:
        """The settings this input sets, by name, in the order of the call's page."""
        return self._given(SETTING_NAMES)

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> CallSettings:
        """The settings as typed (aware datetimes, numbers, Decimals, codes, criteria); nothing is refused here."""
        problems = _Problems()
        values: dict[str, Any] = {}
        _parse_identity(raw, values, problems)
        _parse_dates(raw, values, problems)
        _parse_numbers(raw, values, problems)
        _parse_lists(raw, values, problems)
        if "criteria" in raw:
            values["criteria"] = _criteria(raw["criteria"], problems)
        if "overall_threshold" in raw:
            values["overall_threshold"] = _score(raw["overall_threshold"], "overall_threshold", problems)
        names = {f.name for f in fields(cls)} - {f.name for f in fields(_Parsed)}
        return cls(**values, problems=problems.found, unknown=tuple(sorted(set(raw) - names)))


def _parse_identity(raw: Mapping[str, Any], values: dict[str, Any], problems: _Problems) -> None:
    if "code" in raw:
        code = str(raw["code"] or "").strip().upper()
        if not CODE_PATTERN.fullmatch(code):
            problems.found["code"] = gettext("2 to 60 capital letters, digits and hyphens, e.g. "
                                              "SMP-COSME-2027-CLUSTER-01.")
        values["code"] = code
    for name in ("title", "programme", "description", "strand_label", "letter_contact", "privacy_controller",
                 "privacy_dpo", "redress_wording"):
        if name in raw:
            values[name] = _text(raw[name], name, TEXT_LIMITS[name], problems, one_line=name in {
                "title", "programme", "strand_label", "letter_contact"})
    for name in ("title", "programme", "strand_label"):
        if name in values and not values[name]:
            problems.found[name] = gettext("Required.")
    for name, allowed in (("kind", KINDS), ("evaluation_mode", EVALUATION_MODES), ("budget_policy", BUDGET_POLICIES),
                          ("country_conflict_scope", COUNTRY_SCOPES), ("country_conflict_strength", COUNTRY_STRENGTHS)):
        if name in raw:
            values[name] = str(raw[name] or "")
            if values[name] not in allowed:
                problems.found[name] = gettext("One of: %(values)s.", values=", ".join(allowed))
    if "coverage_field" in raw:
        values["coverage_field"] = str(raw["coverage_field"] or "") or None
        if values["coverage_field"] not in (None, *COVERAGE_FIELDS):
            problems.found["coverage_field"] = gettext("Cover the strands (strand), or nothing.")
    if "country_conflict" in raw:
        values["country_conflict"] = raw["country_conflict"] in (True, "y", "yes", "on", "true", "1", 1)


def _text(value: object, name: str, limit: int, problems: _Problems, *, one_line: bool = True) -> str:
    """A text setting, spaces tidied; one longer than `limit` is a problem said in the reader's language."""
    text = problems.text(value, name, limit, one_line=one_line)
    if len(text) > limit:
        problems.found[name] = ngettext("At most %(num)d character (this has %(count)d).",
                                        "At most %(num)d characters (this has %(count)d).", limit, count=len(text))
    return text


def _parse_dates(raw: Mapping[str, Any], values: dict[str, Any], problems: _Problems) -> None:
    for name in ("opens_at", "deadline", "evaluation_deadline"):
        if name in raw:
            moment = raw[name]
            if moment is None and name == "evaluation_deadline":
                values[name] = None
            elif not isinstance(moment, datetime) or moment.tzinfo is None:
                problems.found[name] = gettext("Give a date and time with its time zone.")
            else:
                values[name] = moment.replace(microsecond=0)
    if "time_zone" in raw:
        values["time_zone"] = zone = str(raw["time_zone"] or "").strip()
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.found["time_zone"] = gettext("Not a time zone of the IANA database (e.g. Europe/Brussels).")


def _parse_numbers(raw: Mapping[str, Any], values: dict[str, Any], problems: _Problems) -> None:
    for name in ("budget", "max_grant_per_proposal"):
        if name in raw:
            values[name] = problems.amount(raw[name], name)
    for name, required in (("max_awards", False), ("page_limit", False), ("min_partners", True),
                           ("min_countries", True), ("duration_min_months", False), ("duration_max_months", False),
                           ("evaluators_per_proposal", True), ("grant_preparation_days", False),
                           ("redress_days", False), ("redress_unopened_days", False)):
        if name in raw:
            values[name] = _positive(raw[name], name, problems, required=required)
    if values.get("evaluators_per_proposal") and values["evaluators_per_proposal"] > MAX_EVALUATORS_PER_PROPOSAL:
        problems.found["evaluators_per_proposal"] = gettext("At most %(count)d.", count=MAX_EVALUATORS_PER_PROPOSAL)
    if "reserve_size" in raw:
        size = problems.whole_number(raw["reserve_size"] if raw["reserve_size"] != "" else 0, "reserve_size",
                                     gettext("Give a whole number."))
        if size is not None and not 0 <= size <= MAX_RESERVE_SIZE:
            problems.found["reserve_size"] = gettext("From 0 to %(count)d.", count=MAX_RESERVE_SIZE)
        values["reserve_size"] = size


UNKNOWN_ANNEX_TYPES: Final = N_("Unknown annex types: %(wrong)s (one of: %(allowed)s).")


def _parse_lists(raw: Mapping[str, Any], values: dict[str, Any], problems: _Problems) -> None:
    if "eligible_countries" in raw:
        codes = [str(code).strip().upper() for code in raw["eligible_countries"] or [] if str(code).strip()]
        wrong = [code for code in codes if not is_country_code(code)]
        if wrong:
            problems.found["eligible_countries"] = ngettext("Unknown country code: %(codes)s.",
                                                           "Unknown country codes: %(codes)s.", len(wrong),
                                                           codes=", ".join(wrong))
        values["eligible_countries"] = tuple(sorted(set(codes)))
    if "strands" in raw:
        strands = tuple(" ".join(str(s).split()) for s in raw["strands"] or [] if str(s).strip())
        if len(set(strands)) != len(strands):
            problems.found["strands"] = gettext("Each strand once.")
        elif len(strands) > MAX_STRANDS or any(len(s) > MAX_STRAND for s in strands):
            problems.found["strands"] = gettext("At most %(count)d strands of %(length)d characters.",
                                                 count=MAX_STRANDS, length=MAX_STRAND)
        values["strands"] = strands
    for name, allowed, what in (("organisation_types", ORGANISATION_TYPES,
                                 N_("Unknown organisation types: %(wrong)s (one of: %(allowed)s).")),
                                ("required_annexes", ANNEX_TYPES, UNKNOWN_ANNEX_TYPES),
                                ("optional_annexes", ANNEX_TYPES, UNKNOWN_ANNEX_TYPES)):
        if name in raw:
            values[name] = _choices(raw[name], name, allowed, what, problems)
    if "tie_break" in raw:
        keys = tuple(str(k).strip() for k in raw["tie_break"] or [] if str(k).strip())
        if len(set(keys)) != len(keys):
            problems.found["tie_break"] = gettext("Name each criterion once.")
        values["tie_break"] = keys


def _choices(items: Any, name: str, allowed: tuple[str, ...], refusal: str, problems: _Problems) -> tuple[str, ...]:
    """A set of enum values in the enum's order (the order they were ticked or sent in means nothing); `refusal` names
    the values not allowed (a catalogue message with `%(wrong)s` and `%(allowed)s`)."""
    chosen = {str(item).strip() for item in items or [] if str(item).strip()}
    wrong = sorted(chosen - set(allowed))
    if wrong:
        problems.found[name] = gettext(refusal, wrong=", ".join(wrong), allowed=", ".join(allowed))
    return tuple(value for value in allowed if value in chosen)


def _criteria(items: Any, problems: _Problems) -> tuple[CriterionInput, ...]:
    """The criteria in order; problems named `criteria.<1-based index>.<field>`. None at all is a problem of the
    whole call (`app.services.call_settings`): a call selected by assessment needs none."""
    if not items:
        return ()
    if len(items) > MAX_CRITERIA:
        problems.found["criteria"] = gettext("At most %(count)d criteria.", count=MAX_CRITERIA)
    cleaned, keys = [], set()
    for index, item in enumerate(items, start=1):
        where = f"criteria.{index}"
        key = str(item.get("key") or "").strip()
        if not CRITERION_KEY.fullmatch(key):
            problems.found[f"{where}.key"] = gettext("A short key in small letters, digits and _, e.g. relevance.")
        elif key in keys:
            problems.found[f"{where}.key"] = gettext("Each criterion has its own key.")
        keys.add(key)
        name = _text(item.get("name"), f"{where}.name", 200, problems)
        if not name:
            problems.found[f"{where}.name"] = gettext("Required.")
        description = _text(item.get("description"), f"{where}.description", 5000, problems, one_line=False)
        top = _score(item.get("max", 5), f"{where}.max", problems, required=True)
        if top is not None and top <= 0:
            problems.found[f"{where}.max"] = gettext("Above 0.")
        weight = _score(item.get("weight", 1), f"{where}.weight", problems, required=True, places=2)
        if weight is not None and weight <= 0:
            problems.found[f"{where}.weight"] = gettext("A weight is positive (above 0).")
        top, weight = top or Decimal(5), weight or Decimal(1)  # kept only with a problem named
        threshold = _score(item.get("threshold"), f"{where}.threshold", problems)
        if threshold is not None and not 0 <= threshold <= top:
            problems.found[f"{where}.threshold"] = gettext("Within the scale, 0 to %(max)s.", max=top)
        cleaned.append(CriterionInput(key, name, description, top, weight, threshold))
    return tuple(cleaned)


def tidy(number: Decimal) -> Decimal:
    """A number as people write it: 5 not 5.0 nor 5E+0, 1.5 not 1.50."""
    return number.to_integral_value() if number == number.to_integral_value() else number.normalize()


def _score(value: Any, name: str, problems: _Problems, *, required: bool = False, places: int = 1) -> Decimal | None:
    """A scale, threshold (one decimal, as scores are stored) or weight (`places=2`): a number below 1000."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.found[name] = gettext("Required.")
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        problems.found[name] = gettext("Give a number, e.g. 3 or 1.5.")
        return None
    step = Decimal(1).scaleb(-places)
    if not number.is_finite() or abs(number) >= 1000 or number != number.quantize(step):
        problems.found[name] = ngettext("Give a number below 1000 with at most %(num)d decimal.",
                                         "Give a number below 1000 with at most %(num)d decimals.", places)
        return None
    return tidy(number)


def _positive(value: object, name: str, problems: _Problems, *, required: bool) -> int | None:
    if value is None or value == "":
        if required:
            problems.found[name] = gettext("Required.")
        return None
    number = problems.whole_number(value, name, gettext("Give a whole number."))
    if number is not None and number < 1:
        problems.found[name] = gettext("At least 1.")
    return number
