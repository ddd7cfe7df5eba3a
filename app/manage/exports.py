"""The ranking as CSV and XLSX files (bytes), for the officer pages and the API.

CSV: UTF-8 with a byte-order mark (so Excel reads accents and the euro sign right), comma-separated, a header
row, numbers as plain decimal text. XLSX (openpyxl, write-only for speed): a "Ranking" sheet and a "Consensus
comments" sheet (per proposal, each criterion's score and consensus comment, then the overall comment), each with a
frozen header row, an autofilter and number formats for money and scores. Both give each proposal the step that
decided it, the budget left after that step and the core's reason code beside its status and reason.

Any text cell that a spreadsheet could take for a formula (it starts with = + - @, a tab or a carriage return)
is neutralised with a leading apostrophe, in both formats: a consortium's acronym must never run as a formula on
an officer's machine.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from app.queries.ranking import Ranking, RankingEntry

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MONEY_FORMAT = '#,##0.00 "EUR"'
SCORE_FORMAT = "0.0"
TOTAL_FORMAT = "0.00"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(text: str) -> str:
    """Text that a spreadsheet would read as a formula gets a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def export_filename(ranking: Ranking, extension: str) -> str:
    suffix = f"-run-{ranking.run.number}" if ranking.run is not None else ""
    return f"{ranking.call.code}-ranking{suffix}.{extension}"


def headers(ranking: Ranking) -> list[str]:
    return [
        "Rank", "ID", "Acronym", "Coordinator", "Country", ranking.call.strand_label,
        *(f"{criterion.name} (score)" for criterion in ranking.criteria),
        "Thresholds passed", "Weighted total", "Tie-break keys", "Requested grant (EUR)",
        "Step", "Budget left after it (EUR)", "Status", "Reason code", "Reason",
    ]



def _passed(entry: RankingEntry) -> str:
    if entry.thresholds_passed is None:
        return ""
    return "yes" if entry.thresholds_passed else "no: " + "; ".join(entry.failed)


def _values(ranking: Ranking, entry: RankingEntry) -> list[Any]:
    """One row as Python values (Decimal, int, str or None), in header order."""
    return [
        entry.rank, entry.reference, entry.acronym, entry.coordinator, entry.country, entry.strand or "",
        *(entry.scores.get(criterion.key) for criterion in ranking.criteria),
        _passed(entry), entry.total, entry.tie_keys_text, entry.requested, entry.step, entry.budget_left,
        entry.status_label, entry.reason_code or "", entry.reason,
    ]


def ranking_csv(ranking: Ranking) -> bytes:
    """The ranking as CSV bytes (UTF-8 with BOM)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers(ranking))
    for entry in ranking.entries:
        writer.writerow([_csv_cell(value) for value in _values(ranking, entry)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal | int):
        return str(value)
    return neutralise(str(value))


def _column_formats(ranking: Ranking) -> list[str | None]:
    formats: list[str | None] = [None] * 6 + [SCORE_FORMAT] * len(ranking.criteria)
    formats += [None, TOTAL_FORMAT, None, MONEY_FORMAT, None, MONEY_FORMAT, None, None, None]
    return formats


def _sheet_cells(sheet: Any, values: list[Any], formats: list[str | None]) -> list[Any]:
    """One row for a write-only sheet: numbers that need a format as styled cells, everything else as plain
    values (cheaper). A neutralised text never starts with "=", so openpyxl never takes it for a formula."""
    row: list[Any] = []
    for value, number_format in zip(values, formats, strict=True):
        if isinstance(value, str):
            row.append(neutralise(value))
        elif value is not None and number_format is not None:
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = number_format
            row.append(cell)
        else:
            row.append(value)
    return row


def _header_cells(sheet: Any, names: list[str]) -> list[Any]:
    bold, fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="003399")
    cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        cells.append(cell)
    return cells


def _setup_sheet(sheet: Any, names: list[str], widths: list[int], rows: int) -> None:
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(names))}{max(rows, 1) + 1}"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def ranking_xlsx(ranking: Ranking) -> bytes:
    """The ranking as an XLSX workbook: the ranking, then the per-criterion consensus comments."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Ranking")
    names = headers(ranking)
    widths = [6, 26, 14, 32, 8, 22, *([10] * len(ranking.criteria)), 18, 10, 28, 18, 6, 18, 14, 12, 80]
    _setup_sheet(sheet, names, widths, len(ranking.entries))
    sheet.append(_header_cells(sheet, names))
    formats = _column_formats(ranking)
    for entry in ranking.entries:
        sheet.append(_sheet_cells(sheet, _values(ranking, entry), formats))

    # One row per proposal, a score and a comment column per criterion: the cells of a long list in half.
    comments = workbook.create_sheet("Consensus comments")
    comment_names = ["Rank", "ID", "Acronym"]
    comment_formats: list[str | None] = [None, None, None]
    for criterion in ranking.criteria:
        comment_names += [f"{criterion.name} (score)", f"{criterion.name}: consensus comment"]
        comment_formats += [SCORE_FORMAT, None]
    comment_names.append("Overall comment")
    comment_formats.append(None)
    _setup_sheet(comments, comment_names, [6, 26, 14, *([8, 60] * len(ranking.criteria)), 60], len(ranking.entries))
    comments.append(_header_cells(comments, comment_names))
    for entry in ranking.entries:
        values: list[Any] = [entry.rank, entry.reference, entry.acronym]
        for criterion in ranking.criteria:
            values += [entry.scores.get(criterion.key), entry.comments.get(criterion.key, "")]
        values.append(entry.overall_comment)
        comments.append(_sheet_cells(comments, values, comment_formats))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@dataclass(frozen=True)
class ExportFile:
    """A rendered export: its bytes, media type and download name (app.web.downloads sends it)."""

    body: bytes
    media_type: str
    filename: str


def export_file(ranking: Ranking, extension: str) -> ExportFile:
    """The ranking as a "csv" or "xlsx" file, for the officer pages and the API."""
    if extension == "csv":
        return ExportFile(ranking_csv(ranking), CSV_MEDIA_TYPE, export_filename(ranking, extension))
    return ExportFile(ranking_xlsx(ranking), XLSX_MEDIA_TYPE, export_filename(ranking, extension))
