"""The assignment of evaluators to proposals as a minimum-cost flow (networkx), on plain data.

The network: source → proposal (capacity = evaluators still needed) → evaluator (capacity 1, absent when the
pair is excluded; cost `pair_cost`: 0 when the evaluator's expertise names the proposal's strand, else
`MISMATCH_COST`; or, given an `Affinity`, the less close the dearer) → sink through edges of increasing cost, one
per block of `LOAD_STEP` free places up to the evaluator's maximum load. Those convex load costs spread the work
evenly; the expertise cost buys a better match only when it does not unbalance loads by more than a few proposals.

For speed each proposal first gets a short list of candidates (experts in its strand, or the closest by affinity,
and a few others, in a deterministic per-proposal order). Each proposal may also send flow to a "nobody" node at a
prohibitive cost, so the solver always returns; when the short lists leave a place to "nobody", the full lists
decide: either an augmenting path exists (the short lists grow and the flow is solved again) or the places left
uncovered are proven impossible, and the proof names the proposals and the evaluators that run out (Hall's
condition, read off the residual network; `matching.shortfall` words it).
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Sequence
from dataclasses import replace

import networkx as nx

from matching.affinity import Affinity
from matching.genders import cross_group_repeats, gender_gaps, gender_group
from matching.problem import (
    AFFINITY_WEIGHT,
    LOAD_STEP,
    MISMATCH_COST,
    SOFT_RULE_COST,
    EvaluatorSlot,
    Infeasible,
    Pair,
    PanelRules,
    ProposalNeed,
    Solution,
    Strength,
    is_expert,
    pair_cost,
)
from matching.shortfall import explain, explain_gender, explain_rule

SHORTLIST_EXTRA = 3   # candidates beyond the places needed, experts first
SHORTLIST_OTHERS = 2  # non-experts always on the short list


def _mix(proposal_id: int, evaluator_id: int) -> int:
    """A deterministic pseudo-random order, different for each proposal, so short lists spread the load."""
    return (evaluator_id * 2654435761 + proposal_id * 40503) % 1000003


def solve(proposals: Sequence[ProposalNeed], evaluators: Sequence[EvaluatorSlot],
          affinity: Affinity | None = None, rules: PanelRules | None = None) -> Solution | Infeasible:
    """The cheapest assignment giving every proposal its `need` evaluators, or a proof that none exists.

    Given an `affinity` (`matching.affinity`), it is the cost of a pair instead of the strand match, and each pair
    of the solution carries its affinity and the terms it shares; loads and exclusions are as without. Given
    `rules`, those that are on always hold; when one cannot be met, the answer names it (`Infeasible.rule`).
    """
    rules = rules or PanelRules()
    if rules.country is Strength.HARD:
        # A hard country rule is a conflict of interest: reported as one when places cannot be filled.
        proposals = [_keep_away(p, evaluators, rules) for p in proposals]
    banned: set[tuple[int, str, str]] = set()
    answer = _solve_balanced(proposals, evaluators, affinity, rules, banned)
    if rules.nationality is Strength.OFF or not rules.balances_genders:
        return answer
    # With genders balanced, each nationality node sits in one gender's group of a panel (the network cannot hold
    # both partitions of a panel at once; with loads, the problem is NP-hard in general): when a panel repeats a
    # nationality across its groups, each nationality is kept in one group of each panel and the network solved
    # again. Sound (no rule broken) but not complete: in a tight pool it may refuse an assignment that exists.
    while isinstance(answer, Solution):
        repeats = cross_group_repeats(answer, proposals, evaluators, rules)
        if not repeats:
            return answer
        banned |= repeats
        again = _solve_balanced(proposals, evaluators, affinity, rules, banned)
        if isinstance(again, Infeasible) and rules.nationality is Strength.SOFT:
            return answer  # a soft rule gives way
        answer = again
    return answer


def _keep_away(proposal: ProposalNeed, evaluators: Sequence[EvaluatorSlot], rules: PanelRules) -> ProposalNeed:
    against = frozenset(e.id for e in evaluators if rules.against_country(proposal, e))
    if not against - proposal.excluded:
        return proposal
    return replace(proposal, excluded=proposal.excluded | against, conflicted=proposal.conflicted | against)


def _solve_balanced(proposals: Sequence[ProposalNeed], evaluators: Sequence[EvaluatorSlot],
                    affinity: Affinity | None, rules: PanelRules,
                    banned: set[tuple[int, str, str]]) -> Solution | Infeasible:
    """`_solve`, and with the gender rule the check that every panel has its minimum of each counted gender: when
    the short lists leave one short, the full lists decide; a hard rule still missed is named, with the numbers."""
    answer = _solve(proposals, evaluators, affinity, rules, banned)
    if not rules.balances_genders or not isinstance(answer, Solution):
        return answer
    if not gender_gaps(answer, proposals, evaluators, rules):
        return answer
    answer = _solve(proposals, evaluators, affinity, rules, banned, full=True)
    if not isinstance(answer, Solution) or rules.gender is Strength.SOFT:
        return answer
    gaps = gender_gaps(answer, proposals, evaluators, rules)
    if not gaps:
        return answer
    return explain_gender({p.id: p for p in proposals}, evaluators, gaps, rules)


def _solve(proposals: Sequence[ProposalNeed], evaluators: Sequence[EvaluatorSlot], affinity: Affinity | None,
           rules: PanelRules, banned: set[tuple[int, str, str]], *, full: bool = False) -> Solution | Infeasible:
    """The network solved on short lists that grow until the answer is proven (see the module's docstring)."""
    wanted = [p for p in proposals if p.need > 0]
    free = [e for e in evaluators if e.capacity > 0]
    candidates = {p.id: [e for e in free if e.id not in p.excluded and rules.allows(p, e)
                         and (p.id, gender_group(e, rules), e.nationality) not in banned] for p in wanted}
    limit = {p.id: len(candidates[p.id]) if full else p.need + SHORTLIST_EXTRA for p in wanted}
    by_id = {p.id: p for p in wanted}
    costs = {p.id: _costs(p, candidates[p.id], affinity, rules) for p in wanted}
    free_by_id = {e.id: e for e in free}
    worst = MISMATCH_COST if affinity is None else AFFINITY_WEIGHT  # what a pair with nothing in common costs
    first = True
    while True:
        shortlists = {p.id: _shortlist(p, candidates[p.id], limit[p.id], costs[p.id], worst, rules) for p in wanted}
        if first:
            # Usually the short lists suffice: solve without the "nobody" edges, which cost a quarter of the time.
            first = False
            try:
                flow, cost = _min_cost_flow(wanted, free, shortlists, costs, nobody=False, rules=rules)
            except nx.NetworkXUnfeasible:
                pass
            else:
                return Solution(pairs=_pairs(flow, by_id, free_by_id, affinity), cost=cost)
        flow, cost = _min_cost_flow(wanted, free, shortlists, costs, nobody=True, rules=rules)
        uncovered = {pid: n for pid, n in flow.pop("nobody").items() if n}
        if not uncovered:
            return Solution(pairs=_pairs(flow, by_id, free_by_id, affinity), cost=cost)
        if rules.nationality is Strength.HARD or banned:
            # The proof below reads a plain bipartite network: with the rule, solve once on the full lists instead.
            if any(limit[p.id] < len(candidates[p.id]) for p in wanted):
                limit = {p.id: len(candidates[p.id]) for p in wanted}
                continue
            plain = _solve(proposals, evaluators, affinity, replace(rules, nationality=Strength.OFF), set())
            return plain if isinstance(plain, Infeasible) else explain_rule(by_id, evaluators, uncovered)
        # Are the places left to "nobody" impossible on the full lists, or only on the short ones?
        reachable_proposals, reachable_evaluators, spare = _residual_search(
            flow, candidates, {e.id: e.capacity for e in free}, uncovered)
        if not spare:
            return explain(by_id, evaluators, reachable_proposals, reachable_evaluators,
                           missing=sum(uncovered.values()))
        grew = False
        for pid in reachable_proposals:
            if limit[pid] + SHORTLIST_OTHERS < len(candidates[pid]):
                limit[pid] = len(candidates[pid])
                grew = True
        if not grew:  # cannot happen: an augmenting path uses an edge outside the short lists
            raise RuntimeError("assignment search made no progress")


def _costs(proposal: ProposalNeed, options: list[EvaluatorSlot], affinity: Affinity | None,
           rules: PanelRules) -> dict[int, int]:
    """`pair_cost` of the proposal with each of its candidates."""
    if affinity is None:
        return {e.id: pair_cost(proposal, e, rules=rules) for e in options}
    scores = affinity.ranked(proposal.id)
    return {e.id: pair_cost(proposal, e, scores.get(e.id, 0.0), rules) for e in options}


def _shortlist(proposal: ProposalNeed, options: list[EvaluatorSlot], limit: int, costs: dict[int, int],
               worst: int, rules: PanelRules) -> list[EvaluatorSlot]:
    """The `limit` cheapest candidates that cost less than `worst` (experts in the strand, or evaluators who share
    something with the proposal), then `SHORTLIST_OTHERS` others, equal costs in a per-proposal pseudo-random order;
    with the gender rule, also the cheapest few of each gender the panel still needs.

    The others let the flow trade a match for a better balance when the closest evaluators are few.
    """
    if limit + SHORTLIST_OTHERS >= len(options):
        return options
    chosen = _closest(proposal, options, limit, costs, worst)
    taken = {e.id for e in chosen}
    for gender, places in rules.gender_places(proposal).items():
        chosen += heapq.nsmallest(places + SHORTLIST_EXTRA,
                                  (e for e in options if e.gender == gender and e.id not in taken),
                                  key=lambda e: (costs[e.id], _mix(proposal.id, e.id)))
        taken = {e.id for e in chosen}
    return chosen


def _closest(proposal: ProposalNeed, options: list[EvaluatorSlot], limit: int, costs: dict[int, int],
             worst: int) -> list[EvaluatorSlot]:
    """The short list without the genders: the closest, then a few others (`_shortlist`)."""

    def order(e: EvaluatorSlot) -> tuple[int, int]:
        return costs[e.id], _mix(proposal.id, e.id)

    chosen = heapq.nsmallest(limit, (e for e in options if costs[e.id] < worst), key=order)
    rest = (e for e in options if costs[e.id] >= worst)
    if worst == AFFINITY_WEIGHT:  # by affinity, the next closest (when everybody shares something)
        taken = {e.id for e in chosen}
        rest = (e for e in options if e.id not in taken)
    others = heapq.nsmallest(limit + SHORTLIST_OTHERS - len(chosen), rest, key=order)
    return chosen + others


def _node(kind: str, ident: int) -> str:
    return f"{kind}{ident}"


def _min_cost_flow(proposals: list[ProposalNeed], evaluators: list[EvaluatorSlot],
                   shortlists: dict[int, list[EvaluatorSlot]], costs: dict[int, dict[int, int]], *,
                   nobody: bool, rules: PanelRules) -> tuple[dict[str, dict[int, int]], int]:
    """Solve the network; without `nobody` it raises NetworkXUnfeasible when some place cannot be filled.

    With the nationality rule, a proposal reaches the evaluators of one nationality through a node: one edge of
    capacity 1 (none when the panel already has that nationality) and, for a soft rule, a dear one beside it, so
    that a second evaluator of the nationality costs SOFT_RULE_COST more (evaluators without a nationality are
    reached directly). With the gender rule, a proposal first reaches a node per gender group (`_group`): the first
    places of a counted gender up to the panel's minimum earn a reward (SOFT_RULE_COST for a soft rule; for a hard
    one more than every other cost of the network together, so that the cheapest flow meets every minimum that any
    flow meets), the others none.
    """
    graph = nx.MultiDiGraph()
    total = sum(p.need for p in proposals)
    # Dearer than any path of real edges, so that "nobody" is used only when nothing else fits.
    top = (max((e.load + e.capacity for e in evaluators), default=0) + max(MISMATCH_COST, AFFINITY_WEIGHT)
           + 2 * SOFT_RULE_COST + 1)
    reward = 0
    if rules.balances_genders:
        reward = SOFT_RULE_COST if rules.gender is Strength.SOFT else top * (total + 1)
    nobody_cost = max(top * 2 * (len(proposals) + len(evaluators) + 2), 2 * (reward + top) * (total + 1))
    graph.add_node("source", demand=-total)
    graph.add_node("sink", demand=total)
    if nobody:
        graph.add_edge("nobody", "sink", capacity=total, weight=0)
    for proposal in proposals:
        node = _node("p", proposal.id)
        graph.add_edge("source", node, capacity=proposal.need, weight=0)
        if nobody:
            graph.add_edge(node, "nobody", capacity=proposal.need, weight=nobody_cost)
        places = rules.gender_places(proposal)
        for evaluator in shortlists[proposal.id]:
            group = _group_node(proposal, evaluator, rules)
            if group != node and not graph.has_edge(node, group):
                if places.get(gender_group(evaluator, rules)):
                    graph.add_edge(node, group, key="minimum", capacity=places[gender_group(evaluator, rules)],
                                   weight=-reward)
                graph.add_edge(node, group, key="free", capacity=proposal.need, weight=0)
            tail = _tail(proposal, evaluator, rules)
            if tail != group and not graph.has_edge(group, tail):
                sitting = evaluator.nationality in proposal.nationalities
                graph.add_edge(group, tail, key="rule", capacity=0 if sitting else 1, weight=0)
                if rules.nationality is Strength.SOFT:
                    graph.add_edge(group, tail, key="soft", capacity=proposal.need, weight=SOFT_RULE_COST)
            graph.add_edge(tail, _node("e", evaluator.id), capacity=1, weight=costs[proposal.id][evaluator.id])
    for evaluator in evaluators:
        node = _node("e", evaluator.id)
        # Each further block of LOAD_STEP proposals costs more per proposal (current load + j): a convex cost,
        # so loads even out (to within a block); blocks rather than single places keep the network small.
        for start in range(0, evaluator.capacity, LOAD_STEP):
            graph.add_edge(node, "sink", capacity=min(LOAD_STEP, evaluator.capacity - start),
                           weight=evaluator.load + start)
    cost, raw = nx.network_simplex(graph)
    return _read_flow(raw, proposals, shortlists, nobody=nobody, rules=rules), int(cost)


def _read_flow(raw: dict[str, dict[str, dict[str, int]]], proposals: list[ProposalNeed],
               shortlists: dict[int, list[EvaluatorSlot]], *, nobody: bool,
               rules: PanelRules) -> dict[str, dict[int, int]]:
    """The solved network as "p<id>" -> evaluator id -> units, and "nobody" -> proposal id -> places left."""
    flow: dict[str, dict[int, int]] = {"nobody": {}}
    for proposal in proposals:
        edges = raw[_node("p", proposal.id)]
        flow["nobody"][proposal.id] = sum(edges["nobody"].values()) if nobody else 0
        flow[_node("p", proposal.id)] = {
            evaluator.id: sum(raw[_tail(proposal, evaluator, rules)][_node("e", evaluator.id)].values())
            for evaluator in shortlists[proposal.id]
        }
    return flow


def _group_node(proposal: ProposalNeed, evaluator: EvaluatorSlot, rules: PanelRules) -> str:
    """The proposal's node for the evaluator's gender group, or the proposal itself without the gender rule."""
    group = gender_group(evaluator, rules)
    return f"p{proposal.id}:{group}" if group else _node("p", proposal.id)


def _tail(proposal: ProposalNeed, evaluator: EvaluatorSlot, rules: PanelRules) -> str:
    """The node the edge to this evaluator leaves from: the proposal (or its gender group), or the node of its
    group for the evaluator's nationality."""
    group = _group_node(proposal, evaluator, rules)
    if rules.nationality is not Strength.OFF and evaluator.nationality:
        return f"{group}/{evaluator.nationality}"
    return group


def _pairs(flow: dict[str, dict[int, int]], proposals: dict[int, ProposalNeed],
           evaluators: dict[int, EvaluatorSlot], affinity: Affinity | None) -> tuple[Pair, ...]:
    pairs = [_pair(proposal, evaluators[eid], affinity)
             for pid, proposal in proposals.items() for eid, units in flow[_node("p", pid)].items() if units]
    pairs.sort(key=lambda a: (a.proposal_id, a.evaluator_id))
    return tuple(pairs)


def _pair(proposal: ProposalNeed, evaluator: EvaluatorSlot, affinity: Affinity | None) -> Pair:
    expert = is_expert(proposal, evaluator)
    if affinity is None:
        return Pair(proposal.id, evaluator.id, expert)
    return Pair(proposal.id, evaluator.id, expert, affinity.score(proposal.id, evaluator.id),
                affinity.shared_terms(proposal.id, evaluator.id))


def _residual_search(flow: dict[str, dict[int, int]], candidates: dict[int, list[EvaluatorSlot]],
                     capacity: dict[int, int], uncovered: dict[int, int]) -> tuple[set[int], set[int], bool]:
    """Breadth-first search of the residual network on the full candidate lists, from the uncovered proposals.

    Returns the proposals and evaluators reached, and whether an evaluator with a free place was reached (then
    a better flow exists). When none is, the reached proposals need more places than the reached evaluators
    have: the places given to "nobody" cannot be filled by any assignment.
    """
    used: dict[int, int] = {}
    assigned_to: dict[int, list[int]] = {}
    for key, edges in flow.items():
        if key == "nobody":
            continue
        pid = int(key[1:])
        for eid, units in edges.items():
            if units:
                used[eid] = used.get(eid, 0) + 1
                assigned_to.setdefault(eid, []).append(pid)
    assigned_pairs = {(pid, eid) for eid, pids in assigned_to.items() for pid in pids}
    seen_p: set[int] = set(uncovered)
    seen_e: set[int] = set()
    queue: deque[int] = deque(uncovered)
    while queue:
        pid = queue.popleft()
        for evaluator in candidates[pid]:
            eid = evaluator.id
            if eid in seen_e or (pid, eid) in assigned_pairs:
                continue
            seen_e.add(eid)
            if used.get(eid, 0) < capacity[eid]:
                return seen_p, seen_e, True
            for other in assigned_to.get(eid, ()):
                if other not in seen_p:
                    seen_p.add(other)
                    queue.append(other)
    return seen_p, seen_e, False
