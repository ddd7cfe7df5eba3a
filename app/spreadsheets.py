"""The one writer of every CSV and XLSX cell the app produces (the ranking exports, the letters ZIP's manifest).

Any text cell that a spreadsheet could take for a formula (it starts with = + - @, a tab or a carriage return)
is neutralised with a leading apostrophe: an acronym, a criterion's name or a comment typed by anyone must never
run as a formula on an officer's machine. Numbers (Decimal, int) are written as numbers. Every module that writes a
spreadsheet goes through here — a test fails when another module imports `csv` writers or openpyxl — so no new
export can forget it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(text: str) -> str:
    """Text that a spreadsheet would read as a formula gets a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cell(value: Any) -> str:
    """One CSV cell: empty for None, numbers as plain decimal text, any other value as neutralised text."""
    if value is None:
        return ""
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return str(value)
    return neutralise(str(value))


def csv_text(rows: Iterable[Sequence[Any]], *, line_end: str = "\r\n") -> str:
    """Rows (the header row included) as CSV text, every cell through `csv_cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=line_end)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return buffer.getvalue()


def xlsx_row(sheet: Any, values: Sequence[Any], formats: Sequence[str | None]) -> list[Any]:
    """One row for a write-only sheet: numbers that need a format as styled cells, text neutralised (so openpyxl
    never takes it for a formula), everything else as plain values (cheaper)."""
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


def xlsx_header(sheet: Any, names: Sequence[str]) -> list[Any]:
    """A header row for a write-only sheet: bold white on the emblem's blue, names neutralised."""
    bold, fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="003399")
    cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=neutralise(name))
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        cells.append(cell)
    return cells


def xlsx_sheet(workbook: Workbook, title: str, names: Sequence[str], widths: Sequence[int], rows: int) -> Any:
    """A new write-only sheet with its header row: frozen, filtered over `rows` data rows, columns at `widths`."""
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(names))}{max(rows, 1) + 1}"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.append(xlsx_header(sheet, names))
    return sheet


def xlsx_workbook() -> Workbook:
    """An empty write-only workbook (fast, streaming) for `xlsx_sheet`."""
    return Workbook(write_only=True)


def xlsx_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
