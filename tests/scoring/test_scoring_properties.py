"""Properties of selection that hold for every call, checked on generated calls (hypothesis)."""

import random
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import (
    Candidate,
    CriterionRule,
    Rules,
    Selection,
    canonical_json,
    input_to_dict,
    parse_input,
    read_json,
    select,
    selection_to_dict,
)

D = Decimal
KEYS = ("relevance", "quality", "impact")
PROPERTIES = settings(max_examples=200, deadline=None)

HALF_POINTS = [D(halves) / 2 for halves in range(11)]
# Scores near the thresholds come up more often, so that ties and threshold boundaries are frequent.
SCORES = st.sampled_from(HALF_POINTS + [D(3), D(3), D(4), D(4), D("3.5")])
AMOUNTS = st.integers(0, 5000).map(lambda cents: D(cents).scaleb(-2))
# Ids whose string order differs from their numeric order, and characters that sort before letters.
IDS = [f"EC-{number}" for number in (1, 2, 9, 10, 11, 100)] + ["a", "B", "b", "0", "-", "A-1", "A1", "Ä", "P 1"]
ELIGIBLE = st.sampled_from([True, True, True, False])
STRANDS = st.sampled_from([{}, {"strand": None}, {"strand": "A"}, {"strand": "B"}, {"strand": "C"}])


@st.composite
def calls(draw: st.DrawFn) -> tuple[Rules, list[Candidate]]:
    """A call of up to 15 proposals whose scores collide often, so that ties and thresholds are exercised."""
    keys = KEYS[: draw(st.integers(1, 3))]
    criteria = tuple(
        CriterionRule(
            key,
            D(5),
            draw(st.sampled_from([D(0), D("0.5"), D(1), D("1.5")])),
            draw(st.none() | st.sampled_from(HALF_POINTS)),
        )
        for key in keys
    )
    rules = Rules(
        criteria=criteria,
        overall_threshold=draw(st.none() | st.integers(0, 5 * len(keys)).map(D)),
        tie_break=tuple(draw(st.lists(st.sampled_from(keys), unique=True))),
        budget=draw(st.none() | AMOUNTS.map(lambda amount: amount * 3)),
        max_awards=draw(st.none() | st.integers(0, 8)),
        budget_policy=draw(st.sampled_from(["skip", "stop"])),
        reserve_size=draw(st.integers(0, 5)),
        coverage=draw(st.none() | st.just("strand")),
    )
    ids = draw(st.lists(st.sampled_from(IDS), unique=True))
    rows = draw(
        st.lists(st.tuples(AMOUNTS, ELIGIBLE, STRANDS, *(SCORES for _ in keys)), min_size=len(ids), max_size=len(ids))
    )
    candidates = [
        Candidate(proposal_id, requested, eligible, dict(zip(keys, scores, strict=True)), fields)
        for proposal_id, (requested, eligible, fields, *scores) in zip(ids, rows, strict=True)
    ]
    return rules, candidates


def weighted(rules: Rules, candidate: Candidate) -> Decimal:
    return sum((criterion.weight * candidate.scores[criterion.key] for criterion in rules.criteria), D(0))


def passes(rules: Rules, candidate: Candidate) -> bool:
    scores = [candidate.scores[criterion.key] for criterion in rules.criteria]
    below = any(
        criterion.threshold is not None and score < criterion.threshold
        for criterion, score in zip(rules.criteria, scores, strict=True)
    )
    return not below and (rules.overall_threshold is None or sum(scores) >= rules.overall_threshold)


def oracle(rules: Rules, candidates: list[Candidate]) -> tuple[list[str], list[str], Decimal | None]:
    """The document's rules written as plainly as possible: (selected, reserve, remaining budget)."""
    order = sorted(
        (candidate for candidate in candidates if candidate.eligible and passes(rules, candidate)),
        key=lambda c: ([-weighted(rules, c), *(-c.scores[key] for key in rules.tie_break)], c.id),
    )
    selected: set[str] = set()
    remaining = rules.budget

    def full() -> bool:
        return rules.max_awards is not None and len(selected) >= rules.max_awards

    def take(candidate: Candidate) -> bool:
        nonlocal remaining
        if remaining is not None and candidate.requested > remaining:
            return False
        selected.add(candidate.id)
        remaining = None if remaining is None else remaining - candidate.requested
        return True

    if rules.coverage is not None:
        values = [value for value in dict.fromkeys(c.fields.get(rules.coverage) for c in order) if value is not None]
        for value in values:
            if full():
                break
            for candidate in order:
                if candidate.fields.get(rules.coverage) == value and take(candidate):
                    break
    for candidate in order:
        if candidate.id in selected:
            continue
        if full():
            break
        if not take(candidate) and rules.budget_policy == "stop":
            break
    rest = [c.id for c in order if c.id not in selected]
    return [c.id for c in order if c.id in selected], rest[: rules.reserve_size], remaining


@PROPERTIES
@given(calls())
def test_selection_matches_a_plain_reading_of_the_rules(call: tuple[Rules, list[Candidate]]) -> None:
    rules, candidates = call
    selection = select(rules, candidates)
    selected, reserve, remaining = oracle(rules, candidates)
    assert (list(selection.selected), list(selection.reserve), selection.remaining_budget) == (
        selected,
        reserve,
        remaining,
    )


@PROPERTIES
@given(calls())
def test_never_spends_more_than_the_budget_nor_makes_more_than_max_awards(call: tuple[Rules, list[Candidate]]) -> None:
    rules, candidates = call
    selection = select(rules, candidates)
    spent = sum((c.requested for c in candidates if c.id in selection.selected), D(0))
    if rules.budget is None:
        assert selection.remaining_budget is None
    else:
        assert selection.remaining_budget == rules.budget - spent >= 0
    if rules.max_awards is not None:
        assert len(selection.selected) <= rules.max_awards


@PROPERTIES
@given(calls())
def test_every_proposal_appears_once_and_every_passing_one_is_selected_reserve_or_not_funded(
    call: tuple[Rules, list[Candidate]],
) -> None:
    rules, candidates = call
    selection = select(rules, candidates)
    assert sorted(item.id for item in selection.proposals) == sorted(c.id for c in candidates)
    passing = {c.id for c in candidates if c.eligible and passes(rules, c)}
    ranked = [item for item in selection.proposals if item.rank is not None]
    assert {item.id for item in ranked} == passing
    assert [item.rank for item in ranked] == list(range(1, len(ranked) + 1))
    assert {item.status for item in ranked} <= {"selected", "reserve", "not_funded"}
    assert [item.id for item in ranked if item.status == "selected"] == list(selection.selected)
    assert [item.id for item in ranked if item.status == "reserve"] == list(selection.reserve)
    assert [item.reserve_position for item in ranked if item.status == "reserve"] == list(
        range(1, len(selection.reserve) + 1)
    )
    assert len(selection.reserve) == min(rules.reserve_size, len(passing) - len(selection.selected))


@PROPERTIES
@given(calls())
def test_totals_are_weighted_sums_in_merit_order_and_residual_ties_are_groups_of_equals(
    call: tuple[Rules, list[Candidate]],
) -> None:
    rules, candidates = call
    by_id = {c.id: c for c in candidates}
    selection = select(rules, candidates)
    ranked = [item for item in selection.proposals if item.rank is not None]
    assert [item.total for item in ranked] == [weighted(rules, by_id[item.id]) for item in ranked]
    assert [item.total for item in ranked] == sorted((item.total for item in ranked), reverse=True)
    for group in selection.ties:
        assert len(group) >= 2
        assert list(group) == sorted(group)
        keys = {(weighted(rules, by_id[i]), *(by_id[i].scores[k] for k in rules.tie_break)) for i in group}
        assert len(keys) == 1


@PROPERTIES
@given(calls())
def test_steps_follow_the_order_of_the_decisions_and_budget_left_is_what_remained_after_each(
    call: tuple[Rules, list[Candidate]],
) -> None:
    rules, candidates = call
    by_id = {c.id: c for c in candidates}
    selection = select(rules, candidates)
    ranked = [item for item in selection.proposals if item.rank is not None]
    in_steps = sorted(ranked, key=lambda item: item.step or 0)
    assert [item.step for item in in_steps] == list(range(1, len(ranked) + 1))
    # Coverage picks come first; every other ranked proposal follows in merit order.
    coverage = [item for item in in_steps if item.reason_code == "coverage"]
    assert in_steps[: len(coverage)] == coverage
    assert [item.rank for item in in_steps[len(coverage) :]] == sorted(item.rank for item in in_steps[len(coverage) :])
    left = rules.budget
    for item in in_steps:
        if item.status == "selected" and left is not None:
            left -= by_id[item.id].requested
        assert item.budget_left == left
        if item.status == "selected":
            assert item.reason_code in {"coverage", "fits"}
            if left is not None:
                assert item.reason.endswith(f"{left:,.2f} left after it")
        else:
            assert item.reason_code in {"budget", "stop_policy", "award_cap"}
    assert left == selection.remaining_budget
    for item in selection.proposals:
        if item.rank is None:
            assert (item.step, item.budget_left) == (None, None)
            assert item.reason_code == ("threshold" if item.status == "below_threshold" else "ineligible")


@PROPERTIES
@given(calls(), st.randoms(use_true_random=False))
def test_output_is_the_same_for_shuffled_input(call: tuple[Rules, list[Candidate]], rng: random.Random) -> None:
    rules, candidates = call
    shuffled = list(candidates)
    rng.shuffle(shuffled)
    assert selection_to_dict(select(rules, shuffled)) == selection_to_dict(select(rules, candidates))


@PROPERTIES
@given(calls())
def test_a_snapshot_re_runs_to_the_same_bytes(call: tuple[Rules, list[Candidate]]) -> None:
    rules, candidates = call
    snapshot = canonical_json(input_to_dict(rules, candidates))
    again = parse_input(read_json(snapshot))
    assert canonical_json(input_to_dict(*again)) == snapshot

    def output(selection: Selection) -> str:
        return canonical_json(selection_to_dict(selection))

    assert output(select(*again)) == output(select(rules, candidates))
