"""The ranking's CSV and XLSX files: a BOM and a header, one row per proposal with the core's step, budget left and
reason code, two sheets with frozen headers, filters and number formats, and no formula from applicant text."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from app.manage.exports import ranking_csv, ranking_xlsx
from app.queries.ranking import live_ranking
from app.queries.selection import load_call_data
from app.spreadsheets import neutralise


@pytest.mark.parametrize(("text", "expected"), [
    ("=1+1", "'=1+1"), ("+32 2 299", "'+32 2 299"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("ALPHA", "ALPHA"), ("", ""),
])
def test_formula_like_text_is_neutralised(text, expected) -> None:
    assert neutralise(text) == expected


def test_csv_has_a_bom_a_header_and_one_row_per_proposal(call_with_field) -> None:
    call = call_with_field.call
    body = ranking_csv(live_ranking(call))
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["Rank", "ID", "Acronym", "Coordinator", "Country", "Strand", "Relevance (score)",
                       "Quality (score)", "Impact (score)", "Thresholds passed", "Weighted total", "Tie-break keys",
                       "Requested grant (EUR)", "Step", "Budget left after it (EUR)", "Status", "Reason code",
                       "Reason"]
    assert len(rows) == 6
    assert rows[1][:3] == ["1", "OUT-0001", "'=HYPERLINK(\"x\")"]
    assert rows[1][6:] == ["5.0", "5.0", "4.0", "yes", "14", "relevance 5; impact 4; quality 5", "1200000.00",
                           "1", "1300000.00", "Selected", "fits", "rank 1; fits: 1,300,000.00 left after it"]
    assert rows[3][13:18] == ["3", "300000.00", "Reserve", "budget",
                              "rank 3; reserve position 1; requested 900,000.00 exceeds the 300,000.00 left "
                              "(skip policy)"]
    assert rows[5][9] == "no: relevance 2 < 3"
    assert rows[5][0] == ""
    assert rows[5][13:17] == ["", "", "Below threshold", "threshold"]


def test_xlsx_has_two_sheets_frozen_headers_filters_and_number_formats(call_with_field) -> None:
    call = call_with_field.call
    ranking = live_ranking(call, data=load_call_data(call, with_comments=True))
    book = load_workbook(io.BytesIO(ranking_xlsx(ranking)))
    assert book.sheetnames == ["Ranking", "Consensus comments"]
    sheet = book["Ranking"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:R6"
    assert sheet["B2"].value == "OUT-0001"
    assert sheet["C2"].value == "'=HYPERLINK(\"x\")"
    assert sheet["C2"].data_type == "s"
    assert sheet["G2"].value == 5
    assert sheet["G2"].number_format == "0.0"
    assert sheet["K2"].value == 14
    assert sheet["K2"].number_format == "0.00"
    assert sheet["M2"].value == 1200000
    assert sheet["M2"].number_format == '#,##0.00 "EUR"'
    assert (sheet["N1"].value, sheet["N2"].value) == ("Step", 1)
    assert (sheet["O1"].value, sheet["O2"].value) == ("Budget left after it (EUR)", 1300000)
    assert sheet["O2"].number_format == '#,##0.00 "EUR"'
    assert sheet["P2"].value == "Selected"
    assert (sheet["Q1"].value, sheet["Q2"].value) == ("Reason code", "fits")
    comments = book["Consensus comments"]
    assert comments.freeze_panes == "A2"
    assert comments.auto_filter.ref == "A1:J6"
    assert [c.value for c in comments[1]] == ["Rank", "ID", "Acronym", "Relevance (score)",
                                             "Relevance: consensus comment", "Quality (score)",
                                             "Quality: consensus comment", "Impact (score)",
                                             "Impact: consensus comment", "Overall comment"]
    assert [c.value for c in comments[2]] == [1, "OUT-0001", "'=HYPERLINK(\"x\")", 5, "Consensus on relevance.", 5,
                                             "Consensus on quality.", 4, "Consensus on impact.", "Consensus reached."]
    assert comments["D2"].number_format == "0.0"

