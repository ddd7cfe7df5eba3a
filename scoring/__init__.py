"""The pure core of Eurogrants: thresholds, weighted totals, merit order, tie-breaks, selection and promotion from the
reserve list.

Standard library only; the contract is ../shared/domain/selection-rules.md. From Python::

    rules, candidates = parse_input(read_json(text))      # or build Rules / Candidate directly
    selection = select(rules, candidates)                  # Selection; raises InvalidInput (a ScoringError)
    output = selection_to_dict(selection)                  # the document's output JSON
    snapshot = canonical_json(input_to_dict(rules, candidates))   # store it; re-running gives the same bytes
    again = read_output(output, rules, candidates)         # an output read back (older outputs too)
    after = promote(again, candidates, Release("EC-0007", "declined"))   # promotion from the reserve list
    decision = decide_review(standing, NewResult(...))     # funding after an upheld evaluation review

A call for expression of interest selects by the officer's assessment instead (`scoring.assessment`)::

    selection = select_by_assessment(AssessmentRules(max_awards=20, reserve_size=5), assessed)

and from the shell: ``python -m scoring select [FILE]`` (either kind of document), ``python -m scoring promote [FILE]``
and ``python -m scoring review [FILE]``.
"""

from .assessment import (
    Assessed,
    AssessmentRules,
    assess_document,
    assessment_to_dict,
    assessment_view,
    is_assessment_document,
    parse_assessment,
    select_by_assessment,
)
from .describe import describe_assessment, describe_rules
from .errors import InvalidInput, ScoringError
from .io import (
    candidates_to_dict,
    canonical_json,
    input_to_dict,
    parse_input,
    parse_rules,
    read_json,
    rules_to_dict,
    select_document,
)
from .model import (
    REASON_CODES,
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
from .output import ADDED_FIELDS, DECISION_FIELDS, outcome_to_dict, read_output, selection_to_dict
from .promotion import (
    RELEASE_REASONS,
    Promotion,
    PromotionError,
    Release,
    ReleaseReason,
    parse_promotion,
    promote,
    promote_document,
    promotion_document,
)
from .review import (
    REVIEW_CODES,
    NewResult,
    Review,
    ReviewCode,
    ReviewDecision,
    ReviewError,
    ReviewOutcome,
    Standing,
    apply_review,
    decide_review,
    decide_review_document,
    decision_to_dict,
    parse_review,
    review_document,
    review_document_run,
    standing_of,
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
    score_sum,
    select,
    select_checked,
    threshold_failures,
    weighted_total,
)

__all__ = [
    "Assessed",
    "AssessmentRules",
    "assess_document",
    "assessment_to_dict",
    "assessment_view",
    "describe_assessment",
    "is_assessment_document",
    "parse_assessment",
    "select_by_assessment",
    "ADDED_FIELDS",
    "DECISION_FIELDS",
    "REASON_CODES",
    "RELEASE_REASONS",
    "REVIEW_CODES",
    "Award",
    "BudgetPolicy",
    "Candidate",
    "CriterionRule",
    "InvalidInput",
    "Miss",
    "NewResult",
    "Promotion",
    "PromotionError",
    "ProposalOutcome",
    "Ranked",
    "ReasonCode",
    "Release",
    "ReleaseReason",
    "Review",
    "ReviewCode",
    "ReviewDecision",
    "ReviewError",
    "ReviewOutcome",
    "Rules",
    "ScoringError",
    "SelectedBy",
    "Selection",
    "Standing",
    "Status",
    "ThresholdFailure",
    "apply_coverage",
    "apply_eligibility",
    "apply_review",
    "apply_thresholds",
    "build_reserve_list",
    "canonical_json",
    "describe_rules",
    "candidates_to_dict",
    "check_candidates",
    "decide_review",
    "decide_review_document",
    "decision_to_dict",
    "fund_in_merit_order",
    "input_to_dict",
    "merit_order",
    "outcome_to_dict",
    "parse_input",
    "parse_promotion",
    "parse_review",
    "parse_rules",
    "promote",
    "promote_document",
    "promotion_document",
    "read_json",
    "read_output",
    "review_document",
    "review_document_run",
    "rules_to_dict",
    "score_sum",
    "select",
    "select_checked",
    "select_document",
    "selection_to_dict",
    "standing_of",
    "threshold_failures",
    "weighted_total",
]
