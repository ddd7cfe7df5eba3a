"""The call's panel rules checked on its assignments as they stand: for each proposal, whether each rule the call
has on holds (nationality, country, gender), and the gender balance of the whole panel against the call's target.

The automatic assignment keeps the hard rules, and the soft ones where it can; a panel assigned by hand, or before
a rule was turned on, may break them, and a soft rule may give way: the assignment page shows which. A fixed number
of queries whatever the number of proposals.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa

import matching
from app.countries import country_name
from app.enums import AssignmentState, ConflictDeclaration, Gender, RuleStrength
from app.extensions import db
from app.languages import N_
from app.models import Assignment, Call, PoolMember, Proposal
from app.queries.conflicts import COORDINATOR, PARTNER, kept_away_countries
from app.queries.submitted import submitted_versions
from app.translation import current_language, gettext, ngettext

_WHOSE_COUNTRY = {COORDINATOR: N_("the coordinator's country (%(country)s)"),
                  PARTNER: N_("a partner's country (%(country)s)")}


@dataclass(frozen=True)
class RuleCheck:
    """One panel rule of the call on one proposal's panel."""

    rule: str  # "nationality", "country" or "gender"
    strength: str  # "soft" or "hard"
    holds: bool
    text: str  # what the officer reads, in their language: the rule kept, or what breaks it


@dataclass(frozen=True)
class GenderBalance:
    """The genders of the evaluators on the call's panels, by places (assignments), against the target share."""

    target: int  # percent of each counted gender; 0 when the call has no gender rule
    strength: str
    places: int
    counts: list[tuple[str, int]]  # label (a catalogue message), places, in the order of the answers ("No answer" last)
    below: list[str]  # the counted genders whose share of the places is below the target

    def share(self, count: int) -> int:
        return round(100 * count / self.places) if self.places else 0


def _members(call: Call) -> dict[int, tuple[str, str, str]]:
    """User id -> (nationality, country, gender) of every member of the call's pool."""
    return {row.user_id: (row.nationality or "", row.country or "", row.gender.value if row.gender else "")
            for row in db.session.execute(
                sa.select(PoolMember.user_id, PoolMember.nationality, PoolMember.country, PoolMember.gender)
                .where(PoolMember.call_id == call.id))}


def _panels(call: Call) -> dict[int, list[int]]:
    """Proposal id -> the evaluators on its panel: active assignments without an open declared conflict."""
    panels: dict[int, list[int]] = {}
    for proposal_id, evaluator_id, conflict, waived in db.session.execute(
            sa.select(Assignment.proposal_id, Assignment.evaluator_id, Assignment.conflict,
                      Assignment.conflict_waived_reason)
            .where(Assignment.call_id == call.id, Assignment.state != AssignmentState.WITHDRAWN)
            .order_by(Assignment.id)):
        if conflict is not ConflictDeclaration.CONFLICT or waived:
            panels.setdefault(proposal_id, []).append(evaluator_id)
    return panels


def panel_checks(call: Call, proposals: list[Proposal]) -> dict[int, list[RuleCheck]]:
    """Proposal id -> the checks of the rules the call has on, for `proposals` (partners loaded)."""
    members = _members(call)
    panels = _panels(call)
    versions = submitted_versions(proposals) if call.country_conflict else {}
    rules = matching.PanelRules(gender=matching.Strength(call.gender_rule.value), gender_share=call.gender_target)
    checks: dict[int, list[RuleCheck]] = {}
    language = current_language()
    for proposal in proposals:
        panel = [members.get(eid, ("", "", "")) for eid in panels.get(proposal.id, [])]
        found = []
        if call.nationality_rule is not RuleStrength.OFF:
            repeated = sorted(n for n, count in Counter(n for n, _c, _g in panel if n).items() if count > 1)
            found.append(RuleCheck("nationality", call.nationality_rule.value, not repeated,
                                   gettext("two or more of %(nationalities)s", nationalities=", ".join(repeated))
                                   if repeated else gettext("one per nationality")))
        if call.country_conflict:
            kept_away = kept_away_countries(call, versions[proposal.id])
            against = sorted({c for _n, c, _g in panel if c in kept_away})
            if against:
                text = gettext("from %(countries)s", countries="; ".join(
                    gettext(_WHOSE_COUNTRY[kept_away[c]], country=country_name(c, locale=language)) for c in against))
            elif len(kept_away) <= 1:
                text = gettext("none from the coordinator's country")
            else:
                text = ngettext("none from the consortium's %(num)d country", "none from the consortium's %(num)d "
                                "countries", len(kept_away))
            found.append(RuleCheck("country", call.country_conflict_strength.value, not against, text))
        if rules.balances_genders:
            minimum = rules.gender_minimum(call.evaluators_per_proposal)
            have = Counter(g for _n, _c, g in panel)
            short = [g for g in matching.COUNTED_GENDERS if have[g] < minimum]
            text = gettext("women %(women)d, men %(men)d (at least %(minimum)d each)", women=have["woman"],
                           men=have["man"], minimum=minimum)
            found.append(RuleCheck("gender", call.gender_rule.value, not short, text))
        checks[proposal.id] = found
    return checks


def gender_balance(call: Call) -> GenderBalance:
    """The genders of the call's panels by places, against the target when the call has a gender rule."""
    places = Counter(gender for (gender,) in db.session.execute(
        sa.select(PoolMember.gender).join(Assignment, sa.and_(Assignment.evaluator_id == PoolMember.user_id,
                                                             Assignment.call_id == PoolMember.call_id))
        .where(PoolMember.call_id == call.id, Assignment.state != AssignmentState.WITHDRAWN)))
    total = sum(places.values())
    target = call.gender_target if call.gender_rule is not RuleStrength.OFF else 0
    counts = [(g.label, places[g]) for g in Gender if places[g]] + ([(N_("No answer"), places[None])]
                                                                     if places[None] else [])
    below = [matching.GENDER_NAMES[g.value] for g in (Gender.WOMAN, Gender.MAN)
             if total and target and 100 * places[g] < target * total]
    return GenderBalance(target, call.gender_rule.value, total, counts, below)
