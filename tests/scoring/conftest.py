"""Fixtures of the scoring tests: the example input of selection-rules.md, verbatim."""

import pytest

DOCUMENT_EXAMPLE = """\
{
  "rules": {
    "criteria": [
      {"key": "relevance", "max": 5, "weight": 1, "threshold": 3},
      {"key": "quality",   "max": 5, "weight": 1, "threshold": 3},
      {"key": "impact",    "max": 5, "weight": 1.5, "threshold": null}
    ],
    "overall_threshold": 10,
    "tie_break": ["relevance", "impact"],
    "budget": "42000000.00",
    "max_awards": 30,
    "budget_policy": "skip",
    "reserve_size": 10,
    "coverage": "strand"
  },
  "proposals": [
    {"id": "EC-0001", "requested": "1400000.00", "eligible": true,
     "scores": {"relevance": 4.5, "quality": 4, "impact": 3.5}, "strand": "Tourism"}
  ]
}
"""


@pytest.fixture
def document_example() -> str:
    """The input example of selection-rules.md, as JSON text."""
    return DOCUMENT_EXAMPLE
