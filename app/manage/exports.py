"""The ranking as CSV and XLSX files (bytes), for the officer pages and the API.

CSV: UTF-8 with a byte-order mark (so Excel reads accents and the euro sign right), comma-separated, a header
row, numbers as plain decimal text. XLSX (openpyxl, write-only for speed): a "Ranking" sheet and a "Consensus
comments" sheet (per proposal, each criterion's score and consensus comment, then the overall comment), each with a
frozen header row, an autofilter and number formats for money and scores. Both give each proposal the step that
decided it, the budget left after that step and the core's reason code beside its status and reason.

Every cell goes through `app.spreadsheets`, the one writer that neutralises text a spreadsheet could take for a
formula, in both formats.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.queries.ranking import Ranking, RankingEntry
from app.spreadsheets import (
    CSV_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    csv_text,
    xlsx_bytes,
    xlsx_row,
    xlsx_sheet,
    xlsx_workbook,
)

MONEY_FORMAT = '#,##0.00 "EUR"'
SCORE_FORMAT = "0.0"
TOTAL_FORMAT = "0.00"


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
    rows = [headers(ranking), *(_values(ranking, entry) for entry in ranking.entries)]
    return ("\ufeff" + csv_text(rows)).encode("utf-8")


def _column_formats(ranking: Ranking) -> list[str | None]:
    formats: list[str | None] = [None] * 6 + [SCORE_FORMAT] * len(ranking.criteria)
    formats += [None, TOTAL_FORMAT, None, MONEY_FORMAT, None, MONEY_FORMAT, None, None, None]
    return formats


def ranking_xlsx(ranking: Ranking) -> bytes:
    """The ranking as an XLSX workbook: the ranking, then the per-criterion consensus comments."""
    workbook = xlsx_workbook()
    widths = [6, 26, 14, 32, 8, 22, *([10] * len(ranking.criteria)), 18, 10, 28, 18, 6, 18, 14, 12, 80]
    sheet = xlsx_sheet(workbook, "Ranking", headers(ranking), widths, len(ranking.entries))
    formats = _column_formats(ranking)
    for entry in ranking.entries:
        sheet.append(xlsx_row(sheet, _values(ranking, entry), formats))

    # One row per proposal, a score and a comment column per criterion: the cells of a long list in half.
    comment_names = ["Rank", "ID", "Acronym"]
    comment_formats: list[str | None] = [None, None, None]
    for criterion in ranking.criteria:
        comment_names += [f"{criterion.name} (score)", f"{criterion.name}: consensus comment"]
        comment_formats += [SCORE_FORMAT, None]
    comment_names.append("Overall comment")
    comment_formats.append(None)
    comment_widths = [6, 26, 14, *([8, 60] * len(ranking.criteria)), 60]
    comments = xlsx_sheet(workbook, "Consensus comments", comment_names, comment_widths, len(ranking.entries))
    for entry in ranking.entries:
        values: list[Any] = [entry.rank, entry.reference, entry.acronym]
        for criterion in ranking.criteria:
            values += [entry.scores.get(criterion.key), entry.comments.get(criterion.key, "")]
        values.append(entry.overall_comment)
        comments.append(xlsx_row(comments, values, comment_formats))
    return xlsx_bytes(workbook)


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
