"""The eligibility and admissibility checklist, computed from the call's rules.

Shown live on the proposal page and re-run inside the submission transaction; the same function for both, so
what the applicant sees is what the server enforces. It reads the proposal and never writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeAlias

from email_validator import EmailNotValidError, validate_email

from app.countries import country_name
from app.enums import DocumentKind
from app.formatting import format_money
from app.models import Call, Document, Proposal

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
    "eligible_countries": ("partners",),
    "grant_cap": ("requested_grant",), "budget_split": ("amounts",),
}


def active_documents(proposal: Proposal) -> list[Document]:
    return [d for d in proposal.documents if d.removed_at is None]


def has_budget(call: Call) -> bool:
    """Grant calls ask for money and its split between partners; event calls do not."""
    return call.is_grant


def _plural(count: int, word: str) -> str:
    if count == 1:
        return f"{count} {word}"
    return f"{count} {word[:-1]}ies" if word.endswith("y") else f"{count} {word}s"


@lru_cache(maxsize=4096)
def is_valid_email(value: str) -> bool:
    """Syntax only (no DNS); the reserved .test domain of demo and test accounts is accepted."""
    try:
        validate_email(value, check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        return False
    return True


def _summary_check(proposal: Checked, call: Call) -> Check:
    empty = "Fill in this field before you submit."
    missing = [label for label, value in (
        ("acronym", proposal.acronym), ("title", proposal.title), ("abstract", proposal.abstract),
    ) if not (value or "").strip()]
    at = [(label, empty) for label in missing]
    wrong = ""
    if call.strands and proposal.strand not in call.strands:
        if proposal.strand:
            wrong = f"“{proposal.strand}” is not one of the call's {call.strand_label.lower()}s: choose one."
            at.append(("strand", wrong))
        else:
            missing.append(call.strand_label.lower())
            at.append(("strand", empty))
    if proposal.duration_months is None:
        missing.append("duration")
        at.append(("duration_months", empty))
    fix = " ".join(part for part in (f"Fill in: {', '.join(missing)}." if missing else "", wrong) if part)
    return Check("mandatory_fields", "Mandatory fields are filled in", not fix, "summary", fix, tuple(at))


def _duration_check(proposal: Checked, call: Call) -> Check | None:
    low, high = call.duration_min_months, call.duration_max_months
    if low is None and high is None:
        return None
    label = (f"Duration {low}–{high} months" if low is not None and high is not None
             else f"Duration at least {low} months" if low is not None else f"Duration at most {high} months")
    months = proposal.duration_months
    ok = months is not None and (low is None or months >= low) and (high is None or months <= high)
    fix = "" if ok else ("Give the duration in months." if months is None
                         else f"{_plural(months, 'month')} is outside the allowed range.")
    return Check("duration", label, ok, "summary", fix)


def _partner_details_check(proposal: Checked) -> Check:
    problems = []
    for partner in proposal.partners:
        name = partner.name or f"Partner {partner.position + 1}"
        if not partner.country:
            problems.append(f"{name}: country")
        if not partner.contact_email:
            problems.append(f"{name}: contact e-mail")
        elif not is_valid_email(partner.contact_email):
            problems.append(f"{name}: the contact e-mail is not a valid address")
    return Check("partner_details", "Every partner has a country and a contact e-mail", not problems,
                 "consortium", "Complete " + "; ".join(problems) + "." if problems else "")


def _min_partners_check(proposal: Checked, call: Call) -> Check:
    count, needed = len(proposal.partners), call.min_partners
    ok = count >= needed
    fix = "" if ok else f"Add {_plural(needed - count, 'more partner')} (you have {count})."
    return Check("min_partners", f"At least {_plural(needed, 'partner')}, the coordinator included", ok,
                 "consortium", fix)


def _min_countries_check(proposal: Checked, call: Call) -> Check:
    countries = {p.country for p in proposal.partners if p.country}
    needed = call.min_countries
    ok = len(countries) >= needed
    fix = "" if ok else (f"Partners come from {_plural(len(countries), 'country')}; add partners from "
                         f"{_plural(needed - len(countries), 'more country')}.")
    label = f"Partners from at least {needed} different {'country' if needed == 1 else 'countries'}"
    return Check("min_countries", label, ok, "consortium", fix)


def _eligible_countries_check(proposal: Checked, call: Call) -> Check | None:
    if not call.eligible_countries:
        return None
    allowed = set(call.eligible_countries)
    outside = [p for p in proposal.partners if p.country and p.country not in allowed]
    fix = "; ".join(f"{p.name} is in {country_name(p.country)} ({p.country}), which is not eligible"
                    for p in outside)
    return Check("eligible_countries", "Every partner is established in an eligible country", not outside,
                 "consortium", fix + "." if fix else "")


def _grant_cap_check(proposal: Checked, call: Call) -> Check:
    requested, cap = proposal.requested_grant, call.max_grant_per_proposal
    label = f"Requested EU grant above zero and at most {format_money(cap)}" if cap is not None \
        else "Requested EU grant above zero"
    if requested is None:
        return Check("grant_cap", label, False, "budget", "Give the requested EU grant.")
    if requested <= 0:
        return Check("grant_cap", label, False, "budget", "The requested EU grant must be more than zero.")
    if cap is not None and requested > cap:
        return Check("grant_cap", label, False, "budget",
                     f"Reduce the request by {format_money(requested - cap)} to the cap.")
    return Check("grant_cap", label, True, "budget")


def _budget_split_check(proposal: Checked) -> Check:
    label = "The partners' amounts add up to the requested grant"
    missing = [p.name for p in proposal.partners if p.requested_amount is None]
    if missing:
        return Check("budget_split", label, False, "budget", f"Give an amount for {', '.join(missing)}.")
    total = sum((p.requested_amount or Decimal(0) for p in proposal.partners), Decimal(0))
    requested = proposal.requested_grant
    if requested is None:
        return Check("budget_split", label, False, "budget", "Give the requested EU grant first.")
    if total != requested:
        difference = requested - total
        what = "less" if difference > 0 else "more"
        return Check("budget_split", label, False, "budget",
                     f"The split adds up to {format_money(total)}: {format_money(abs(difference))} {what} "
                     f"than the requested {format_money(requested)}.")
    return Check("budget_split", label, True, "budget")


def _part_b_check(documents: list[Document | VersionAnnex]) -> Check:
    count = sum(1 for d in documents if d.kind is DocumentKind.PART_B)
    if count == 1:
        return Check("part_b", "Part B (technical description) is uploaded", True, "annexes")
    fix = "Upload Part B as a PDF." if count == 0 else "Keep only one Part B; remove the others."
    return Check("part_b", "Part B (technical description) is uploaded", False, "annexes", fix)


def _page_limit_check(documents: list[Document | VersionAnnex], call: Call) -> Check | None:
    if call.page_limit is None:
        return None
    over = [d for d in documents if d.page_count > call.page_limit]
    fix = "; ".join(f"{d.filename} has {d.page_count} pages" for d in over)
    return Check("page_limit", f"Annexes within the page limit ({_plural(call.page_limit, 'page')})", not over,
                 "annexes", f"{fix}: shorten or replace." if over else "")


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
    ]
    if has_budget(call):
        checks += [_grant_cap_check(proposal, call), _budget_split_check(proposal)]
    checks += [_part_b_check(documents), _page_limit_check(documents, call)]
    return Checklist(tuple(check for check in checks if check is not None))
