"""The rows of the ranking table (templates/manage/selection_table.html), for the ranking and the run pages, and
the ranking page's list of residual ties.

Built here rather than in Jinja so that a page of thousands of proposals renders in a fraction of the time. A
score is marked below its threshold where the scoring core found it so (the proposal's failed thresholds).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from markupsafe import Markup, escape

from app.formatting import format_amount, format_money, format_score
from app.queries.outcomes import REASON_LABELS, Outcome, TieGroup
from app.queries.ranking import Ranking, RankingEntry, outcome_entry
from app.translation import current_language, gettext, ngettext


@lru_cache(maxsize=4096)
def _score_text(value: Decimal, language: str = "en") -> str:
    # Memoised: a large ranking formats the same few hundred score values thousands of times.
    return format_score(value, locale=language)


def reason_text(e: RankingEntry, language: str) -> str:
    """The entry's reason in the language being spoken. The scoring core words its reasons in English (data, kept as
    such in the run and the exports); here they are said again from its reason code and the entry's figures (every
    code of `scoring.REASON_CODES` has a wording in REASON_WORDINGS). A reason without a code that says what decided
    it is shown as the core wrote it."""
    if language == "en":
        return e.reason  # the core's own words (which the English pages and their tests quote)
    if e.status == "not_ready":
        return gettext(e.reason)  # whole sentences marked in app/queries/ranking.py
    # A run stored before the core reported reason codes: its status says which rule decided.
    code = e.reason_code or _LEGACY_CODES.get(e.status)
    wording = REASON_WORDINGS.get(code or "")
    text = None if wording is None else wording(e, language)
    if text is None:
        return e.reason
    if e.tie_resolution is not None and e.rank is not None:
        # The core ordered the tie by the ids the web app gave it: the order is the officer's (app.queries.outcomes).
        return gettext("%(reason)s (tie ordered by the programme officer, tie resolution %(number)s)", reason=text,
                       number=e.tie_resolution)
    return text


def _left(e: RankingEntry, language: str) -> str | None:
    return None if e.budget_left is None else format_money(e.budget_left, locale=language)


def _ineligible(e: RankingEntry, language: str) -> str:
    # A proposal found ineligible after its selection (a promotion's release) has a step; one screened out has none.
    if e.step is not None and e.reason_code == "ineligible":
        return gettext("found ineligible after selection")
    return gettext("ineligible")


def _threshold(e: RankingEntry, language: str) -> str:
    if not e.failed:
        return gettext("below threshold")
    return gettext("below threshold: %(failures)s", failures="; ".join(_failure_text(f) for f in e.failed))


def _not_suitable(e: RankingEntry, language: str) -> str:
    return gettext("assessed not suitable for the mission")


def _fits(e: RankingEntry, language: str) -> str | None:
    left = _left(e, language)
    if e.rank is None:
        return None
    if left is None:
        return gettext("rank %(rank)s; selected (no budget limit)", rank=e.rank)
    return gettext("rank %(rank)s; fits: %(left)s left after it", rank=e.rank, left=left)


def _coverage(e: RankingEntry, language: str) -> str | None:
    left, rank = _left(e, language), e.rank
    if rank is None:
        return None
    if not e.strand:
        if left is None:
            return gettext("rank %(rank)s; selected by the coverage rule", rank=rank)
        return gettext("rank %(rank)s; selected by the coverage rule; %(left)s left after it", rank=rank, left=left)
    if left is None:
        return gettext("rank %(rank)s; selected by the coverage rule for %(strand)s", rank=rank, strand=e.strand)
    return gettext("rank %(rank)s; selected by the coverage rule for %(strand)s; %(left)s left after it",
                   rank=rank, strand=e.strand, left=left)


def _budget(e: RankingEntry, language: str) -> str | None:
    left, rank = _left(e, language), e.rank
    if rank is None:
        return None
    if left is not None and e.requested is not None:
        requested = format_money(e.requested, locale=language)
        if e.reserve_position:
            return gettext("rank %(rank)s; reserve position %(position)s; requested %(requested)s exceeds the "
                           "%(left)s left", rank=rank, position=e.reserve_position, requested=requested, left=left)
        return gettext("rank %(rank)s; requested %(requested)s exceeds the %(left)s left", rank=rank,
                       requested=requested, left=left)
    if e.reserve_position:
        return gettext("rank %(rank)s; reserve position %(position)s", rank=rank, position=e.reserve_position)
    return gettext("rank %(rank)s; not funded", rank=rank)


def _not_selected(e: RankingEntry, language: str) -> str | None:
    """Passed over by the stop policy or the award cap (a call selected by assessment fills its places so too)."""
    if e.rank is None:
        return None
    rule = gettext(REASON_LABELS[e.reason_code or "award_cap"])
    if e.reserve_position:
        return gettext("rank %(rank)s; reserve position %(position)s; not selected (%(rule)s)", rank=e.rank,
                       position=e.reserve_position, rule=rule)
    return gettext("rank %(rank)s; not selected (%(rule)s)", rank=e.rank, rule=rule)


def _promoted(e: RankingEntry, language: str) -> str | None:
    left = _left(e, language)
    if e.rank is None:
        return None
    if left is None:
        return gettext("rank %(rank)s; promoted from the reserve list after a selected consortium left; selected "
                       "(no budget limit)", rank=e.rank)
    return gettext("rank %(rank)s; promoted from the reserve list after a selected consortium left; fits: %(left)s "
                   "left after it", rank=e.rank, left=left)


def _declined(e: RankingEntry, language: str) -> str | None:
    if e.rank is None:
        return None
    return gettext("rank %(rank)s; selected, then declined the grant", rank=e.rank)


def _review(e: RankingEntry, language: str) -> str | None:
    """Placed by an upheld evaluation review (scoring.review): funded from the budget left, or on the reserve list."""
    left = _left(e, language)
    if e.rank is None:
        return None
    if e.status == "reserve" and e.reserve_position:
        return gettext("rank %(rank)s in the re-evaluation after an evaluation review; reserve position "
                       "%(position)s", rank=e.rank, position=e.reserve_position)
    if e.status != "selected":
        return None
    if left is None:
        return gettext("rank %(rank)s in the re-evaluation after an evaluation review; funded (no budget limit)",
                       rank=e.rank)
    return gettext("rank %(rank)s in the re-evaluation after an evaluation review; funded from the budget left: "
                   "%(left)s left after it", rank=e.rank, left=left)


# How each reason code of the core is said again (None: the figures it needs are missing, the core's words stand).
REASON_WORDINGS: dict[str, Callable[[RankingEntry, str], str | None]] = {
    "coverage": _coverage, "fits": _fits, "budget": _budget, "stop_policy": _not_selected,
    "award_cap": _not_selected, "threshold": _threshold, "ineligible": _ineligible, "promoted": _promoted,
    "declined": _declined, "review": _review, "not_suitable": _not_suitable,
}

def outcome_reason(outcome: Outcome, *, coverage_field: str | None) -> str:
    """A run's outcome's reason in the language being spoken (the comparison of two runs shows outcomes, not rows)."""
    return reason_text(outcome_entry(outcome, coverage_field), current_language())


def review_reason_text(decision: Any, language: str) -> str:
    """Why an evaluation review's re-evaluation leads where it does (scoring.review's decision, as the preview holds
    it or as the request recorded it with `decision_to_dict`), said again from its code and figures."""
    values = decision if isinstance(decision, Mapping) else {name: getattr(decision, name, None) for name in (
        "code", "reason", "rank", "grant", "budget_left", "budget_left_after", "reserve_position")}
    reason = str(values.get("reason") or "")
    if language == "en":
        return reason
    wording = REVIEW_WORDINGS.get(str(values.get("code")))
    text = None if wording is None else wording(values, language)
    return reason if text is None else text


def _amount(value: Any, language: str) -> str | None:
    return None if value is None else format_money(Decimal(str(value)), locale=language)


def _review_fits(d: Mapping[str, Any], language: str) -> str | None:
    left, after, grant = (_amount(d.get(name), language) for name in ("budget_left", "budget_left_after", "grant"))
    if d.get("rank") is None:
        return None
    if left is None or after is None:
        return gettext("rank %(rank)s in the re-run puts it among the funded; no budget limit; funded from the budget "
                       "left", rank=d["rank"])
    return gettext("rank %(rank)s in the re-run puts it among the funded; its grant %(grant)s fits the %(left)s "
                   "left; %(after)s left after it; funded from the budget left", rank=d["rank"], grant=grant,
                   left=left, after=after)


def _review_short(d: Mapping[str, Any], language: str) -> str | None:
    if d.get("rank") is None:
        return None
    if d.get("code") == "award_cap":
        return gettext("rank %(rank)s in the re-run puts it among the funded, but the call's awards are all given: it "
                       "takes reserve position 1, ahead of the reserve list, and is funded when money frees",
                       rank=d["rank"])
    return gettext("rank %(rank)s in the re-run puts it among the funded, but its grant %(grant)s exceeds the "
                   "%(left)s left: it takes reserve position 1, ahead of the reserve list, and is funded when money "
                   "frees", rank=d["rank"], grant=_amount(d.get("grant"), language),
                   left=_amount(d.get("budget_left") or 0, language))


def _review_reserve(d: Mapping[str, Any], language: str) -> str | None:
    position = d.get("reserve_position")
    if d.get("rank") is None or not position:
        return None
    if int(position) == 1:
        return gettext("rank %(rank)s in the re-run puts it on the reserve list: reserve position 1, ahead of every "
                       "reserve proposal", rank=d["rank"])
    return ngettext("rank %(rank)s in the re-run puts it on the reserve list: reserve position %(position)s, after "
                    "the %(num)d reserve proposal ranked above it",
                    "rank %(rank)s in the re-run puts it on the reserve list: reserve position %(position)s, after "
                    "the %(num)d reserve proposals ranked above it", int(position) - 1, rank=d["rank"],
                    position=position)


def _review_threshold(d: Mapping[str, Any], language: str) -> str:
    return gettext("below threshold in the re-evaluation; the decision stands")


def _review_not_funded(d: Mapping[str, Any], language: str) -> str | None:
    if d.get("rank") is None:
        return None
    return gettext("rank %(rank)s in the re-run is beyond the reserve list: not funded; the decision stands",
                   rank=d["rank"])


def _review_no_better(d: Mapping[str, Any], language: str) -> str | None:
    position = d.get("reserve_position")
    if not position:
        return gettext("already funded in the outcome in force; the decision stands")
    if d.get("rank") is None:
        return None
    return gettext("rank %(rank)s in the re-run would not place it better: it keeps reserve position %(position)s",
                   rank=d["rank"], position=position)


# How each code of an evaluation review's decision (scoring.REVIEW_CODES) is said again.
REVIEW_WORDINGS: dict[str, Callable[[Mapping[str, Any], str], str | None]] = {
    "fits": _review_fits, "budget": _review_short, "award_cap": _review_short, "reserve": _review_reserve,
    "threshold": _review_threshold, "not_funded": _review_not_funded, "no_better": _review_no_better,
}


_LEGACY_CODES = {"selected": "fits", "reserve": "budget", "not_funded": "budget", "below_threshold": "threshold",
                 "ineligible": "ineligible"}


def _failure_text(failure: str) -> str:
    # "overall 2 < 3" or "<criterion> 2 < 3", as app/queries/ranking.py writes a failed threshold.
    if failure.startswith("overall "):
        return gettext("overall %(comparison)s", comparison=failure.removeprefix("overall "))
    return failure


def ranking_rows_html(ranking: Ranking, entries: list[RankingEntry] | None = None) -> Markup:
    """The table's rows, one per entry (`entries`: the rows of a page of the ranking; all of them by default).
    Every value that comes from the database or the scoring output goes through `escape`; only our own markup and
    numbers are written as is."""
    keys = [c.key for c in ranking.criteria]
    money = ranking.budget is not None  # event calls award slots: no money columns
    language = current_language()
    words = {"passed": gettext("✓ passed"), "order": gettext("officer's order #%(number)s")}
    rows = "\n".join(_row(entry, keys, money, language, words)
                     for entry in (ranking.entries if entries is None else entries))
    return Markup(rows)  # noqa: S704 - built from escaped values and our own markup


def _row(e: RankingEntry, keys: list[str], money: bool, language: str, words: dict[str, str]) -> str:
    reference = escape(e.reference)
    cells = []
    for key in keys:
        value = e.scores.get(key)
        if value is None:
            cells.append('<td class="num" data-value="-1">–</td>')
        else:
            below = " below" if key in e.failed_criteria else ""  # as the core found it
            cells.append(f'<td class="num{below}" data-value="{value}">{_score_text(value, language)}</td>')
    if e.thresholds_passed is None:
        passed = '<span class="muted">–</span>'
    elif e.thresholds_passed:
        passed = f'<span class="ok">{escape(words["passed"])}</span>'
    else:
        passed = f'<span class="bad">✗ {escape("; ".join(_failure_text(f) for f in e.failed))}</span>'
    tie = " · ".join("–" if v is None else _score_text(v, language) for _, v in e.tie_keys) or "–"
    if e.tie_resolution:
        order = escape(words["order"] % {"number": int(e.tie_resolution)})
        tie += f'<br><span class="badge badge-resolved">{order}</span>'
    step = f'<td class="num step" data-value="{999999 if e.step is None else e.step}">{e.step or "–"}</td>'
    amounts = [] if not money else [
        f'<td class="num nowrap" data-value="{e.requested or 0}">'
        f'{"–" if e.requested is None else format_amount(e.requested, locale=language)}</td>',
        f'<td class="num nowrap" data-value="{-1 if e.budget_left is None else e.budget_left}">'
        f'{"–" if e.budget_left is None else format_amount(e.budget_left, locale=language)}</td>',
    ]
    status = gettext(e.status_label)
    label = escape(f"{status} {e.reserve_position}" if e.reserve_position else status)
    rank = "–" if e.rank is None else str(e.rank)
    country = f' <span class="muted">({escape(e.country)})</span>' if e.country else ""
    why = gettext(e.reason_label) if e.reason_label else ""
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
        f'<td class="reason">{escape(reason_text(e, language))}</td></tr>',
    ])


def tie_items_html(ranking: Ranking, ties: list[TieGroup], *, decisive: bool, row_query: str,
                   resolve_url: str) -> Markup:
    """The `<li>` of each residual tie: its total, each tied proposal (a link that finds its row on whatever page of
    the table it is: `row_query` ends in `q=`), its status, and a link to resolve the tie (`resolve_url` + refs).
    Built here for the same reason as the rows: a big call has thousands of tied proposals."""
    entries = ranking.by_reference
    badge = f'<span class="badge badge-decisive">{escape(gettext("decides funding"))}</span>' if decisive else ""
    language = current_language()
    resolve_word = escape(gettext("Resolve"))
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
                    word = escape(gettext(entry.status_label))
                    statuses[shown] = (f'<span class="badge status-{escape(entry.status)}">{word}'
                                       f'{f" {entry.reserve_position}" if entry.reserve_position else ""}</span>')
                status = f" {escape(entry.acronym)} {statuses[shown]}"
            # quote() leaves nothing HTML would read as markup (letters, digits, "_.-~/" and %XX).
            tied.append(f'<a href="{link}{quote(reference)}#p-{ref}"><code>{ref}</code></a>{status}')
        total = "–" if tie.total is None else _score_text(tie.total, language)
        resolve = escape(f"{resolve_url}?refs={quote(','.join(tie.references), safe=',')}")
        # The total is a number we formatted: it goes into the translated words as markup.
        strong = f"<strong>{total}</strong>"
        said = gettext("Total %(total)s:", total=strong)
        items.append(f"<li><span>{said} {' · '.join(tied)}</span> {badge} "
                     f'<a class="button small" href="{resolve}">{resolve_word}</a></li>')
    return Markup("\n".join(items))  # noqa: S704 - built from escaped values and our own markup
