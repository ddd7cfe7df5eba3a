"""Why evaluator places cannot be filled: each proposal of a group that competes for the same saturated evaluators,
with the counts (free, conflicted, full) and a sentence the officer can act on.

`matching.flow.solve` finds the group (Hall's condition read off the residual network); this module words it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from matching.problem import (
    GENDER_NAMES,
    ONE_PER_NATIONALITY,
    EvaluatorSlot,
    Infeasible,
    PanelRules,
    ProposalNeed,
    Shortfall,
    gender_rule_name,
)


def _counts(proposal: ProposalNeed, evaluators: Iterable[EvaluatorSlot]) -> tuple[int, int, int]:
    available = conflicted = full = 0
    for evaluator in evaluators:
        if evaluator.id in proposal.conflicted:
            conflicted += 1
        elif evaluator.id in proposal.excluded:
            continue  # already assigned to it, or withdrew from it
        elif evaluator.capacity > 0:
            available += 1
        else:
            full += 1
    return available, conflicted, full


def explain(proposals: dict[int, ProposalNeed], evaluators: Sequence[EvaluatorSlot], group: set[int],
             group_evaluators: set[int], *, missing: int) -> Infeasible:
    """Shortfalls for the proposals that cannot all be covered, each with a sentence saying why.

    `group` are the proposals that compete for the same saturated evaluators `group_evaluators` (or have too
    few candidates on their own): some of their places must stay empty, whichever assignment is chosen.
    """
    places = sum(e.capacity for e in evaluators if e.id in group_evaluators)
    needed = sum(proposals[pid].need for pid in group)
    shortfalls = []
    for pid in sorted(group):
        proposal = proposals[pid]
        available, conflicted, full = _counts(proposal, evaluators)
        plural = "s" if proposal.need != 1 else ""
        figures = {"need": proposal.need, "available": available, "conflicted": conflicted, "full": full}
        if available < proposal.need:
            code = "too_few"
            reason = (f"needs {proposal.need} more evaluator{plural} but only {available} in the pool "
                      f"{'is' if available == 1 else 'are'} free of conflicts and below their maximum load "
                      f"({conflicted} conflicted, {full} at their maximum load)")
        else:
            others = len(group) - 1
            code = "competing"
            figures |= {"others": others, "needed": needed, "places": places}
            reason = (f"needs {proposal.need} more evaluator{plural}; its {available} evaluators free of conflicts "
                      f"are also the only ones for {others} other proposal{'s' if others != 1 else ''}: together "
                      f"these need {needed} places and those evaluators have {places} free "
                      f"({conflicted} conflicted with this proposal)")
        shortfalls.append(Shortfall(pid, proposal.label, proposal.need, available, conflicted, full, reason,
                                    code=code, figures=figures))
    count = len(shortfalls)
    if count == 1:
        message = (f"1 proposal cannot be covered: {missing} evaluator place{'s' if missing != 1 else ''} "
                   f"cannot be filled without a conflict of interest or exceeding a maximum load.")
    else:
        message = (f"{count} proposals cannot all be covered: {missing} of the {needed} evaluator places they need "
                   f"cannot be filled without a conflict of interest or exceeding a maximum load.")
    message += " Invite more evaluators, raise maximum loads, or lower the evaluators per proposal."
    return Infeasible(tuple(shortfalls), missing, message, code="places",
                      figures={"proposals": count, "missing": missing, "needed": needed})


def explain_rule(proposals: dict[int, ProposalNeed], evaluators: Sequence[EvaluatorSlot],
                 uncovered: dict[int, int]) -> Infeasible:
    """Shortfalls for proposals whose places conflicts and loads leave room for, but not the nationality rule."""
    shortfalls = []
    for pid in sorted(uncovered):
        proposal = proposals[pid]
        available, conflicted, full = _counts(proposal, evaluators)
        free = {e.nationality for e in evaluators if e.capacity > 0 and e.id not in proposal.excluded
                and e.nationality and e.nationality not in proposal.nationalities}
        reason = (f"needs {proposal.need} more evaluator{'s' if proposal.need != 1 else ''} of different "
                  f"nationalities{' from its panel' if proposal.nationalities else ''}, but the evaluators free of "
                  f"conflicts with a free place (once the other proposals have theirs) are of {len(free)} "
                  f"nationalit{'y' if len(free) == 1 else 'ies'} only, "
                  f"so {uncovered[pid]} place{'s' if uncovered[pid] != 1 else ''} would break the rule")
        shortfalls.append(Shortfall(pid, proposal.label, proposal.need, available, conflicted, full, reason,
                                    ONE_PER_NATIONALITY, code="nationality",
                                    figures={"need": proposal.need, "panel": len(proposal.nationalities),
                                             "nationalities": len(free), "broken": uncovered[pid]}))
    missing = sum(uncovered.values())
    message = (f"The rule \"{ONE_PER_NATIONALITY}\" cannot be met: {missing} evaluator place"
               f"{'s' if missing != 1 else ''} of {len(shortfalls)} proposal{'s' if len(shortfalls) != 1 else ''} "
               f"cannot be filled without two evaluators of one nationality on a panel. Invite evaluators of other "
               f"nationalities, or turn the rule off for this call.")
    return Infeasible(tuple(shortfalls), missing, message, ONE_PER_NATIONALITY, code="nationality",
                      figures={"missing": missing, "proposals": len(shortfalls)})


def explain_gender(proposals: dict[int, ProposalNeed], evaluators: Sequence[EvaluatorSlot],
                   gaps: dict[int, dict[str, int]], rules: PanelRules) -> Infeasible:
    """Shortfalls for the panels that conflicts and loads leave room for, but not with the minimum of each counted
    gender the call's hard gender rule asks: how many each needs, and what the pool's evaluators of it can give."""
    name = gender_rule_name(rules.gender_share)
    free = {g: sum(e.capacity for e in evaluators if e.gender == g) for g in GENDER_NAMES}
    asked = {g: sum(rules.gender_places(p).get(g, 0) for p in proposals.values() if p.need > 0) for g in GENDER_NAMES}
    shortfalls = []
    for pid in sorted(gaps):
        proposal = proposals[pid]
        available, conflicted, full = _counts(proposal, evaluators)
        minimum = rules.gender_minimum(proposal.panel)
        parts = []
        figures = {"share": rules.gender_share, "panel": proposal.panel, "minimum": minimum}
        for gender, missing in sorted(gaps[pid].items()):
            mine = sum(1 for e in evaluators if e.gender == gender and e.capacity > 0 and e.id not in proposal.excluded)
            named = gender if minimum == 1 else GENDER_NAMES[gender]
            figures |= {f"{gender}_free": mine, f"{gender}_missing": missing}
            parts.append(f"{minimum} {named} ({rules.gender_share} % of {proposal.panel}, rounded down); "
                         f"{mine} of the pool's {GENDER_NAMES[gender]} free of conflicts with it have a free place, "
                         f"and once the other panels have theirs {missing} place{'s' if missing != 1 else ''} "
                         f"cannot go to one")
        reason = "its panel needs " + "; and ".join(parts)
        shortfalls.append(Shortfall(pid, proposal.label, proposal.need, available, conflicted, full, reason, name,
                                    code="gender", figures=figures))
    missing = sum(sum(g.values()) for g in gaps.values())
    short = [g for g in GENDER_NAMES if any(g in gap for gap in gaps.values())]
    pool = "; ".join(f"the panels need {asked[g]} places for {GENDER_NAMES[g]} and the {GENDER_NAMES[g]} of the pool "
                     f"have {free[g]} free place{'s' if free[g] != 1 else ''}" for g in short)
    message = (f"The rule \"{name}\" cannot be met: {missing} place{'s' if missing != 1 else ''} of "
               f"{len(gaps)} panel{'s' if len(gaps) != 1 else ''} cannot go to the gender the rule asks ({pool}). "
               f"Invite more evaluators of that gender, raise their maximum loads, lower the target, or make the "
               f"rule soft for this call.")
    figures = {"share": rules.gender_share, "missing": missing, "panels": len(gaps)}
    for gender in short:
        figures |= {f"{gender}_asked": asked[gender], f"{gender}_free": free[gender]}
    return Infeasible(tuple(shortfalls), missing, message, name, code="gender", figures=figures)
