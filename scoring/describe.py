"""The rules of a call in words, as the ranking will apply them: the same `Rules` value the core selects with (or,
for a call for expression of interest, the same `AssessmentRules`), so that a preview of the rules cannot disagree
with the ranking (the order of the sentences is the order of the rules in selection-rules.md, or in
`scoring.assessment`)."""

from __future__ import annotations

from .assessment import AssessmentRules
from .decimals import money, plain
from .model import CriterionRule, Rules


def _criterion(rule: CriterionRule) -> str:
    threshold = "no threshold" if rule.threshold is None else f"threshold {plain(rule.threshold)}"
    return f"{rule.key}: scored 0 to {plain(rule.max)} in half points, weight {plain(rule.weight)}, {threshold}"


def describe_rules(rules: Rules) -> list[str]:
    """One sentence per rule that decides who gets money, in the order the core applies them."""
    sentences = ["Ineligible proposals are neither scored nor ranked."]
    thresholds = [f"{r.key} at least {plain(r.threshold)}" for r in rules.criteria if r.threshold is not None]
    if rules.overall_threshold is not None:
        thresholds.append(f"the unweighted sum of the scores at least {plain(rules.overall_threshold)}")
    sentences.append("A proposal is ranked only with " + "; ".join(thresholds) + "."
                     if thresholds else "No threshold: every eligible proposal is ranked.")
    sentences.append("Criteria: " + "; ".join(_criterion(r) for r in rules.criteria) + ".")
    sentences.append("Ranked by the weighted total (the sum of weight × score), highest first.")
    sentences.append(
        "Equal totals are ordered by the higher score in " + ", then ".join(rules.tie_break)
        + "; proposals still equal are a residual tie for the officer to resolve."
        if rules.tie_break else "Equal totals are a residual tie for the officer to resolve (no tie-break keys).")
    if rules.coverage is not None:
        sentences.append(f"First, the best-ranked proposal of each {rules.coverage} that fits the budget is selected.")
    cap = "" if rules.max_awards is None else f", at most {rules.max_awards} proposals"
    if rules.budget is None:
        sentences.append(f"Proposals are selected in merit order{cap or ' (no budget and no cap)'}.")
    else:
        walk = ("one that does not fit the budget left is passed over and the walk goes on"
                if rules.budget_policy == "skip" else "the walk stops at the first one that does not fit")
        sentences.append(f"Proposals are funded in merit order within the budget of {money(rules.budget)}{cap}; "
                         f"{walk}.")
    sentences.append(f"The next {rules.reserve_size} passing proposals form the reserve list, in merit order."
                     if rules.reserve_size else "There is no reserve list.")
    return sentences


def describe_assessment(rules: AssessmentRules) -> list[str]:
    """The rules in words, in the order they are applied (the configure page's preview)."""
    places = ("Every suitable proposal is selected (no limit on the places)." if rules.max_awards is None else
              f"The first {rules.max_awards} suitable proposals in that order are selected: the mission's places; "
              "there is no budget.")
    reserve = (f"The next {rules.reserve_size} suitable proposals form the reserve list, in that order; the others "
               "are not selected." if rules.reserve_size else "There is no reserve list: the others are not selected.")
    return [
        "Ineligible proposals are not assessed.",
        "The programme officer assesses each eligible proposal as suitable or not suitable for the mission, with a "
        "short reasoned note and a fit score from 1 to 5; a proposal assessed not suitable is not selected.",
        "Suitable proposals are ordered by fit score, highest first; equal fit scores by submission time, earliest "
        "first.",
        places,
        reserve,
    ]
