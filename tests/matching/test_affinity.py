"""Matching on what proposals are about: TF-IDF affinity, its use as the cost of a pair, and why this evaluator."""

from __future__ import annotations

import random

import pytest

from matching import Affinity, EvaluatorSlot, ProposalNeed, Solution, solve

PROPOSALS = {
    1: "Battery recycling for electric vehicles: recovering lithium and cobalt from used cells",
    2: "Rural tourism platform connecting farm stays with cycling routes",
}
EVALUATORS = {
    10: "lithium battery chemistry; cell recycling. I have worked on cobalt recovery from electric vehicle batteries.",
    11: "tourism marketing; rural development. Cycling routes and farm stays in mountain regions.",
    12: "",
}


def test_affinity_is_higher_for_the_evaluator_who_wrote_about_the_same_things() -> None:
    affinity = Affinity(PROPOSALS, EVALUATORS)
    assert affinity.score(1, 10) > affinity.score(1, 11)
    assert affinity.score(2, 11) > affinity.score(2, 10)
    assert 0 < affinity.score(1, 10) <= 1


def test_an_evaluator_without_text_or_unknown_ids_have_no_affinity_and_no_terms() -> None:
    affinity = Affinity(PROPOSALS, EVALUATORS)
    assert affinity.score(1, 12) == 0
    assert affinity.shared_terms(1, 12) == ()
    assert affinity.score(99, 10) == 0
    assert affinity.shared_terms(1, 99) == ()


def test_no_text_at_all_or_only_stop_words_gives_zero_affinity() -> None:
    assert Affinity({1: ""}, {10: ""}).score(1, 10) == 0
    assert Affinity({1: "the and of"}, {10: "a the"}).score(1, 10) == 0


def test_shared_terms_name_what_both_wrote_heaviest_first() -> None:
    affinity = Affinity(PROPOSALS, EVALUATORS)
    terms = affinity.shared_terms(1, 10)
    assert len(terms) == 3
    assert set(terms) <= {"battery", "lithium", "cobalt", "recycling", "electric", "vehicles", "cells", "used"}
    assert set(affinity.shared_terms(1, 10, limit=10)) >= {"lithium", "cobalt", "recycling", "electric"}
    assert affinity.shared_terms(2, 10) == ()  # nothing in common


def test_the_solver_gives_each_proposal_the_closest_evaluator_when_loads_allow() -> None:
    affinity = Affinity(PROPOSALS, EVALUATORS)
    # Strand-wise it is the other way round: without the affinity each would get the wrong evaluator.
    evaluators = [EvaluatorSlot(10, 1, frozenset({"Tourism"})), EvaluatorSlot(11, 1, frozenset({"Mobility"}))]
    proposals = [ProposalNeed(1, "Mobility", 1), ProposalNeed(2, "Tourism", 1)]
    by_strand = solve(proposals, evaluators)
    assert isinstance(by_strand, Solution)
    assert {(p.proposal_id, p.evaluator_id) for p in by_strand.pairs} == {(1, 11), (2, 10)}
    by_text = solve(proposals, evaluators, affinity)
    assert isinstance(by_text, Solution)
    assert {(p.proposal_id, p.evaluator_id) for p in by_text.pairs} == {(1, 10), (2, 11)}
    pair = next(p for p in by_text.pairs if p.proposal_id == 1)
    assert pair.affinity == pytest.approx(affinity.score(1, 10))
    assert "lithium" in affinity.shared_terms(1, 10, limit=10)
    assert pair.shared_terms == affinity.shared_terms(1, 10)


def test_affinity_never_breaks_loads_or_exclusions() -> None:
    rng = random.Random(7)
    words = [f"term{i}" for i in range(60)]
    evaluators = [EvaluatorSlot(i, rng.randint(6, 10)) for i in range(25)]
    proposals = []
    for i in range(50):
        excluded = frozenset(rng.sample(range(25), rng.randint(0, 5)))
        proposals.append(ProposalNeed(100 + i, None, 3, excluded, excluded))
    affinity = Affinity({p.id: " ".join(rng.sample(words, 8)) for p in proposals},
                        {e.id: " ".join(rng.sample(words, 10)) for e in evaluators})
    solution = solve(proposals, evaluators, affinity)
    assert isinstance(solution, Solution)
    chosen: dict[int, set[int]] = {p.id: set() for p in proposals}
    loads: dict[int, int] = {}
    for pair in solution.pairs:
        chosen[pair.proposal_id].add(pair.evaluator_id)
        loads[pair.evaluator_id] = loads.get(pair.evaluator_id, 0) + 1
    assert all(len(chosen[p.id]) == 3 and not chosen[p.id] & p.excluded for p in proposals)
    assert all(loads[e.id] <= e.capacity for e in evaluators if e.id in loads)
    assert len(solution.pairs) == 150
