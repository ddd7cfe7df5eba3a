"""Panel rules on countries and genders in the solver, alone and with the nationality rule.

Properties over random pools of a generated call of 300 proposals and 80 evaluators (hypothesis draws the pools'
seeds, derandomized: the same pools on every run): every hard rule holds in every assignment, a soft rule holds
wherever its hard twin can, and a hard rule that cannot be met is named with its numbers. Boundary tests for each
rule below them.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import (
    NOT_FROM_THEIR_COUNTRY,
    EvaluatorSlot,
    Infeasible,
    PanelRules,
    ProposalNeed,
    Solution,
    Strength,
    gender_gaps,
    gender_rule_name,
    solve,
)

COUNTRIES = ["BE", "DE", "FR", "IT", "ES", "PT", "PL", "FI", "SE", "IE", "AT", "RO"]
GENDERS = ["woman"] * 8 + ["man"] * 8 + ["another", "prefer_not_to_say", "", ""]
HARD, SOFT, OFF = Strength.HARD, Strength.SOFT, Strength.OFF
# The suite's autouse fixtures are function-scoped but do nothing without the app: no state is shared.
POOLS = settings(max_examples=3, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _pool(seed: int, *, genders: list[str] = GENDERS, k: int = 3, n_proposals: int = 300,
          n_evaluators: int = 80) -> tuple[list[ProposalNeed], list[EvaluatorSlot]]:
    """Evaluators of 12 countries and nationalities, genders drawn from `genders`, loads 12 to 18; proposals with a
    consortium of 1 to 3 countries and up to 4 conflicts; a tenth already have one evaluator."""
    rng = random.Random(seed)
    evaluators = [EvaluatorSlot(i, rng.randint(12, 18), nationality=rng.choice(COUNTRIES),
                                country=rng.choice(COUNTRIES), gender=rng.choice(genders))
                  for i in range(n_evaluators)]
    proposals = []
    for i in range(n_proposals):
        excluded = set(rng.sample(range(n_evaluators), rng.randint(0, 4)))
        countries = frozenset(rng.sample(COUNTRIES, rng.randint(1, 3)))
        sitting: tuple[EvaluatorSlot, ...] = ()
        if rng.random() < 0.1:
            sitting = (rng.choice([e for e in evaluators if e.id not in excluded and e.country not in countries]),)
            excluded.add(sitting[0].id)
        proposals.append(ProposalNeed(
            1000 + i, None, k - len(sitting), frozenset(excluded), frozenset(excluded), f"P{i}",
            nationalities=frozenset(e.nationality for e in sitting), countries=countries,
            genders=tuple(e.gender for e in sitting)))
    return proposals, evaluators


def _breaks(solution: Solution, proposals: list[ProposalNeed], evaluators: list[EvaluatorSlot],
            rules: PanelRules) -> dict[str, int]:
    """How often each rule is broken (whatever its strength), after the basic constraints are checked."""
    by_id = {e.id: e for e in evaluators}
    chosen: dict[int, list[EvaluatorSlot]] = {p.id: [] for p in proposals}
    for pair in solution.pairs:
        chosen[pair.proposal_id].append(by_id[pair.evaluator_id])
    broken = Counter[str]()
    for proposal in proposals:
        got = chosen[proposal.id]
        assert len(got) == proposal.need
        assert len({e.id for e in got}) == len(got)
        assert not {e.id for e in got} & proposal.excluded
        named = [e.nationality for e in got] + sorted(proposal.nationalities)
        broken["nationality"] += len(named) - len(set(named))
        broken["country"] += sum(1 for e in got if e.country in proposal.countries)
    for evaluator_id, load in Counter(pair.evaluator_id for pair in solution.pairs).items():
        assert load <= by_id[evaluator_id].capacity
    broken["gender"] = sum(sum(gap.values()) for gap in gender_gaps(solution, proposals, evaluators, rules).values())
    return broken


@given(seed=st.integers(0, 10**6))
@POOLS
def test_every_hard_rule_holds_in_every_assignment_of_a_random_pool(seed: int) -> None:
    proposals, evaluators = _pool(seed)
    rules = PanelRules(nationality=HARD, country=HARD, gender=HARD, gender_share=40)
    answer = solve(proposals, evaluators, rules=rules)
    assert isinstance(answer, Solution), getattr(answer, "message", "")
    assert _breaks(answer, proposals, evaluators, rules) == {"nationality": 0, "country": 0, "gender": 0}


@given(seed=st.integers(0, 10**6), nationality=st.sampled_from([OFF, SOFT]))
@POOLS
def test_soft_rules_hold_wherever_their_hard_twins_can(seed: int, nationality: Strength) -> None:
    proposals, evaluators = _pool(seed)
    hard = PanelRules(nationality=HARD if nationality is SOFT else OFF, country=HARD, gender=HARD, gender_share=40)
    assert isinstance(solve(proposals, evaluators, rules=hard), Solution)
    soft = PanelRules(nationality=nationality, country=SOFT, gender=SOFT, gender_share=40)
    answer = solve(proposals, evaluators, rules=soft)
    assert isinstance(answer, Solution)
    broken = _breaks(answer, proposals, evaluators, soft)
    assert (broken["country"], broken["gender"]) == (0, 0)
    if nationality is SOFT:
        assert broken["nationality"] == 0


@given(seed=st.integers(0, 10**6))
@POOLS
def test_a_gender_share_that_cannot_be_met_is_named_with_its_numbers(seed: int) -> None:
    # One woman in ten: 300 panels need a woman each, the women of the pool have far fewer free places.
    proposals, evaluators = _pool(seed, genders=["woman"] + ["man"] * 9)
    assert isinstance(solve(proposals, evaluators), Solution)
    rules = PanelRules(gender=HARD, gender_share=40)
    answer = solve(proposals, evaluators, rules=rules)
    assert isinstance(answer, Infeasible)
    assert answer.rule == gender_rule_name(40) == "at least 40 % women and 40 % men on every panel"
    assert answer.rule in answer.message
    women_places = sum(e.capacity for e in evaluators if e.gender == "woman")
    assert f"the women of the pool have {women_places} free places" in answer.message
    assert answer.shortfalls
    assert all(s.rule == answer.rule for s in answer.shortfalls)
    assert "1 woman (40 % of 3, rounded down)" in answer.shortfalls[0].reason
    # Soft, the same rule gives way as little as it can: every woman's place is used.
    soft = solve(proposals, evaluators, rules=PanelRules(gender=SOFT, gender_share=40))
    assert isinstance(soft, Solution)
    given_to_women = sum(1 for pair in soft.pairs if evaluators[pair.evaluator_id].gender == "woman")
    assert given_to_women == min(women_places, 300)


# --- boundaries ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("share", "panel", "minimum"), [
    (0, 3, 0), (33, 3, 0), (34, 3, 1), (40, 3, 1), (50, 3, 1), (50, 4, 2), (49, 4, 1), (40, 5, 2), (50, 1, 0)])
def test_the_minimum_of_each_gender_is_the_share_of_the_panel_rounded_down(share: int, panel: int,
                                                                         minimum: int) -> None:
    assert PanelRules(gender=HARD, gender_share=share).gender_minimum(panel) == minimum


def test_a_gender_the_rule_does_not_count_never_takes_a_place_the_rule_needs_nor_is_refused() -> None:
    # Three places, at least one woman and one man: the third goes to whoever is closest, any gender or none.
    evaluators = [EvaluatorSlot(1, 5, gender="woman"), EvaluatorSlot(2, 5, gender="man"),
                  EvaluatorSlot(3, 5, gender="man"), EvaluatorSlot(4, 5, gender="prefer_not_to_say"),
                  EvaluatorSlot(5, 5, gender="another"), EvaluatorSlot(6, 5, gender="")]
    rules = PanelRules(gender=HARD, gender_share=40)
    for third in (3, 4, 5, 6):
        pool = [e for e in evaluators if e.id in (1, 2, third)]
        answer = solve([ProposalNeed(1, None, 3)], pool, rules=rules)
        assert isinstance(answer, Solution)
        assert sorted(p.evaluator_id for p in answer.pairs) == sorted([1, 2, third])
    without_a_woman = solve([ProposalNeed(1, None, 3)], evaluators[1:], rules=rules)
    assert isinstance(without_a_woman, Infeasible)
    assert without_a_woman.rule == gender_rule_name(40)


def test_the_genders_a_panel_already_has_count_toward_its_minimum() -> None:
    evaluators = [EvaluatorSlot(1, 5, gender="man"), EvaluatorSlot(2, 5, gender="woman")]
    rules = PanelRules(gender=HARD, gender_share=50)
    has_a_woman = ProposalNeed(1, None, 1, genders=("woman",))  # panel of 2: one woman, one man
    answer = solve([has_a_woman], evaluators, rules=rules)
    assert isinstance(answer, Solution)
    assert [p.evaluator_id for p in answer.pairs] == [1]
    assert isinstance(solve([has_a_woman], evaluators[1:], rules=rules), Infeasible)


def test_the_gender_rule_outweighs_closeness_and_loads_but_not_the_places_themselves() -> None:
    # The man is the expert and has no load; the woman is loaded: a hard or soft 50 % rule still takes her.
    evaluators = [EvaluatorSlot(1, 5, frozenset({"Digital"}), gender="man"),
                  EvaluatorSlot(2, 5, frozenset({"Digital"}), gender="man"),
                  EvaluatorSlot(3, 1, load=9, gender="woman")]
    proposal = ProposalNeed(1, "Digital", 2)
    plain = solve([proposal], evaluators)
    assert isinstance(plain, Solution)
    assert [p.evaluator_id for p in plain.pairs] == [1, 2]
    for strength in (HARD, SOFT):
        answer = solve([proposal], evaluators, rules=PanelRules(gender=strength, gender_share=50))
        assert isinstance(answer, Solution)
        assert 3 in [p.evaluator_id for p in answer.pairs]


@pytest.mark.parametrize(("countries", "allowed"), [({"BE"}, [2, 3]), ({"BE", "DE"}, [3]), (set(), [1, 2, 3])])
def test_a_hard_country_rule_keeps_evaluators_of_the_named_countries_away(countries: set[str],
                                                                          allowed: list[int]) -> None:
    evaluators = [EvaluatorSlot(1, 5, country="BE"), EvaluatorSlot(2, 5, country="DE"), EvaluatorSlot(3, 5)]
    proposal = ProposalNeed(1, None, len(allowed), countries=frozenset(countries))
    answer = solve([proposal], evaluators, rules=PanelRules(country=HARD))
    assert isinstance(answer, Solution)
    assert [p.evaluator_id for p in answer.pairs] == allowed
    one_more = solve([ProposalNeed(1, None, len(allowed) + 1, countries=frozenset(countries))], evaluators,
                     rules=PanelRules(country=HARD))
    assert isinstance(one_more, Infeasible)
    # Kept away as a conflict of interest is: counted as conflicted in the report.
    assert one_more.shortfalls[0].conflicted == 3 - len(allowed)


def test_a_soft_country_rule_gives_way_only_when_nobody_else_is_free() -> None:
    evaluators = [EvaluatorSlot(1, 5, frozenset({"Digital"}), country="BE"), EvaluatorSlot(2, 1, country="DE")]
    answer = solve([ProposalNeed(1, "Digital", 1, countries=frozenset({"BE"}))], evaluators,
                   rules=PanelRules(country=SOFT))
    assert isinstance(answer, Solution)
    assert [p.evaluator_id for p in answer.pairs] == [2]
    answer = solve([ProposalNeed(1, "Digital", 2, countries=frozenset({"BE"}))], evaluators,
                   rules=PanelRules(country=SOFT))
    assert isinstance(answer, Solution)
    assert [p.evaluator_id for p in answer.pairs] == [1, 2]
    assert NOT_FROM_THEIR_COUNTRY == "no evaluator from a country of the proposal's consortium"


def test_with_genders_balanced_a_nationality_still_sits_once_on_a_panel() -> None:
    # The cheapest panel by strand would be the two Belgians, a woman and a man: the rule takes the German man.
    evaluators = [EvaluatorSlot(1, 5, frozenset({"Digital"}), nationality="BE", gender="woman"),
                  EvaluatorSlot(2, 5, frozenset({"Digital"}), nationality="BE", gender="man"),
                  EvaluatorSlot(3, 5, nationality="DE", gender="man")]
    rules = PanelRules(nationality=HARD, gender=HARD, gender_share=50)
    answer = solve([ProposalNeed(1, "Digital", 2)], evaluators, rules=rules)
    assert isinstance(answer, Solution)
    assert [p.evaluator_id for p in answer.pairs] == [1, 3]
