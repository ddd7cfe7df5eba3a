"""The record of processing summarised by category of personal data, in the order it is declared in
app/privacy/map.py: what the privacy statements are generated from, and the README's two tables (`flask --app wsgi
privacy map`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.privacy.map import REQUEST, STORED_FILES, Erase, LegalBasis, Personal, Purpose, Rule, personal_columns


@dataclass(frozen=True)
class SummaryRow:
    """One line of the record of processing's summary: the personal data of one category."""

    category: str
    purpose: Purpose
    basis: LegalBasis
    rule: Rule
    erase: Erase
    columns: list[str] = field(default_factory=list)


def summary() -> list[SummaryRow]:
    """The map grouped by category (the privacy statements and the README's table), in declaration order."""
    rows: dict[Personal, SummaryRow] = {}
    for name, kind in personal_columns().items():
        row = rows.setdefault(kind, SummaryRow(kind.category, kind.purpose, kind.basis, kind.rule, kind.erase))
        row.columns.append(name)
    for stored in STORED_FILES:
        kind = stored.classification
        row = rows.setdefault(kind, SummaryRow(kind.category, kind.purpose, kind.basis, kind.rule, kind.erase))
        row.columns.append(f"files: {stored.kind}")
    return list(rows.values())


def markdown_table(config: Mapping[str, Any]) -> str:
    """The map's summary as two Markdown tables — the personal data by category, then the retention rules with the
    configured periods (`flask --app wsgi privacy map`, the README)."""
    lines = ["| personal data | where | purpose | legal basis | rule |", "| --- | --- | --- | --- | --- |"]
    rules: list[Rule] = []
    for row in summary():
        columns = [name for name in row.columns if not name.startswith("files: ")]
        files = [name.removeprefix("files: ") for name in row.columns if name.startswith("files: ")]
        if len(columns) > 4:
            tables = sorted({name.split(".")[0] for name in columns})
            where = f"{len(columns)} columns of " + ", ".join(f"`{table}`" for table in tables)
        else:
            where = ", ".join(f"`{name}`" for name in columns)
        if files:
            where = ", ".join(filter(None, [where, "stored files: " + ", ".join(files)]))
        basis = (f"EUDPR {row.basis.eudpr.removeprefix('Art. ').split(' of ')[0]}, "
                 f"GDPR {row.basis.gdpr.removeprefix('Art. ').removesuffix(' GDPR')}")
        lines.append(f"| {row.category} | {where} | {row.purpose.name} | {basis} | `{row.rule.key}` |")
        if row.rule not in rules:
            rules.append(row.rule)
    lines += ["", "| rule | kept | then |", "| --- | --- | --- |"]
    for rule in [*rules, REQUEST]:
        for shown in (rule, *rule.parts):
            lines.append(f"| `{shown.key}` | {shown.describe(config)} | {shown.then} |")
    return "\n".join(lines) + "\n"
