"""The rules a call's ranking will apply, in the reader's language, for the configuration page's preview.

The scoring core words the rules in English (`scoring.describe`): the contract's text, which the English page shows
as it is. Other languages say the same rules again from the same `Rules` (or `AssessmentRules`) value, sentence for
sentence and in the same order, so that the preview still cannot disagree with the ranking.
"""

from __future__ import annotations

from decimal import Decimal

from app.formatting import format_decimal, format_money
from app.models import Call
from app.queries.selection import assessment_rules, call_rules, describe_call_rules
from app.translation import gettext, ngettext
from scoring import AssessmentRules, Rules


def rules_in_words(call: Call, language: str) -> list[str]:
    """One sentence per rule that decides who is selected, in `language` (DomainError when the rules are not valid)."""
    if language == "en":
        return describe_call_rules(call)  # the core's own words
    if call.is_assessed:
        return _assessment_in_words(assessment_rules(call))
    return _rules_in_words(call_rules(call), language)


def _rules_in_words(rules: Rules, language: str) -> list[str]:
    def number(value: Decimal) -> str:
        return format_decimal(value, locale=language)

    sentences = [gettext("Ineligible proposals are neither scored nor ranked.")]
    thresholds = [gettext("%(criterion)s at least %(score)s", criterion=r.key, score=number(r.threshold))
                  for r in rules.criteria if r.threshold is not None]
    if rules.overall_threshold is not None:
        thresholds.append(gettext("the unweighted sum of the scores at least %(score)s",
                                  score=number(rules.overall_threshold)))
    sentences.append(gettext("A proposal is ranked only with %(thresholds)s.", thresholds="; ".join(thresholds))
                     if thresholds else gettext("No threshold: every eligible proposal is ranked."))
    criteria = [
        gettext("%(criterion)s: scored 0 to %(max)s in half points, weight %(weight)s, threshold %(threshold)s",
                criterion=r.key, max=number(r.max), weight=number(r.weight), threshold=number(r.threshold))
        if r.threshold is not None else
        gettext("%(criterion)s: scored 0 to %(max)s in half points, weight %(weight)s, no threshold",
                criterion=r.key, max=number(r.max), weight=number(r.weight))
        for r in rules.criteria]
    sentences.append(gettext("Criteria: %(criteria)s.", criteria="; ".join(criteria)))
    sentences.append(gettext("Ranked by the weighted total (the sum of weight × score), highest first."))
    sentences.append(
        gettext("Equal totals are ordered by the higher score in each of these criteria in turn: %(keys)s; proposals "
                "still equal are a residual tie for the officer to resolve.", keys=", ".join(rules.tie_break))
        if rules.tie_break else
        gettext("Equal totals are a residual tie for the officer to resolve (no tie-break keys)."))
    if rules.coverage == "strand":
        sentences.append(gettext("First, the best-ranked proposal of each strand that fits the budget is selected."))
    elif rules.coverage is not None:
        sentences.append(gettext("First, the best-ranked proposal of each value of %(field)s that fits the budget is "
                                 "selected.", field=rules.coverage))
    sentences.append(_selection(rules, language))
    sentences.append(ngettext("The next %(num)d passing proposal forms the reserve list.",
                              "The next %(num)d passing proposals form the reserve list, in merit order.",
                              rules.reserve_size)
                     if rules.reserve_size else gettext("There is no reserve list."))
    return sentences


def _selection(rules: Rules, language: str) -> str:
    """How the walk down the ranking selects: by merit alone, or within the budget, skipping or stopping."""
    cap = rules.max_awards
    if rules.budget is None:
        if cap is None:
            return gettext("Proposals are selected in merit order (no budget and no cap).")
        return ngettext("Proposals are selected in merit order, at most %(num)d proposal.",
                        "Proposals are selected in merit order, at most %(num)d proposals.", cap)
    budget = format_money(rules.budget, locale=language)
    if rules.budget_policy == "skip":
        if cap is None:
            return gettext("Proposals are funded in merit order within the budget of %(budget)s; one that does not "
                           "fit the budget left is passed over and the walk goes on.", budget=budget)
        return ngettext("Proposals are funded in merit order within the budget of %(budget)s, at most %(num)d "
                        "proposal; one that does not fit the budget left is passed over and the walk goes on.",
                        "Proposals are funded in merit order within the budget of %(budget)s, at most %(num)d "
                        "proposals; one that does not fit the budget left is passed over and the walk goes on.",
                        cap, budget=budget)
    if cap is None:
        return gettext("Proposals are funded in merit order within the budget of %(budget)s; the walk stops at the "
                       "first one that does not fit.", budget=budget)
    return ngettext("Proposals are funded in merit order within the budget of %(budget)s, at most %(num)d proposal; "
                    "the walk stops at the first one that does not fit.",
                    "Proposals are funded in merit order within the budget of %(budget)s, at most %(num)d proposals; "
                    "the walk stops at the first one that does not fit.", cap, budget=budget)


def _assessment_in_words(rules: AssessmentRules) -> list[str]:
    places = (gettext("Every suitable proposal is selected (no limit on the places).") if rules.max_awards is None
              else ngettext("The first %(num)d suitable proposal in that order is selected: the mission's place; "
                            "there is no budget.",
                            "The first %(num)d suitable proposals in that order are selected: the mission's places; "
                            "there is no budget.", rules.max_awards))
    reserve = (ngettext("The next %(num)d suitable proposal forms the reserve list; the others are not selected.",
                        "The next %(num)d suitable proposals form the reserve list, in that order; the others are not "
                        "selected.", rules.reserve_size)
               if rules.reserve_size else gettext("There is no reserve list: the others are not selected."))
    return [
        gettext("Ineligible proposals are not assessed."),
        gettext("The programme officer assesses each eligible proposal as suitable or not suitable for the mission, "
                "with a short reasoned note and a fit score from 1 to 5; a proposal assessed not suitable is not "
                "selected."),
        gettext("Suitable proposals are ordered by fit score, highest first; equal fit scores by submission time, "
                "earliest first."),
        places,
        reserve,
    ]
