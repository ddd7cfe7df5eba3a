"""A call's panel rules: who may sit together on a proposal's panel (one evaluator per nationality, none from the
consortium's countries, a minimum share of each gender), each off, soft or hard, and the other evaluation settings
set beside them on the assignment page. The automatic assignment (`app.services.assignment.fill_gaps`) applies them
through `panel_rules`; a hand-picked evaluator is checked by `check_panel_rules`.
"""

from __future__ import annotations

from collections import Counter
from typing import TypeVar

import matching
from app.enums import CountryScope, RuleStrength
from app.extensions import db
from app.languages import N_
from app.models import Assignment, Call, PoolMember, User
from app.models.limits import MAX_EVALUATORS_PER_PROPOSAL
from app.queries.access import require_officer
from app.queries.evaluation import pool_member
from app.services.audit import record_event
from app.services.errors import InvalidInput

Rule = TypeVar("Rule", RuleStrength, CountryScope)
MAX_GENDER_TARGET = 50  # percent: the minimum of each gender must fit on a panel together
# A hand-picked evaluator who leaves the panel's other places too few for the genders still short of the minimum.
_SHORT_OF = {
    ("woman",): N_("The panel's other places could no longer give it %(minimum)d of the women the call asks (at "
                   "least %(share)d %% women and %(share)d %% men on every panel)."),
    ("man",): N_("The panel's other places could no longer give it %(minimum)d of the men the call asks (at least "
                 "%(share)d %% women and %(share)d %% men on every panel)."),
    ("woman", "man"): N_("The panel's other places could no longer give it %(minimum)d of the women and men the call "
                         "asks (at least %(share)d %% women and %(share)d %% men on every panel)."),
}


def panel_rules(call: Call) -> matching.PanelRules:
    """The call's panel rules as the solver reads them (a hard country rule is a conflict of interest instead)."""
    soft_country = call.country_conflict and call.country_conflict_strength is RuleStrength.SOFT
    return matching.PanelRules(nationality=matching.Strength(call.nationality_rule.value),
                               country=matching.Strength.SOFT if soft_country else matching.Strength.OFF,
                               gender=matching.Strength(call.gender_rule.value), gender_share=call.gender_target)


def check_panel_rules(call: Call, member: PoolMember, current: list[Assignment]) -> None:
    """Refuse a hand-picked evaluator who would break a hard panel rule of the call, as the automatic assignment
    never does (the country rule, when hard, is a conflict of interest and refused as one)."""
    others = [pool_member(call.id, a.evaluator_id) for a in current]
    if call.nationality_rule is RuleStrength.HARD and member.nationality:
        for assignment, other in zip(current, others, strict=True):
            if other is not None and other.nationality == member.nationality:
                raise InvalidInput(N_("%(name)s is also of this nationality (%(nationality)s); the call allows at "
                                      "most one evaluator of each nationality per proposal."),
                                   details={"field": "evaluator"}, name=assignment.evaluator.full_name,
                                   nationality=member.nationality)
    rules = panel_rules(call)
    if rules.gender is not matching.Strength.HARD:
        return
    k = call.evaluators_per_proposal
    minimum = rules.gender_minimum(k)
    have = Counter(o.gender.value if o is not None and o.gender else "" for o in others)
    have[member.gender.value if member.gender else ""] += 1
    still = sum(max(0, minimum - have[g]) for g in matching.COUNTED_GENDERS)
    if still > k - len(current) - 1:
        missing = tuple(g for g in matching.COUNTED_GENDERS if have[g] < minimum)
        raise InvalidInput(_SHORT_OF[missing], details={"field": "evaluator"}, minimum=minimum,
                           share=call.gender_target)


def update_evaluation_settings(call: Call, *, actor: User, evaluators_per_proposal: int, country_conflict: bool,
                               nationality_rule: str | None = None, country_scope: str | None = None,
                               country_strength: str | None = None, gender_rule: str | None = None,
                               gender_target: int | None = None) -> Call:
    """Evaluators per proposal (k) and the panel rules of a call: the country rule (on or off, whose countries, soft
    or hard), one evaluator per nationality and the gender share (off, soft or hard, and its target). Audited; a
    rule not given stays as it is.

    Raising k leaves gaps that the next automatic assignment fills; lowering it keeps existing assignments, and
    turning a rule on applies to the places filled from then on.
    """
    require_officer(actor)
    if not isinstance(evaluators_per_proposal, int) or not 1 <= evaluators_per_proposal <= MAX_EVALUATORS_PER_PROPOSAL:
        raise InvalidInput(N_("Evaluators per proposal: a number from 1 to %(max)d."),
                           details={"field": "evaluators_per_proposal"}, max=MAX_EVALUATORS_PER_PROPOSAL)
    nationality = _choice(RuleStrength, nationality_rule, call.nationality_rule, "nationality_rule",
                          N_("The nationality rule is off, soft or hard."))
    scope = _choice(CountryScope, country_scope, call.country_conflict_scope, "country_scope",
                    N_("The country rule keeps away the coordinator's country or the consortium's."))
    strength = _choice(RuleStrength, country_strength, call.country_conflict_strength, "country_strength",
                       N_("The country rule is soft or hard."))
    if strength is RuleStrength.OFF:
        raise InvalidInput(N_("The country rule is soft or hard (switch it off with its box)."),
                           details={"field": "country_strength"})
    gender = _choice(RuleStrength, gender_rule, call.gender_rule, "gender_rule",
                     N_("The gender rule is off, soft or hard."))
    target = call.gender_target if gender_target is None else gender_target
    if not isinstance(target, int) or not 1 <= target <= MAX_GENDER_TARGET:
        raise InvalidInput(N_("The target share of each gender: a whole percentage from 1 to %(max)d."),
                           details={"field": "gender_target"}, max=MAX_GENDER_TARGET)
    before = _settings(call)
    call.evaluators_per_proposal = evaluators_per_proposal
    call.country_conflict = bool(country_conflict)
    call.nationality_rule, call.country_conflict_scope, call.country_conflict_strength = nationality, scope, strength
    call.gender_rule, call.gender_target = gender, target
    db.session.flush()
    record_event(actor, "call.evaluation_settings", object_type="call", object_id=call.code, before=before,
                 after=_settings(call))
    return call


def _choice(kind: type[Rule], given: str | None, current: Rule, field: str, message: str) -> Rule:
    if given is None:
        return current
    try:
        return kind(given)
    except ValueError:
        raise InvalidInput(message, details={"field": field}) from None


def _settings(call: Call) -> dict[str, object]:
    return {"evaluators_per_proposal": call.evaluators_per_proposal, "country_conflict": call.country_conflict,
            "country_scope": call.country_conflict_scope.value,
            "country_strength": call.country_conflict_strength.value,
            "nationality_rule": call.nationality_rule.value, "gender_rule": call.gender_rule.value,
            "gender_target": call.gender_target}
