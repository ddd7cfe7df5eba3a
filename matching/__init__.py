"""Who evaluates what: evaluators assigned to proposals as a minimum-cost flow, on plain data.

Pure like `scoring/` (no Flask, no database, nothing of `app`; a test proves it) and typed strictly, but not about
money, so it has a package of its own:

- `matching.problem`: the inputs (`ProposalNeed`, `EvaluatorSlot`, the call's `PanelRules` on nationality,
  country and gender, each off, soft or hard), the outputs (`Solution` of `Pair`s, or `Infeasible` with a
  `Shortfall` per proposal and the rule that cannot be met) as frozen dataclasses, and `pair_cost`, what a pair
  costs;
- `matching.flow`: `solve`, the network and its short lists;
- `matching.genders`: the gender rule's groups and the minimum places a solution leaves unfilled;
- `matching.shortfall`: the sentences that say why places cannot be filled;
- `matching.affinity`: `Affinity`, how close each proposal is to each evaluator from what they wrote (TF-IDF), the
  cost of a pair when `solve` is given one, and the terms a pair shares (why this evaluator).

`app.services.assignment.fill_gaps` builds the inputs from the database (`app.queries.assignment`) and stores the
pairs. A new constraint is new data on the inputs; a new preference is a term of `pair_cost`.
"""

from matching.affinity import Affinity
from matching.flow import solve
from matching.genders import gender_gaps
from matching.problem import (
    COUNTED_GENDERS,
    GENDER_NAMES,
    NOT_FROM_THEIR_COUNTRY,
    ONE_PER_NATIONALITY,
    EvaluatorSlot,
    Infeasible,
    Pair,
    PanelRules,
    ProposalNeed,
    Shortfall,
    Solution,
    Strength,
    gender_rule_name,
    pair_cost,
)

__all__ = ["COUNTED_GENDERS", "GENDER_NAMES", "NOT_FROM_THEIR_COUNTRY", "ONE_PER_NATIONALITY", "Affinity",
           "EvaluatorSlot", "Infeasible", "PanelRules", "Pair", "ProposalNeed", "Shortfall", "Solution", "Strength",
           "gender_gaps", "gender_rule_name", "pair_cost", "solve"]
