"""The process view's sentences agree with their counts (one report awaits, two await)."""

from __future__ import annotations

from app.enums import ReportStatus
from app.queries.process import _consensus, _Figures


def _figures(waiting: int) -> _Figures:
    return _Figures(drafts=0, submitted=3, pending=0, eligible=3, ineligible=0, published=9, proposed=9,
                    reports_in=9, consensus={ReportStatus.SUBMITTED: waiting}, ranking_blockers=[], runs=0,
                    finalised_run=None, letters=0, letters_published=0)


def test_one_consensus_report_awaits_and_two_await() -> None:
    assert _consensus(_figures(1)).blocker == "1 consensus report awaits your approval."
    assert _consensus(_figures(2)).blocker == "2 consensus reports await your approval."
