"""The eligibility and admissibility checklist, computed from the call's rules.

Shown live on the proposal page and re-run inside the submission transaction; the same function for both, so
what the applicant sees is what the server enforces. It reads the proposal and never writes. Its words are in the
language being spoken (the request's; English outside a request, e.g. in the screening's records).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeAlias

from email_validator import EmailNotValidError, validate_email

from app.countries import country_name
from app.enums import DocumentKind, OrganisationType
from app.formatting import format_money
from app.models import Call, Document, Proposal
from app.translation import current_language, gettext, ngettext

if TYPE_CHECKING:
    from app.queries.submitted import SubmittedVersion, VersionAnnex

# The checklist reads a live proposal (its draft) or what was submitted (screening): the same attributes.
Checked: TypeAlias = "Proposal | SubmittedVersion"


@dataclass(frozen=True)
class Check:
    """One rule: whether the proposal meets it and, when not, what to fix and where."""

    key: str
    label: str
    ok: bool
    section: str
    fix: str = ""
    # (form field, what to fix there) when the rule concerns single fields; else FIELDS_OF_CHECK gives the field.
    at: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "ok": self.ok, "section": self.section, "fix": self.fix}


@dataclass(frozen=True)
class Checklist:
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]

    @property
    def passed(self) -> int:
        return sum(1 for check in self.checks if check.ok)

    def at_fields(self) -> dict[str, list[str]]:
        """What to fix, by the form field it is about: the section pages show it on the field itself."""
        found: dict[str, list[str]] = {}
        for check in self.failures:
            places = check.at or tuple((name, check.fix) for name in FIELDS_OF_CHECK.get(check.key, ()))
            for name, fix in places:
                found.setdefault(name, []).append(fix)
        return found

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "passed": self.passed, "total": len(self.checks),
                "checks": [check.as_dict() for check in self.checks]}


# The form field (on the section pages) that each rule is about, when it is one field or one list of fields.
FIELDS_OF_CHECK: dict[str, tuple[str, ...]] = {
    "duration": ("duration_months",),
    "partner_details": ("partners",), "min_partners": ("partners",), "min_countries": ("partners",),
    "eligible_countries": ("partners",), "organisation_types": ("partners",),
    "grant_cap": ("requested_grant",), "budget_split": ("amounts",),
}


def active_documents(proposal: Proposal) -> list[Document]:
    return [d for d in proposal.documents if d.removed_at is None]


def has_budget(call: Call) -> bool:
    """Grant calls ask for money and its split between partners; event calls do not."""
    return call.is_grant


@lru_cache(maxsize=4096)
def is_valid_email(value: str) -> bool:
    """Syntax only (no DNS); the reserved .test domain of demo and test accounts is accepted."""
    try:
        validate_email(value, check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        return False
    return True


def _summary_check(proposal: Checked, call: Call) -> Check:
    empty = gettext("Fill in this field before you submit.")
    missing = [label for label, value in (
        (gettext("acronym"), proposal.acronym), (gettext("title"), proposal.title),
        (gettext("abstract"), proposal.abstract),
    ) if not (value or "").strip()]
    at = [(field, empty) for field, value in (
        ("acronym", proposal.acronym), ("title", proposal.title), ("abstract", proposal.abstract),
    ) if not (value or "").strip()]
    wrong = ""
    if call.strands and proposal.strand not in call.strands:
        if proposal.strand:
            # The strand and its label are the call's own words (user content), quoted as the officer wrote them.
            wrong = gettext("“%(strand)s” is not one of the call's %(label)ss: choose one.",
                            strand=proposal.strand, label=call.strand_label.lower())
            at.append(("strand", wrong))
        else:
            missing.append(call.strand_label.lower())
            at.append(("strand", empty))
    if proposal.duration_months is None:
        missing.append(gettext("duration"))
        at.append(("duration_months", empty))
    fill = gettext("Fill in: %(fields)s.", fields=", ".join(missing)) if missing else ""
    fix = " ".join(part for part in (fill, wrong) if part)
    return Check("mandatory_fields", gettext("Mandatory fields are filled in"), not fix, "summary", fix, tuple(at))


def _duration_check(proposal: Checked, call: Call) -> Check | None:
    low, high = call.duration_min_months, call.duration_max_months
    if low is None and high is None:
        return None
    label = (gettext("Duration %(low)d–%(high)d months", low=low, high=high) if low is not None and high is not None
             else ngettext("Duration at least %(num)d month", "Duration at least %(num)d months", low)
             if low is not None else ngettext("Duration at most %(num)d month", "Duration at most %(num)d months",
                                              high or 0))
    months = proposal.duration_months
    ok = months is not None and (low is None or months >= low) and (high is None or months <= high)
    fix = "" if ok else (gettext("Give the duration in months.") if months is None
                         else ngettext("%(num)d month is outside the allowed range.",
                                       "%(num)d months is outside the allowed range.", months))
    return Check("duration", label, ok, "summary", fix)


def _partner_details_check(proposal: Checked) -> Check:
    problems = []
    for partner in proposal.partners:
        name = partner.name or gettext("Partner %(number)d", number=partner.position + 1)
        if not partner.country:
            problems.append(gettext("%(partner)s: country", partner=name))
        if not partner.contact_email:
            problems.append(gettext("%(partner)s: contact e-mail", partner=name))
        elif not is_valid_email(partner.contact_email):
            problems.append(gettext("%(partner)s: the contact e-mail is not a valid address", partner=name))
    return Check("partner_details", gettext("Every partner has a country and a contact e-mail"), not problems,
                 "consortium", gettext("Complete %(problems)s.", problems="; ".join(problems)) if problems else "")


def _min_partners_check(proposal: Checked, call: Call) -> Check:
    count, needed = len(proposal.partners), call.min_partners
    ok = count >= needed
    fix = "" if ok else ngettext("Add %(num)d more partner (you have %(count)d).",
                                 "Add %(num)d more partners (you have %(count)d).", needed - count, count=count)
    label = ngettext("At least %(num)d partner, the coordinator included",
                     "At least %(num)d partners, the coordinator included", needed)
    return Check("min_partners", label, ok, "consortium", fix)


def _min_countries_check(proposal: Checked, call: Call) -> Check:
    countries = {p.country for p in proposal.partners if p.country}
    needed = call.min_countries
    ok = len(countries) >= needed
    # Two numbers in one sentence: the plural follows the countries to add; the countries the partners come from
    # are a counted noun of their own.
    fix = "" if ok else ngettext(
        "Partners come from %(countries)s; add partners from %(num)d more country.",
        "Partners come from %(countries)s; add partners from %(num)d more countries.", needed - len(countries),
        countries=ngettext("%(num)d country", "%(num)d countries", len(countries)))
    label = ngettext("Partners from at least %(num)d different country",
                     "Partners from at least %(num)d different countries", needed)
    return Check("min_countries", label, ok, "consortium", fix)


def _eligible_countries_check(proposal: Checked, call: Call) -> Check | None:
    if not call.eligible_countries:
        return None
    allowed = set(call.eligible_countries)
    outside = [p for p in proposal.partners if p.country and p.country not in allowed]
    language = current_language()
    fix = "; ".join(gettext("%(partner)s is in %(country)s (%(code)s), which is not eligible", partner=p.name,
                            country=country_name(p.country, locale=language), code=p.country)
                    for p in outside)
    return Check("eligible_countries", gettext("Every partner is established in an eligible country"), not outside,
                 "consortium", fix + "." if fix else "")


def allowed_types(call: Call) -> list[OrganisationType]:
    """The organisation types the call admits, in the enum's order (empty: any type)."""
    chosen = set(call.organisation_types or [])
    return [type_ for type_ in OrganisationType if type_.value in chosen]


def _organisation_types_check(proposal: Checked, call: Call) -> Check | None:
    allowed = allowed_types(call)
    if not allowed:
        return None
    names = ", ".join(gettext(type_.label) for type_ in allowed)
    outside = [p for p in proposal.partners if p.organisation_type not in allowed]
    fix = "; ".join(gettext("%(partner)s is registered as “%(type)s”, which is not eligible",
                            partner=p.name or gettext("Partner %(number)d", number=p.position + 1),
                            type=gettext(p.organisation_type.label)) for p in outside)
    return Check("organisation_types",
                 gettext("Every partner, the coordinator included, is of an eligible type: %(types)s", types=names),
                 not outside, "consortium", fix + "." if fix else "")


def _grant_cap_check(proposal: Checked, call: Call) -> Check:
    requested, cap = proposal.requested_grant, call.max_grant_per_proposal
    language = current_language()
    label = gettext("Requested EU grant above zero and at most %(cap)s", cap=format_money(cap, locale=language)) \
        if cap is not None else gettext("Requested EU grant above zero")
    if requested is None:
        return Check("grant_cap", label, False, "budget", gettext("Give the requested EU grant."))
    if requested <= 0:
        return Check("grant_cap", label, False, "budget", gettext("The requested EU grant must be more than zero."))
    if cap is not None and requested > cap:
        return Check("grant_cap", label, False, "budget",
                     gettext("Reduce the request by %(excess)s to the cap.",
                             excess=format_money(requested - cap, locale=language)))
    return Check("grant_cap", label, True, "budget")


def _budget_split_check(proposal: Checked) -> Check:
    label = gettext("The partners' amounts add up to the requested grant")
    missing = [p.name for p in proposal.partners if p.requested_amount is None]
    if missing:
        return Check("budget_split", label, False, "budget",
                     gettext("Give an amount for %(partners)s.", partners=", ".join(missing)))
    total = sum((p.requested_amount or Decimal(0) for p in proposal.partners), Decimal(0))
    requested = proposal.requested_grant
    if requested is None:
        return Check("budget_split", label, False, "budget", gettext("Give the requested EU grant first."))
    if total != requested:
        language = current_language()
        amounts = {"total": format_money(total, locale=language), "requested": format_money(requested, locale=language),
                   "difference": format_money(abs(requested - total), locale=language)}
        fix = (gettext("The split adds up to %(total)s: %(difference)s less than the requested %(requested)s.",
                       **amounts) if requested > total else
               gettext("The split adds up to %(total)s: %(difference)s more than the requested %(requested)s.",
                       **amounts))
        return Check("budget_split", label, False, "budget", fix)
    return Check("budget_split", label, True, "budget")


def annex_kinds(call: Call) -> tuple[list[DocumentKind], list[DocumentKind]]:
    """The call's required and optional annex types, in the enum's order."""
    required, optional = set(call.required_annexes or []), set(call.optional_annexes or [])
    return ([kind for kind in DocumentKind if kind.value in required],
            [kind for kind in DocumentKind if kind.value in optional and kind.value not in required])


def _part_b_check(documents: list[Document | VersionAnnex]) -> Check:
    count = sum(1 for d in documents if d.kind is DocumentKind.PART_B)
    label = gettext("Part B (technical description) is uploaded")
    if count == 1:
        return Check("part_b", label, True, "annexes")
    fix = gettext("Upload Part B as a PDF.") if count == 0 else gettext("Keep only one Part B; remove the others.")
    return Check("part_b", label, False, "annexes", fix)


def _required_annex_check(documents: list[Document | VersionAnnex], kind: DocumentKind) -> Check:
    """A required annex is uploaded: at least one of its type, and of Part B (a new one replaces it) exactly one."""
    if kind is DocumentKind.PART_B:
        return _part_b_check(documents)
    annex = gettext(kind.label)
    ok = any(d.kind is kind for d in documents)
    return Check(kind.value, gettext("%(annex)s is uploaded", annex=annex), ok, "annexes",
                 "" if ok else gettext("Upload a PDF as “%(annex)s”.", annex=annex))


def _page_limit_check(documents: list[Document | VersionAnnex], call: Call) -> Check | None:
    if call.page_limit is None:
        return None
    over = [d for d in documents if d.page_count > call.page_limit]
    fix = "; ".join(ngettext("%(file)s has %(num)d page", "%(file)s has %(num)d pages", d.page_count,
                             file=d.filename) for d in over)
    label = ngettext("Annexes within the page limit (%(num)d page)", "Annexes within the page limit (%(num)d pages)",
                     call.page_limit)
    return Check("page_limit", label, not over, "annexes",
                 gettext("%(files)s: shorten or replace.", files=fix) if over else "")


def check_proposal(proposal: Checked) -> Checklist:
    """Every eligibility and admissibility rule of the proposal's call, in the order the page shows them."""
    call = proposal.call
    documents: list[Document | VersionAnnex] = [d for d in proposal.documents if d.removed_at is None]
    checks: list[Check | None] = [
        _summary_check(proposal, call),
        _duration_check(proposal, call),
        _partner_details_check(proposal),
        _min_partners_check(proposal, call),
        _min_countries_check(proposal, call),
        _eligible_countries_check(proposal, call),
        _organisation_types_check(proposal, call),
    ]
    if has_budget(call):
        checks += [_grant_cap_check(proposal, call), _budget_split_check(proposal)]
    checks += [_required_annex_check(documents, kind) for kind in annex_kinds(call)[0]]
    checks.append(_page_limit_check(documents, call))
    return Checklist(tuple(check for check in checks if check is not None))
