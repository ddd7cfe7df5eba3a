"""The gender rule's bookkeeping around the flow (`matching.flow`): the group of a panel each evaluator sits in, the
minimum places a solution leaves unfilled, and the nationalities to keep in one group of a panel when the nationality
rule is on too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from matching.problem import COUNTED_GENDERS, EvaluatorSlot, PanelRules, ProposalNeed, Solution

OTHER_GROUP = "other"  # with the gender rule: the evaluators of a gender it does not count, or of none given


def gender_group(evaluator: EvaluatorSlot, rules: PanelRules) -> str:
    """With the gender rule, the evaluator's group on a panel: their gender when it is counted, else OTHER_GROUP."""
    if not rules.balances_genders:
        return ""
    return evaluator.gender if evaluator.gender in COUNTED_GENDERS else OTHER_GROUP


def gender_gaps(solution: Solution, proposals: Sequence[ProposalNeed], evaluators: Sequence[EvaluatorSlot],
                rules: PanelRules) -> dict[int, dict[str, int]]:
    """Proposal id -> counted gender -> places of the gender's minimum that the solution leaves unfilled."""
    gender = {e.id: e.gender for e in evaluators}
    given: dict[int, Counter[str]] = {}
    for pair in solution.pairs:
        given.setdefault(pair.proposal_id, Counter())[gender.get(pair.evaluator_id, "")] += 1
    gaps = {}
    for proposal in proposals:
        if proposal.need <= 0:
            continue
        got = given.get(proposal.id, Counter())
        short = {g: n - got[g] for g, n in rules.gender_places(proposal).items() if got[g] < n}
        if short:
            gaps[proposal.id] = short
    return gaps


def cross_group_repeats(solution: Solution, proposals: Sequence[ProposalNeed], evaluators: Sequence[EvaluatorSlot],
                         rules: PanelRules) -> set[tuple[int, str, str]]:
    """(proposal, gender group, nationality) to ban when some panel repeats a nationality across its gender groups, so
    that no panel can: on every panel each nationality is kept in one group (the first it sits in, women, men, then
    the others; for a nationality not on the panel, the group its evaluators have most free places in). Every panel
    is fixed at once: fixing only those that repeat moves the repeats to others, round after round."""
    by_id = {e.id: e for e in evaluators}
    seen: dict[int, dict[str, set[str]]] = {}
    for pair in solution.pairs:
        evaluator = by_id[pair.evaluator_id]
        if evaluator.nationality:
            seen.setdefault(pair.proposal_id, {}).setdefault(evaluator.nationality, set()).add(
                gender_group(evaluator, rules))
    groups = (*COUNTED_GENDERS, OTHER_GROUP)
    supply: Counter[tuple[str, str]] = Counter()
    for evaluator in evaluators:
        if evaluator.nationality:
            supply[evaluator.nationality, gender_group(evaluator, rules)] += evaluator.capacity
    nationalities = sorted({nationality for nationality, _group_name in supply})
    banned: set[tuple[int, str, str]] = set()
    if all(len(sitting) == 1 for used in seen.values() for sitting in used.values()):
        return banned
    for proposal in proposals:
        pid, used = proposal.id, seen.get(proposal.id, {})
        for nationality in nationalities:
            sitting = used.get(nationality)
            home = (min(sitting, key=groups.index) if sitting
                    else max(groups, key=lambda g: (supply[nationality, g], -groups.index(g))))
            banned.update((pid, group, nationality) for group in groups if group != home)
    return banned
