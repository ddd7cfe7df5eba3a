"""The pure core of Eurogrants: thresholds, weighted totals, merit order, tie-breaks and selection.

Standard library only; the contract is ../shared/domain/selection-rules.md. From Python::

    rules, candidates = parse_input(read_json(text))      # or build Rules / Candidate directly
    selection = select(rules, candidates)                  # Selection; raises InvalidInput (a ScoringError)
    output = selection_to_dict(selection)                  # the document's output JSON
    snapshot = canonical_json(input_to_dict(rules, candidates))   # store it; re-running gives the same bytes

and from the shell: ``python -m scoring select [FILE]``.
"""

from .errors import InvalidInput, ScoringError
from .io import (
    candidates_to_dict,
    canonical_json,
    input_to_dict,
    outcome_to_dict,
    parse_input,
    parse_rules,
    read_json,
    rules_to_dict,
    selection_to_dict,
)
from .model import (
    BudgetPolicy,
    Candidate,
    CriterionRule,
    ProposalOutcome,
    ReasonCode,
    Rules,
    SelectedBy,
    Selection,
    Status,
    ThresholdFailure,
    check_candidates,
)
from .rules import (
    Award,
    Miss,
    Ranked,
    apply_coverage,
    apply_eligibility,
    apply_thresholds,
    build_reserve_list,
    fund_in_merit_order,
    merit_order,
    select,
    threshold_failures,
    weighted_total,
)

__all__ = [
    "Award",
    "BudgetPolicy",
    "Candidate",
    "CriterionRule",
    "InvalidInput",
    "Miss",
    "ProposalOutcome",
    "Ranked",
    "ReasonCode",
    "Rules",
    "ScoringError",
    "SelectedBy",
    "Selection",
    "Status",
    "ThresholdFailure",
    "apply_coverage",
    "apply_eligibility",
    "apply_thresholds",
    "build_reserve_list",
    "canonical_json",
    "candidates_to_dict",
    "check_candidates",
    "fund_in_merit_order",
    "input_to_dict",
    "merit_order",
    "outcome_to_dict",
    "parse_input",
    "parse_rules",
    "read_json",
    "rules_to_dict",
    "select",
    "selection_to_dict",
    "threshold_failures",
    "weighted_total",
]
