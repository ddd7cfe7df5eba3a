"""`scoring.describe_rules`: the rules in words, from the very Rules value the core selects with."""

from decimal import Decimal

from scoring import CriterionRule, Rules, describe_rules

D = Decimal
EUROCLUSTERS = Rules(
    criteria=(CriterionRule("relevance", D(5), D(1), D(3)), CriterionRule("quality", D(5), D(1), D(3)),
              CriterionRule("impact", D(5), D("1.5"), None)),
    overall_threshold=D(10), tie_break=("relevance", "impact"), budget=D("42000000.00"), max_awards=30,
    budget_policy="skip", reserve_size=10, coverage="strand",
)


def test_describes_each_rule_in_the_order_the_core_applies_them() -> None:
    assert describe_rules(EUROCLUSTERS) == [
        "Ineligible proposals are neither scored nor ranked.",
        "A proposal is ranked only with relevance at least 3; quality at least 3; the unweighted sum of the scores "
        "at least 10.",
        "Criteria: relevance: scored 0 to 5 in half points, weight 1, threshold 3; quality: scored 0 to 5 in half "
        "points, weight 1, threshold 3; impact: scored 0 to 5 in half points, weight 1.5, no threshold.",
        "Ranked by the weighted total (the sum of weight × score), highest first.",
        "Equal totals are ordered by the higher score in relevance, then impact; proposals still equal are a "
        "residual tie for the officer to resolve.",
        "First, the best-ranked proposal of each strand that fits the budget is selected.",
        "Proposals are funded in merit order within the budget of 42,000,000.00, at most 30 proposals; one that "
        "does not fit the budget left is passed over and the walk goes on.",
        "The next 10 passing proposals form the reserve list, in merit order.",
    ]


def test_describes_a_call_without_money_thresholds_or_reserve() -> None:
    rules = Rules(criteria=(CriterionRule("relevance", D(5)),), max_awards=20, budget_policy="stop")
    assert describe_rules(rules)[1:] == [
        "No threshold: every eligible proposal is ranked.",
        "Criteria: relevance: scored 0 to 5 in half points, weight 1, no threshold.",
        "Ranked by the weighted total (the sum of weight × score), highest first.",
        "Equal totals are a residual tie for the officer to resolve (no tie-break keys).",
        "Proposals are selected in merit order, at most 20 proposals.",
        "There is no reserve list.",
    ]


def test_the_stop_policy_says_the_walk_stops() -> None:
    rules = Rules(criteria=(CriterionRule("relevance", D(5)),), budget=D("100.00"), budget_policy="stop")
    assert describe_rules(rules)[-2] == ("Proposals are funded in merit order within the budget of 100.00; the walk "
                                         "stops at the first one that does not fit.")
