"""The assignment solver on plain data: constraints always hold, infeasibility is explained, it never hangs."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from matching import EvaluatorSlot, Infeasible, ProposalNeed, Solution, solve

ROOT = Path(__file__).resolve().parents[2]
STRANDS = ["Open", "Tourism", "Digital", "Health", "Textile", "Retail"]


def _check(solution: Solution, proposals: list[ProposalNeed], evaluators: list[EvaluatorSlot]) -> None:
    """Every constraint: exactly `need` distinct evaluators, none excluded, nobody over capacity."""
    per_proposal: dict[int, list[int]] = {p.id: [] for p in proposals}
    for pair in solution.pairs:
        per_proposal[pair.proposal_id].append(pair.evaluator_id)
    capacity = {e.id: e.capacity for e in evaluators}
    for proposal in proposals:
        chosen = per_proposal[proposal.id]
        assert len(chosen) == proposal.need
        assert len(set(chosen)) == len(chosen)
        assert not set(chosen) & proposal.excluded
    loads = Counter(pair.evaluator_id for pair in solution.pairs)
    for evaluator_id, load in loads.items():
        assert load <= capacity[evaluator_id]


def _random_instance(seed: int, n_proposals: int, n_evaluators: int, k: int = 3, capacity: tuple[int, int] = (5, 9),
                     conflicts: int = 4) -> tuple[list[ProposalNeed], list[EvaluatorSlot]]:
    rng = random.Random(seed)
    evaluators = [EvaluatorSlot(i, rng.randint(*capacity), frozenset(rng.sample(STRANDS, 2)))
                  for i in range(n_evaluators)]
    proposals = []
    for i in range(n_proposals):
        conflicted = frozenset(rng.sample(range(n_evaluators), rng.randint(0, conflicts)))
        proposals.append(ProposalNeed(1000 + i, rng.choice(STRANDS), k, conflicted, conflicted, f"P{i}"))
    return proposals, evaluators


@pytest.mark.parametrize("seed", range(8))
def test_random_instances_get_a_valid_assignment(seed: int) -> None:
    proposals, evaluators = _random_instance(seed, 60, 30)
    solution = solve(proposals, evaluators)
    assert isinstance(solution, Solution)
    _check(solution, proposals, evaluators)


def test_expertise_is_preferred_when_loads_allow() -> None:
    evaluators = [EvaluatorSlot(1, 5, frozenset({"Health"})), EvaluatorSlot(2, 5, frozenset({"Digital"})),
                  EvaluatorSlot(3, 5, frozenset({"Health"})), EvaluatorSlot(4, 5, frozenset({"Digital"}))]
    proposals = [ProposalNeed(10, "Health", 2), ProposalNeed(11, "Digital", 2)]
    solution = solve(proposals, evaluators)
    assert isinstance(solution, Solution)
    assert {(p.proposal_id, p.evaluator_id) for p in solution.pairs} == {(10, 1), (10, 3), (11, 2), (11, 4)}
    assert all(p.expertise_match for p in solution.pairs)


def test_loads_are_balanced() -> None:
    evaluators = [EvaluatorSlot(i, 20) for i in range(6)]
    proposals = [ProposalNeed(100 + i, None, 3) for i in range(20)]
    solution = solve(proposals, evaluators)
    assert isinstance(solution, Solution)
    loads = Counter(p.evaluator_id for p in solution.pairs)
    assert max(loads.values()) - min(loads.values()) <= 1  # 60 places over 6 evaluators: 10 each


def test_existing_load_counts_in_the_balance() -> None:
    evaluators = [EvaluatorSlot(1, 10, load=8), EvaluatorSlot(2, 10, load=0), EvaluatorSlot(3, 10, load=0)]
    proposals = [ProposalNeed(10 + i, None, 1) for i in range(4)]
    solution = solve(proposals, evaluators)
    assert isinstance(solution, Solution)
    assert 1 not in {p.evaluator_id for p in solution.pairs}


def test_maximum_load_is_never_exceeded() -> None:
    evaluators = [EvaluatorSlot(1, 1, frozenset({"Open"})), EvaluatorSlot(2, 10), EvaluatorSlot(3, 10)]
    proposals = [ProposalNeed(10 + i, "Open", 2) for i in range(5)]
    solution = solve(proposals, evaluators)
    assert isinstance(solution, Solution)
    _check(solution, proposals, evaluators)
    assert Counter(p.evaluator_id for p in solution.pairs)[1] == 1


def test_a_proposal_with_too_few_non_conflicted_evaluators_is_named() -> None:
    evaluators = [EvaluatorSlot(i, 10) for i in range(4)]
    conflicted = frozenset({0, 1})
    proposals = [ProposalNeed(1, "Open", 3, label="EC-0001 ALPHA"),
                 ProposalNeed(2, "Open", 3, conflicted, conflicted, "EC-0002 BETA")]
    result = solve(proposals, evaluators)
    assert isinstance(result, Infeasible)
    assert [s.proposal_id for s in result.shortfalls] == [2]
    shortfall = result.shortfalls[0]
    assert (shortfall.needed, shortfall.available, shortfall.conflicted) == (3, 2, 2)
    assert "only 2 in the pool are free of conflicts" in shortfall.reason
    assert result.missing == 1
    assert "1 proposal cannot be covered" in result.message


def test_too_little_capacity_names_the_competing_proposals() -> None:
    evaluators = [EvaluatorSlot(i, 2) for i in range(3)]  # 6 places
    proposals = [ProposalNeed(10 + i, None, 3, label=f"P{i}") for i in range(3)]  # 9 needed
    result = solve(proposals, evaluators)
    assert isinstance(result, Infeasible)
    assert {s.proposal_id for s in result.shortfalls} == {10, 11, 12}
    assert result.missing == 3
    assert "3 of the 9 evaluator places" in result.message
    assert "those evaluators have 6 free" in result.shortfalls[0].reason


def test_evaluators_at_their_maximum_load_are_counted_as_full() -> None:
    evaluators = [EvaluatorSlot(1, 0, load=5), EvaluatorSlot(2, 3), EvaluatorSlot(3, 3)]
    result = solve([ProposalNeed(1, None, 3)], evaluators)
    assert isinstance(result, Infeasible)
    assert (result.shortfalls[0].available, result.shortfalls[0].full) == (2, 1)


def test_infeasibility_hidden_from_the_short_lists_is_still_found_exactly() -> None:
    # Many proposals share the same few free evaluators: the short lists alone cannot tell.
    evaluators = [EvaluatorSlot(i, 1 if i < 20 else 0) for i in range(40)]
    proposals = [ProposalNeed(i, None, 3) for i in range(7)]  # 21 needed, 20 places
    result = solve(proposals, evaluators)
    assert isinstance(result, Infeasible)
    assert result.missing == 1


def test_a_feasible_instance_that_needs_more_than_the_short_lists_is_solved() -> None:
    # Every proposal's short list favours the same experts (ids 0-5, capacity 1): the solver must look further.
    experts = [EvaluatorSlot(i, 1, frozenset({"Open"})) for i in range(6)]
    others = [EvaluatorSlot(100 + i, 3) for i in range(10)]
    proposals = [ProposalNeed(i, "Open", 3) for i in range(10)]
    solution = solve(proposals, experts + others)
    assert isinstance(solution, Solution)
    _check(solution, proposals, experts + others)


def test_nothing_to_do_is_an_empty_solution() -> None:
    solution = solve([ProposalNeed(1, None, 0)], [EvaluatorSlot(1, 5)])
    assert isinstance(solution, Solution)
    assert solution.pairs == ()


def test_a_large_instance_is_solved_within_seconds() -> None:
    proposals, evaluators = _random_instance(7, 300, 60, capacity=(15, 25), conflicts=6)
    start = time.perf_counter()
    solution = solve(proposals, evaluators)
    assert isinstance(solution, Solution)
    _check(solution, proposals, evaluators)
    assert time.perf_counter() - start < 10


def test_a_large_infeasible_instance_returns_quickly() -> None:
    proposals, evaluators = _random_instance(3, 300, 60, capacity=(1, 3), conflicts=6)
    start = time.perf_counter()
    result = solve(proposals, evaluators)
    assert isinstance(result, Infeasible)
    assert result.missing > 0
    assert time.perf_counter() - start < 20


def test_importing_matching_loads_no_web_framework_database_or_app_code() -> None:
    probe = "import sys, matching; print(sorted(m for m in ('flask', 'sqlalchemy', 'app') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=30,
                            check=True)
    assert result.stdout == "[]\n"
