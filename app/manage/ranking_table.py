"""The rows of the ranking table (templates/manage/selection_table.html), for the ranking and the run pages, and
the ranking page's list of residual ties.

Built here rather than in Jinja so that a page of thousands of proposals renders in a fraction of the time. A
score is marked below its threshold where the scoring core found it so (the proposal's failed thresholds).
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from urllib.parse import quote

from markupsafe import Markup, escape

from app.formatting import format_amount, format_score
from app.queries.outcomes import TieGroup
from app.queries.ranking import Ranking, RankingEntry


@lru_cache(maxsize=4096)
def _score_text(value: Decimal) -> str:
    # Memoised: a large ranking formats the same few hundred score values thousands of times.
    return format_score(value)


def ranking_rows_html(ranking: Ranking, entries: list[RankingEntry] | None = None) -> Markup:
    """The table's rows, one per entry (`entries`: the rows of a page of the ranking; all of them by default).
    Every value that comes from the database or the scoring output goes through `escape`; only our own markup and
    numbers are written as is."""
    keys = [c.key for c in ranking.criteria]
    money = ranking.budget is not None  # event calls award slots: no money columns
    rows = "\n".join(_row(entry, keys, money) for entry in (ranking.entries if entries is None else entries))
    return Markup(rows)  # noqa: S704 - built from escaped values and our own markup


def _row(e: RankingEntry, keys: list[str], money: bool) -> str:
    reference = escape(e.reference)
    cells = []
    for key in keys:
        value = e.scores.get(key)
        if value is None:
            cells.append('<td class="num" data-value="-1">–</td>')
        else:
            below = " below" if key in e.failed_criteria else ""  # as the core found it
            cells.append(f'<td class="num{below}" data-value="{value}">{_score_text(value)}</td>')
    if e.thresholds_passed is None:
        passed = '<span class="muted">–</span>'
    elif e.thresholds_passed:
        passed = '<span class="ok">✓ passed</span>'
    else:
        passed = f'<span class="bad">✗ {escape("; ".join(e.failed))}</span>'
    tie = " · ".join("–" if v is None else _score_text(v) for _, v in e.tie_keys) or "–"
    if e.tie_resolution:
        tie += f'<br><span class="badge badge-resolved">officer\'s order #{int(e.tie_resolution)}</span>'
    step = f'<td class="num step" data-value="{999999 if e.step is None else e.step}">{e.step or "–"}</td>'
    amounts = [] if not money else [
        f'<td class="num nowrap" data-value="{e.requested or 0}">'
        f'{"–" if e.requested is None else format_amount(e.requested)}</td>',
        f'<td class="num nowrap" data-value="{-1 if e.budget_left is None else e.budget_left}">'
        f'{"–" if e.budget_left is None else format_amount(e.budget_left)}</td>',
    ]
    label = escape(f"{e.status_label} {e.reserve_position}" if e.reserve_position else e.status_label)
    rank = "–" if e.rank is None else str(e.rank)
    country = f' <span class="muted">({escape(e.country)})</span>' if e.country else ""
    why = e.reason_label
    why_html = f'<br><span class="small muted reason-code">{escape(why)}</span>' if why else ""
    return "".join([
        f'<tr class="row-{escape(e.status)}" id="p-{reference}">',
        f'<td class="num" data-value="{999999 if e.rank is None else e.rank}">{rank}</td>',
        f'<td class="proposal-cell"><strong>{escape(e.acronym)}</strong><br>',
        f'<code class="ref">{reference}</code></td>',
        f"<td>{escape(e.coordinator)}{country}</td>",
        f"<td>{escape(e.strand or '–')}</td>",
        *cells,
        f"<td>{passed}</td>",
        f'<td class="num" data-value="{-1 if e.total is None else e.total}">',
        f'<strong>{e.total_text or "–"}</strong></td>',
        f'<td class="small nowrap" title="{escape(e.tie_keys_text)}">{tie}</td>',
        step,
        *amounts,
        f'<td data-value="{escape(e.status)}"><span class="badge status-{escape(e.status)}">{label}</span>',
        f"{why_html}</td>",
        f'<td class="reason">{escape(e.reason)}</td></tr>',
    ])


def tie_items_html(ranking: Ranking, ties: list[TieGroup], *, decisive: bool, row_query: str,
                   resolve_url: str) -> Markup:
    """The `<li>` of each residual tie: its total, each tied proposal (a link that finds its row on whatever page of
    the table it is: `row_query` ends in `q=`), its status, and a link to resolve the tie (`resolve_url` + refs).
    Built here for the same reason as the rows: a big call has thousands of tied proposals."""
    entries = ranking.by_reference
    badge = '<span class="badge badge-decisive">decides funding</span>' if decisive else ""
    link = escape(row_query)
    statuses: dict[tuple[str, int | None], str] = {}  # a few distinct badges for thousands of tied proposals
    items = []
    for tie in ties:
        tied = []
        for reference in tie.references:
            entry = entries.get(reference)
            ref = escape(reference)
            status = ""
            if entry is not None:
                shown = (entry.status, entry.reserve_position)
                if shown not in statuses:
                    statuses[shown] = (f'<span class="badge status-{escape(entry.status)}">{escape(entry.status_label)}'
                                       f'{f" {entry.reserve_position}" if entry.reserve_position else ""}</span>')
                status = f" {escape(entry.acronym)} {statuses[shown]}"
            # quote() leaves nothing HTML would read as markup (letters, digits, "_.-~/" and %XX).
            tied.append(f'<a href="{link}{quote(reference)}#p-{ref}"><code>{ref}</code></a>{status}')
        total = "–" if tie.total is None else _score_text(tie.total)
        resolve = escape(f"{resolve_url}?refs={quote(','.join(tie.references), safe=',')}")
        items.append(f"<li><span>Total <strong>{total}</strong>: {' · '.join(tied)}</span> {badge} "
                     f'<a class="button small" href="{resolve}">Resolve</a></li>')
    return Markup("\n".join(items))  # noqa: S704 - built from escaped values and our own markup
