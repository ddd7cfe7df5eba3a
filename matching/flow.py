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

import networkx as nx

from matching.affinity import Affinity
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
from matching.shortfall import explain, explain_rule

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
    wanted = [p for p in proposals if p.need > 0]
    free = [e for e in evaluators if e.capacity > 0]
    candidates = {p.id: [e for e in free if e.id not in p.excluded and rules.allows(p, e)] for p in wanted}
    limit = {p.id: p.need + SHORTLIST_EXTRA for p in wanted}
    by_id = {p.id: p for p in wanted}
    costs = {p.id: _costs(p, candidates[p.id], affinity) for p in wanted}
    free_by_id = {e.id: e for e in free}
    worst = MISMATCH_COST if affinity is None else AFFINITY_WEIGHT  # what a pair with nothing in common costs
    first = True
    while True:
        shortlists = {p.id: _shortlist(p, candidates[p.id], limit[p.id], costs[p.id], worst) for p in wanted}
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
        if rules.nationality is Strength.HARD:
            # The proof below reads a plain bipartite network: with the rule, solve once on the full lists instead.
            if any(limit[p.id] < len(candidates[p.id]) for p in wanted):
                limit = {p.id: len(candidates[p.id]) for p in wanted}
                continue
            plain = solve(proposals, evaluators, affinity)
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


def _costs(proposal: ProposalNeed, options: list[EvaluatorSlot], affinity: Affinity | None) -> dict[int, int]:
    """`pair_cost` of the proposal with each of its candidates."""
    if affinity is None:
        return {e.id: pair_cost(proposal, e) for e in options}
    scores = affinity.ranked(proposal.id)
    return {e.id: pair_cost(proposal, e, scores.get(e.id, 0.0)) for e in options}


def _shortlist(proposal: ProposalNeed, options: list[EvaluatorSlot], limit: int, costs: dict[int, int],
               worst: int) -> list[EvaluatorSlot]:
    """The `limit` cheapest candidates that cost less than `worst` (experts in the strand, or evaluators who share
    something with the proposal), then `SHORTLIST_OTHERS` others, equal costs in a per-proposal pseudo-random order.

    The others let the flow trade a match for a better balance when the closest evaluators are few.
    """
    if limit + SHORTLIST_OTHERS >= len(options):
        return options

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
    reached directly).
    """
    graph = nx.MultiDiGraph()
    total = sum(p.need for p in proposals)
    # Dearer than any path of real edges, so that "nobody" is used only when nothing else fits.
    top = (max((e.load + e.capacity for e in evaluators), default=0) + max(MISMATCH_COST, AFFINITY_WEIGHT)
           + SOFT_RULE_COST + 1)
    nobody_cost = top * 2 * (len(proposals) + len(evaluators) + 2)
    graph.add_node("source", demand=-total)
    graph.add_node("sink", demand=total)
    if nobody:
        graph.add_edge("nobody", "sink", capacity=total, weight=0)
    for proposal in proposals:
        node = _node("p", proposal.id)
        graph.add_edge("source", node, capacity=proposal.need, weight=0)
        if nobody:
            graph.add_edge(node, "nobody", capacity=proposal.need, weight=nobody_cost)
        for evaluator in shortlists[proposal.id]:
            tail = _tail(proposal, evaluator, rules)
            if tail != node:
                sitting = evaluator.nationality in proposal.nationalities
                graph.add_edge(node, tail, key="rule", capacity=0 if sitting else 1, weight=0)
                if rules.nationality is Strength.SOFT:
                    graph.add_edge(node, tail, key="soft", capacity=proposal.need, weight=SOFT_RULE_COST)
            graph.add_edge(tail, _node("e", evaluator.id), capacity=1, weight=costs[proposal.id][evaluator.id])
    for evaluator in evaluators:
        node = _node("e", evaluator.id)
        # Each further block of LOAD_STEP proposals costs more per proposal (current load + j): a convex cost,
        # so loads even out (to within a block); blocks rather than single places keep the network small.
        for start in range(0, evaluator.capacity, LOAD_STEP):
            graph.add_edge(node, "sink", capacity=min(LOAD_STEP, evaluator.capacity - start),
                           weight=evaluator.load + start)
    cost, raw = nx.network_simplex(graph)
    flow: dict[str, dict[int, int]] = {"nobody": {}}
    for proposal in proposals:
        edges = raw[_node("p", proposal.id)]
        flow["nobody"][proposal.id] = sum(edges["nobody"].values()) if nobody else 0
        flow[_node("p", proposal.id)] = {
            evaluator.id: sum(raw[_tail(proposal, evaluator, rules)][_node("e", evaluator.id)].values())
            for evaluator in shortlists[proposal.id]
        }
    return flow, int(cost)


def _tail(proposal: ProposalNeed, evaluator: EvaluatorSlot, rules: PanelRules) -> str:
    """The node the edge to this evaluator leaves from: the proposal, or its node for the evaluator's nationality."""
    if rules.nationality is not Strength.OFF and evaluator.nationality:
        return f"p{proposal.id}:{evaluator.nationality}"
    return _node("p", proposal.id)


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
