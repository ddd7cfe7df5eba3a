"""Conflicts of interest as the access rule reads them: detected from the pool member's affiliation, and declared by
the evaluator (the declarations themselves are made in app.services.conflicts).

Detected automatically (the evaluator cannot see the proposal at all, not even its title):
- the evaluator's organisation is in the consortium (names compared without case, punctuation or legal form);
- the evaluator's country is the coordinator's country (or, by the call's scope, any partner's), when the call's
  country rule (`country_conflict`) is on and hard; a soft one is a preference of the automatic assignment instead
  (`kept_away_countries`).

Declared by the evaluator on each assigned proposal, before its content opens (they see only the acronym, the
title and the consortium). A declared conflict hides the proposal from them until an officer records it as not
material, with a reason; an automatic one cannot be waived.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from app.countries import country_name
from app.enums import ConflictDeclaration, CountryScope, RuleStrength
from app.languages import N_
from app.models import Assignment, Call, PoolMember, User
from app.queries.submitted import SubmittedVersion
from app.translation import current_language, gettext

# Legal forms dropped before comparing names: "Cluster Alliance GmbH" is "Cluster Alliance".
_LEGAL_FORMS = {
    "ab", "ag", "as", "asbl", "bv", "bvba", "co", "corp", "eg", "ev", "gmbh", "inc", "kft", "llc", "ltd", "nv",
    "oy", "oyj", "plc", "sa", "sarl", "sas", "sl", "spa", "sro", "srl", "vzw", "zrt", "limited", "ou", "uab",
}


def normalise_organisation(name: str | None) -> str:
    """Lower case, no accents, no punctuation, no legal form: how organisation names are compared."""
    if not name:
        return ""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    text = re.sub(r"[.'\u2019]", "", text)  # "e.V." is "ev", "Jacob's" is "jacobs"
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    while len(words) > 1 and words[-1] in _LEGAL_FORMS:
        words.pop()
    return " ".join(words)


def affiliations(member: PoolMember, user: User | None = None) -> set[str]:
    """The normalised organisation names an evaluator is affiliated with (pool entry and account)."""
    names = {normalise_organisation(member.organisation_name)}
    account = user if user is not None else member.user
    if account is not None and account.organisation is not None:
        names.add(normalise_organisation(account.organisation.name))
    names.discard("")
    return names


COORDINATOR, PARTNER = "coordinator", "partner"
_IN_CONSORTIUM = N_("their organisation (%(name)s) is in the consortium")
_FROM_COUNTRY = {COORDINATOR: N_("they are from the coordinator's country (%(country)s)"),
                 PARTNER: N_("they are from a partner's country (%(country)s)")}


class ConflictReason(str):
    """An automatic conflict as an English sentence, which services record and join as any text, that can also be
    said again in the reader's language (`said`): it keeps its catalogue message and values (a country by its code,
    named in the reader's language)."""

    template: str
    name: str
    country: str

    def __new__(cls, template: str, *, name: str = "", country: str = "") -> ConflictReason:
        reason = super().__new__(cls, template % {"name": name, "country": country_name(country)})
        reason.template, reason.name, reason.country = template, name, country
        return reason

    @property
    def said(self) -> str:
        """The reason in the language being spoken."""
        return gettext(self.template, name=self.name, country=country_name(self.country, locale=current_language()))


class ConflictReasons(str):
    """Several reasons as one text ("; " between them), said again together in the reader's language (`said`)."""

    reasons: list[ConflictReason]

    def __new__(cls, reasons: Iterable[ConflictReason]) -> ConflictReasons:
        items = list(reasons)
        joined = super().__new__(cls, "; ".join(items))
        joined.reasons = items
        return joined

    @property
    def said(self) -> str:
        return "; ".join(reason.said for reason in self.reasons)


def kept_away_countries(call: Call, version: SubmittedVersion) -> dict[str, str]:
    """Country code -> whose country it is (COORDINATOR or PARTNER), for the countries the call's country rule keeps
    evaluators away from on this proposal (none when the rule is off)."""
    if not call.country_conflict:
        return {}
    coordinator = version.coordinator_country
    countries = {coordinator: COORDINATOR} if coordinator else {}
    if call.country_conflict_scope is CountryScope.CONSORTIUM:
        for _name, country in version.consortium:
            if country and country not in countries:
                countries[country] = PARTNER
    return countries


def country_conflict_is_hard(call: Call) -> bool:
    """The country rule is on and a conflict of interest (never broken), not a preference of the assignment."""
    return call.country_conflict and call.country_conflict_strength is not RuleStrength.SOFT


def _country_reason(whose: str, country: str) -> ConflictReason:
    return ConflictReason(_FROM_COUNTRY[whose], country=country)


def detected_conflicts(call: Call, member: PoolMember, version: SubmittedVersion,
                       member_affiliations: set[str] | None = None) -> list[ConflictReason]:
    """The automatic conflict rules `member` breaks on this proposal, as sentences for the officer."""
    reasons: list[ConflictReason] = []
    names = member_affiliations if member_affiliations is not None else affiliations(member)
    for name, _country in version.consortium:
        if normalise_organisation(name) in names:
            reasons.append(ConflictReason(_IN_CONSORTIUM, name=name))
            break
    if country_conflict_is_hard(call) and member.country:
        whose = kept_away_countries(call, version).get(member.country)
        if whose:
            reasons.append(_country_reason(whose, member.country))
    return reasons


class ConflictIndex:
    """Automatic conflicts of a whole pool against many proposals, without comparing every pair by hand."""

    def __init__(self, call: Call, members: list[PoolMember], versions: list[SubmittedVersion]) -> None:
        self.call = call
        self._by_name: dict[str, set[int]] = {}
        self._by_country: dict[str, set[int]] = {}
        for member in members:
            for name in affiliations(member):
                self._by_name.setdefault(name, set()).add(member.user_id)
            if country_conflict_is_hard(call) and member.country:
                self._by_country.setdefault(member.country, set()).add(member.user_id)
        self._conflicts: dict[int, dict[int, list[ConflictReason]]] = {}
        for version in versions:
            found: dict[int, list[ConflictReason]] = {}
            for name, _country in version.consortium:
                for user_id in self._by_name.get(normalise_organisation(name), ()):
                    found.setdefault(user_id, [ConflictReason(_IN_CONSORTIUM, name=name)])
            for country, whose in kept_away_countries(call, version).items():
                for user_id in self._by_country.get(country, ()):
                    found.setdefault(user_id, []).append(_country_reason(whose, country))
            self._conflicts[version.id] = found

    def for_proposal(self, proposal_id: int) -> dict[int, list[ConflictReason]]:
        """Evaluator user id → reasons, for the evaluators conflicted with this proposal."""
        return self._conflicts.get(proposal_id, {})

    def reasons(self, proposal_id: int, user_id: int) -> list[ConflictReason]:
        return self._conflicts.get(proposal_id, {}).get(user_id, [])


def has_open_declared_conflict(assignment: Assignment) -> bool:
    """A conflict the evaluator declared and no officer judged not material."""
    return assignment.conflict is ConflictDeclaration.CONFLICT and not assignment.conflict_waived_reason
