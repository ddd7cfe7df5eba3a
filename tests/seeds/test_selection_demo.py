"""The demo field of the Euroclusters call: large, ready to rank and idempotent, and its ranking counts the budget
left in the order of the decisions the same way in the rows, the reasons, the CSV and the XLSX."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import sqlalchemy as sa
from openpyxl import load_workbook

from app.extensions import db
from app.manage.exports import ranking_csv, ranking_xlsx
from app.models import Call
from app.queries.ranking import live_ranking
from app.queries.selection import load_call_data
from app.seeds.calls import seed_reference_calls
from app.seeds.selection_demo import seed_selection_demo


def test_demo_field_is_large_ready_and_idempotent(app_ctx) -> None:
    seed_reference_calls()
    call = db.session.scalar(sa.select(Call).where(Call.code == "SMP-COSME-2021-CLUSTER-01"))
    assert seed_selection_demo(call) == 64
    assert seed_selection_demo(call) == 0
    ranking = live_ranking(call)
    counts = ranking.counts()
    assert ranking.readiness.is_ready
    assert counts["selected"] == 30
    assert counts["ineligible"] == 2
    assert counts["below_threshold"] > 0
    assert counts["reserve"] == 10
    assert ranking.ties
    strands = {entry.strand for entry in ranking.entries}
    assert len(strands) == 15



def test_the_demo_ranking_counts_the_budget_left_in_the_order_of_the_decisions_everywhere(app_ctx) -> None:
    """Issue 11, item 2: one quantity, "budget left after it", in the order the decisions were taken (coverage
    picks first), the same in the rows, the reasons, the CSV and the XLSX."""
    seed_reference_calls()
    call = db.session.scalar(sa.select(Call).where(Call.code == "SMP-COSME-2021-CLUSTER-01"))
    seed_selection_demo(call)
    ranking = live_ranking(call, data=load_call_data(call, with_comments=True))
    ranked = [entry for entry in ranking.entries if entry.rank is not None]
    assert sorted(entry.step for entry in ranked) == list(range(1, len(ranked) + 1))
    # Coverage picks come first, so some selected proposals are decided long after their rank.
    assert any(entry.step != entry.rank for entry in ranked if entry.status == "selected")
    left = ranking.budget
    for entry in sorted(ranked, key=lambda entry: entry.step):
        if entry.status == "selected":
            left -= entry.requested
            assert entry.reason.endswith(f"{left:,.2f} left after it"), entry.reason
        assert entry.budget_left == left
    assert left == ranking.remaining
    # The award cap of 30 binds with budget unused: the core says so by its code for every proposal after it.
    assert ranking.remaining > 0
    assert {entry.reason_code for entry in ranked if entry.status != "selected"} == {"award_cap"}

    csv_rows = list(csv.DictReader(io.StringIO(ranking_csv(ranking).decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(ranking_xlsx(ranking)))["Ranking"]
    names = [cell.value for cell in sheet[1]]
    xlsx_rows = [dict(zip(names, (cell.value for cell in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    assert "Running budget (EUR)" not in names
    for entry, csv_row, xlsx_row in zip(ranking.entries, csv_rows, xlsx_rows, strict=True):
        assert csv_row["ID"] == xlsx_row["ID"] == entry.reference
        expected_left = "" if entry.budget_left is None else str(entry.budget_left)
        assert (csv_row["Step"], csv_row["Budget left after it (EUR)"]) == (
            "" if entry.step is None else str(entry.step), expected_left)
        assert (xlsx_row["Step"], xlsx_row["Budget left after it (EUR)"]) == (
            entry.step, None if entry.budget_left is None else Decimal(entry.budget_left))
        assert csv_row["Reason code"] == xlsx_row["Reason code"] == entry.reason_code
        if entry.status == "selected":
            assert csv_row["Reason"].endswith(f"{entry.budget_left:,.2f} left after it")

