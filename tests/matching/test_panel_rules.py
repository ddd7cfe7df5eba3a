"""Panel rules in the solver: at most one evaluator of each nationality per proposal, always, or the rule is named.

A property test over random pools of a generated call of 300 proposals and 80 evaluators (a seeded loop: the
same pools on every run, many of them).
"""

from __future__ import annotations

import random
from collections import Counter

import pytest

from matching import (
    ONE_PER_NATIONALITY,
    EvaluatorSlot,
    Infeasible,
    PanelRules,
    ProposalNeed,
    Solution,
    Strength,
    solve,
)

COUNTRIES = ["BE", "DE", "FR", "IT", "ES", "PT", "PL", "FI", "SE", "IE", "AT", "RO"]
RULE = PanelRules(nationality=Strength.HARD)
SOFT = PanelRules(nationality=Strength.SOFT)


def _pool(seed: int, *, countries: int, k: int = 3, n_proposals: int = 300,
          n_evaluators: int = 80) -> tuple[list[ProposalNeed], list[EvaluatorSlot]]:
    """Evaluators of `countries` nationalities (some not given), loads 12 to 18, up to 4 conflicts a proposal; a
    tenth of the proposals already have one evaluator (one place fewer, and that evaluator's nationality)."""
    rng = random.Random(seed)
    nationalities = COUNTRIES[:countries]
    evaluators = [EvaluatorSlot(i, rng.randint(12, 18), nationality="" if rng.random() < 0.05
                                else rng.choice(nationalities)) for i in range(n_evaluators)]
    proposals = []
    for i in range(n_proposals):
        excluded = set(rng.sample(range(n_evaluators), rng.randint(0, 4)))
        has: frozenset[str] = frozenset()
        need = k
        if rng.random() < 0.1:
            sitting = rng.choice([e for e in evaluators if e.id not in excluded])
            excluded.add(sitting.id)
            has = frozenset({sitting.nationality} - {""})
            need = k - 1
        proposals.append(ProposalNeed(1000 + i, None, need, frozenset(excluded), frozenset(excluded - {0}),
                                      f"P{i}", nationalities=has))
    return proposals, evaluators


def _check(solution: Solution, proposals: list[ProposalNeed], evaluators: list[EvaluatorSlot]) -> None:
    nationality = {e.id: e.nationality for e in evaluators}
    capacity = {e.id: e.capacity for e in evaluators}
    chosen: dict[int, list[int]] = {p.id: [] for p in proposals}
    for pair in solution.pairs:
        chosen[pair.proposal_id].append(pair.evaluator_id)
    for proposal in proposals:
        got = chosen[proposal.id]
        assert len(got) == proposal.need
        assert len(set(got)) == len(got)
        assert not set(got) & proposal.excluded
        named = [nationality[eid] for eid in got if nationality[eid]] + sorted(proposal.nationalities)
        assert len(named) == len(set(named)), (proposal.id, named)
    for evaluator_id, load in Counter(pair.evaluator_id for pair in solution.pairs).items():
        assert load <= capacity[evaluator_id]


@pytest.mark.parametrize("seed", range(12))
def test_the_nationality_rule_holds_on_every_random_pool(seed: int) -> None:
    proposals, evaluators = _pool(seed, countries=6 + seed % 6)
    solution = solve(proposals, evaluators, rules=RULE)
    assert isinstance(solution, Solution), getattr(solution, "message", "")
    _check(solution, proposals, evaluators)


def test_without_the_rule_the_same_pool_does_put_two_of_a_nationality_together() -> None:
    proposals, evaluators = _pool(3, countries=3)
    solution = solve(proposals, evaluators)
    assert isinstance(solution, Solution)
    nationality = {e.id: e.nationality for e in evaluators}
    panels: dict[int, list[str]] = {}
    for pair in solution.pairs:
        if nationality[pair.evaluator_id]:
            panels.setdefault(pair.proposal_id, []).append(nationality[pair.evaluator_id])
    assert any(len(names) != len(set(names)) for names in panels.values())


@pytest.mark.parametrize("seed", range(4))
def test_a_rule_that_cannot_be_met_is_named(seed: int) -> None:
    # Two nationalities (and hardly anyone without one) for three places a proposal: loads and conflicts allow it.
    proposals, evaluators = _pool(100 + seed, countries=2)
    assert isinstance(solve(proposals, evaluators), Solution)
    answer = solve(proposals, evaluators, rules=RULE)
    assert isinstance(answer, Infeasible)
    assert answer.rule == ONE_PER_NATIONALITY
    assert ONE_PER_NATIONALITY in answer.message
    assert answer.shortfalls
    assert all(s.rule == ONE_PER_NATIONALITY for s in answer.shortfalls)
    assert "different nationalities" in answer.shortfalls[0].reason


def test_when_loads_are_the_cause_the_rule_is_not_blamed() -> None:
    evaluators = [EvaluatorSlot(i, 1, nationality=country) for i, country in enumerate(["BE", "DE", "FR"])]
    proposals = [ProposalNeed(1, None, 2), ProposalNeed(2, None, 2)]
    answer = solve(proposals, evaluators, rules=RULE)
    assert isinstance(answer, Infeasible)
    assert answer.rule == ""
    assert "maximum load" in answer.message


def test_the_nationality_a_panel_already_has_is_not_given_again() -> None:
    evaluators = [EvaluatorSlot(1, 5, nationality="BE"), EvaluatorSlot(2, 5, nationality="DE")]
    proposal = ProposalNeed(1, None, 1, nationalities=frozenset({"BE"}))
    solution = solve([proposal], evaluators, rules=RULE)
    assert isinstance(solution, Solution)
    assert [p.evaluator_id for p in solution.pairs] == [2]
    assert isinstance(solve([proposal], evaluators[:1], rules=RULE), Infeasible)


def _repeats(solution: Solution, evaluators: list[EvaluatorSlot]) -> int:
    nationality = {e.id: e.nationality for e in evaluators}
    panels: dict[int, list[str]] = {}
    for pair in solution.pairs:
        if nationality[pair.evaluator_id]:
            panels.setdefault(pair.proposal_id, []).append(nationality[pair.evaluator_id])
    return sum(len(names) - len(set(names)) for names in panels.values())


def test_a_soft_rule_holds_when_it_can_and_gives_way_when_it_cannot() -> None:
    proposals, evaluators = _pool(5, countries=8)
    soft = solve(proposals, evaluators, rules=SOFT)
    assert isinstance(soft, Solution)
    _check(soft, proposals, evaluators)  # met wherever the hard rule is
    proposals, evaluators = _pool(101, countries=2)
    soft = solve(proposals, evaluators, rules=SOFT)
    assert isinstance(soft, Solution)  # cannot be met: broken, but as little as it can be
    plain = solve(proposals, evaluators)
    assert isinstance(plain, Solution)
    assert 0 < _repeats(soft, evaluators) < _repeats(plain, evaluators)
