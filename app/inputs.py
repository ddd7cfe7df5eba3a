"""Typed inputs: what a form or an API body says, parsed at the edge, in the shape the services take.

Forms and API schemas build these; services store them. No Flask and no database, so that forms need not import
services (nor services forms).

`ProposalChanges.parse` and `CallSettings.parse` take the values as the edge has them (form data, a JSON body),
normalise them and name each one that cannot be stored at all in `problems` (field -> message) instead of raising:
the service decides when to refuse (after its permission, deadline and version checks, so that an answer about the
proposal's state comes first, as it always has) and refuses with exactly these messages. A field the input does not
mention is UNSET, which leaves the stored value alone; None empties it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, Final

from app.countries import is_country_code
from app.enums import OrganisationType
from app.languages import N_
from app.models.limits import (
    MAX_ABSTRACT,
    MAX_ACRONYM,
    MAX_AMOUNT,
    MAX_DURATION_MONTHS,
    MAX_EMAIL,
    MAX_KEYWORD,
    MAX_KEYWORDS,
    MAX_PARTNER_NAME,
    MAX_PARTNERS,
    MAX_STRAND,
    MAX_TITLE,
)
from app.translation import gettext


class Unset(Enum):
    """The value of a field the input does not mention."""

    UNSET = "unset"


UNSET: Final = Unset.UNSET
CENT = Decimal("0.01")


class TypedAmountError(ValueError):
    """Why a typed amount cannot be read: the English sentence, and its catalogue message with the values, for a form
    to say it in its reader's language."""

    def __init__(self, template: str, **params: str) -> None:
        super().__init__(template % params if params else template)
        self.template, self.params = template, params


def parse_amount(value: object) -> Decimal | None:
    """A non-negative amount in euros with at most two decimals, or None for an empty value; ValueError says why."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation as error:
        raise TypedAmountError(N_("Write the amount in euros, e.g. 1400000.00.")) from error
    if not amount.is_finite():
        raise TypedAmountError(N_("Write the amount in euros, e.g. 1400000.00."))
    if amount < 0:
        raise TypedAmountError(N_("The amount cannot be negative."))
    if amount > MAX_AMOUNT:  # before quantize: 1e999999 has too many digits to quantize (InvalidOperation)
        raise TypedAmountError(N_("The amount is too large."))
    if amount != amount.quantize(CENT):
        raise TypedAmountError(N_("Use at most two decimals (cents)."))
    return amount.quantize(CENT)


# What people type between thousands: spaces (also the no-break ones of copied text) and apostrophes (Swiss).
_GROUPING = str.maketrans("", "", " \u00a0\u202f'’")
_DIGITS = re.compile(r"\d+")
_GROUPED = re.compile(r"\d{1,3}(?:[.,]\d{3})+")
TYPED_AMOUNT_HELP = N_("Write the amount in euros, e.g. 1200000, 1 200 000,00 or 1,200,000.00.")



def read_typed_amount(text: str) -> Decimal | None:
    """An amount as a person types it in the common European forms, or None when empty; ValueError says why.

    "1 200 000,00", "1.200.000,00", "1,200,000.00" and "1200000" are all 1200000.00: the last separator followed
    by one or two digits marks the cents, every other separator groups thousands. One separator followed by exactly
    three digits ("1.200", "1,200") is refused: it means 1200 in one country and 1.2 in another.
    """
    compact = text.strip().translate(_GROUPING)
    if not compact:
        return None
    whole, cents = compact, ""
    last = max(compact.rfind("."), compact.rfind(","))
    if last >= 0 and 1 <= len(compact) - last - 1 <= 2:
        whole, cents = compact[:last], compact[last + 1:]
    if not whole or not (_DIGITS.fullmatch(whole) or _GROUPED.fullmatch(whole)) or (cents and not cents.isdigit()):
        raise TypedAmountError(TYPED_AMOUNT_HELP)
    groups = re.split(r"[.,]", whole)
    if not cents and len(groups) == 2:  # "1.200": twelve hundred in Brussels, one point two in Dublin
        first, rest = groups
        raise TypedAmountError(N_("“%(typed)s” can be read two ways: write %(whole)s for %(whole)s euros, or "
                                  "%(cents)s with two decimals for %(euros)s euros and cents."),
                               typed=text.strip(), whole=f"{first}{rest}", cents=f"{first},{rest[:2]}", euros=first)
    separators = {mark for mark in ".," if mark in whole}
    if len(separators) > 1 or (cents and separators and compact[last] in separators):
        raise TypedAmountError(TYPED_AMOUNT_HELP)
    return parse_amount(Decimal(whole.replace(".", "").replace(",", "") + ("." + cents if cents else "")))


class _Problems:
    """Collects what cannot be stored, field by field, while the values are parsed."""

    def __init__(self) -> None:
        self.found: dict[str, str] = {}

    def amount(self, value: object, name: str) -> Decimal | None:
        try:
            return parse_amount(value)
        except TypedAmountError as error:
            self.found[name] = gettext(error.template, **error.params)
            return None

    def text(self, value: object, name: str, limit: int, *, one_line: bool = True) -> str:
        raw = str(value or "")
        text = " ".join(raw.split()) if one_line else raw.strip()
        if len(text) > limit:
            self.found[name] = gettext("At most %(limit)d characters (this has %(length)d).", limit=limit,
                                       length=len(text))
        return text

    def at_most(self, text: str, name: str, limit: int) -> None:
        if len(text) > limit:
            self.found[name] = gettext("At most %(limit)d characters.", limit=limit)

    def whole_number(self, value: Any, name: str, message: str) -> int | None:
        try:
            return int(value)
        except (TypeError, ValueError, OverflowError):
            self.found[name] = message
            return None


@dataclass(frozen=True, kw_only=True)
class _Parsed:
    """What parsing an input found that cannot be stored: `problems` by field (field -> message), and `unknown`, the
    names given that are no field of the input at all."""

    problems: Mapping[str, str] = field(default_factory=dict)
    unknown: tuple[str, ...] = ()

    def _given(self, names: Iterable[str]) -> dict[str, Any]:
        return {name: getattr(self, name) for name in names if getattr(self, name) is not UNSET}


# -- a proposal --------------------------------------------------------------------------------------------------

# The proposal's own columns that applicants fill in (its partners are rows of their own).
PROPOSAL_COLUMNS: Final = ("acronym", "title", "abstract", "keywords", "strand", "duration_months",
                            "requested_grant")

@dataclass(frozen=True)
class PartnerInput:
    """One consortium member other than the coordinator, as the applicant typed it."""

    name: str
    country: str
    organisation_type: OrganisationType
    contact_email: str = ""
    requested_amount: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class ProposalChanges(_Parsed):
    """Some fields of a proposal, normalised: what one save changes (see the module docstring for UNSET).

    `partners` replaces every partner but the coordinator, in order; `amounts` is one requested amount per partner
    in order, the coordinator first (the service checks the count against the consortium the save leaves).
    """

    acronym: str | Unset = UNSET
    title: str | Unset = UNSET
    abstract: str | Unset = UNSET
    keywords: tuple[str, ...] | Unset = UNSET
    strand: str | None | Unset = UNSET
    duration_months: int | None | Unset = UNSET
    requested_grant: Decimal | None | Unset = UNSET
    coordinator_contact_email: str | Unset = UNSET
    partners: tuple[PartnerInput, ...] | Unset = UNSET
    amounts: tuple[Decimal | None, ...] | Unset = UNSET

    def columns(self) -> dict[str, Any]:
        """The proposal's own columns this input sets, by name, in the order the audit trail lists them."""
        given = self._given(PROPOSAL_COLUMNS)
        if "keywords" in given:  # stored as a JSON list
            given["keywords"] = list(given["keywords"])
        return given

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> ProposalChanges:
        """The changes as typed (strings, numbers, Decimals, PartnerInputs), normalised; nothing is refused here.

        Half-filled, or filled but not yet right (a strand the call does not have, a mistyped e-mail address), is
        kept as typed: the checklist says what to fix, and nothing the user wrote is lost. Only what cannot be stored
        at all is named in `problems`.
        """
        names = {f.name for f in fields(cls)} - {f.name for f in fields(_Parsed)}
        problems = _Problems()
        values: dict[str, Any] = {}
        for name in ("acronym", "title", "abstract"):
            if name in raw:
                limit = {"acronym": MAX_ACRONYM, "title": MAX_TITLE, "abstract": MAX_ABSTRACT}[name]
                values[name] = problems.text(raw[name], name, limit, one_line=name != "abstract")
        if "keywords" in raw:
            values["keywords"] = _keywords(raw["keywords"], problems)
        if "strand" in raw:
            strand = " ".join(str(raw["strand"] or "").split()) or None
            problems.at_most(strand or "", "strand", MAX_STRAND)
            values["strand"] = strand
        if "duration_months" in raw:
            values["duration_months"] = _duration(raw["duration_months"], problems)
        if "requested_grant" in raw:
            values["requested_grant"] = problems.amount(raw["requested_grant"], "requested_grant")
        if "coordinator_contact_email" in raw:
            email = (raw["coordinator_contact_email"] or "").strip()
            problems.at_most(email, "coordinator_contact_email", MAX_EMAIL)
            values["coordinator_contact_email"] = email
        if "partners" in raw:
            values["partners"] = _partners(raw["partners"], problems)
        if "amounts" in raw:
            values["amounts"] = tuple(problems.amount(value, f"amounts.{index}")
                                      for index, value in enumerate(raw["amounts"]))
        return cls(**values, problems=problems.found, unknown=tuple(sorted(set(raw) - names)))


def _keywords(value: object, problems: _Problems) -> tuple[str, ...]:
    """A list, or text separated by commas, semicolons or lines: each keyword on one line, once (case aside)."""
    items = value if isinstance(value, list | tuple) else re.split(r"[,;\n]", str(value or ""))
    keywords: dict[str, str] = {}
    for item in items:
        keyword = " ".join(str(item or "").split())
        if keyword:
            keywords.setdefault(keyword.casefold(), keyword)
    if len(keywords) > MAX_KEYWORDS or any(len(k) > MAX_KEYWORD for k in keywords.values()):
        problems.found["keywords"] = gettext("At most %(count)d keywords of %(limit)d characters each.",
                                             count=MAX_KEYWORDS, limit=MAX_KEYWORD)
    return tuple(keywords.values())


def _duration(value: object, problems: _Problems) -> int | None:
    if value in (None, ""):
        return None
    months = problems.whole_number(value, "duration_months", gettext("Give a whole number of months."))
    if months is not None and not 1 <= months <= MAX_DURATION_MONTHS:
        problems.found["duration_months"] = gettext("Between 1 and %(most)d months.", most=MAX_DURATION_MONTHS)
    return months


def _partners(partners: list[PartnerInput], problems: _Problems) -> tuple[PartnerInput, ...]:
    """Every partner but the coordinator, normalised; problems named `partners.<1-based index>.<field>`."""
    if len(partners) + 1 > MAX_PARTNERS:
        problems.found["partners"] = gettext("At most %(count)d partners.", count=MAX_PARTNERS)
    cleaned = []
    for index, partner in enumerate(partners, start=1):
        prefix = f"partners.{index}"
        name = " ".join((partner.name or "").split())
        if not name:
            problems.found[f"{prefix}.name"] = gettext("Give the partner's name.")
        problems.at_most(name, f"{prefix}.name", MAX_PARTNER_NAME)
        country = (partner.country or "").strip().upper()
        if not is_country_code(country):
            problems.found[f"{prefix}.country"] = gettext("Choose the partner's country.")
        email = (partner.contact_email or "").strip()
        problems.at_most(email, f"{prefix}.contact_email", MAX_EMAIL)
        amount = problems.amount(partner.requested_amount, f"{prefix}.requested_amount")
        cleaned.append(PartnerInput(name=name, country=country,
                                    organisation_type=OrganisationType(partner.organisation_type),
                                    contact_email=email, requested_amount=amount))
    return tuple(cleaned)


# -- an evaluation -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ScoreInput:
    """One criterion of an evaluation report, as typed: the score and its comment."""

    score: Any  # a Decimal, a number or its text; None or "" for "not scored yet"
    comment: str = ""
