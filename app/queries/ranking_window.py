"""The ranking page a window at a time: the ranking is still decided by `scoring` over every proposal of the call
(app.queries.ranking); only what the page shows is filtered (by outcome, strand, text in the reference or the
acronym), sorted and cut into pages here — with the cut-off (last funded, first reserve, budget used and left)
taken from the whole ranking, so that every page shows it whatever rows it holds.

Nothing is cached: each request ranks today's data, so no page can show a stale decision.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.languages import N_
from app.queries.paging import Window, window
from app.queries.ranking import Ranking, RankingEntry
from app.translation import gettext

RANKING_PAGE_SIZE = 100  # a typical call (the reference calls, the demo's 64) reads on one page; big calls page
MAX_SEARCH = 100
OUTCOMES = ("selected", "reserve", "not_funded", "below_threshold", "ineligible", "declined", "not_ready")
# Marked for the catalogues; the filter translates them as it shows them (the page's language, not the first reader's).
OUTCOME_LABELS = {"selected": N_("selected"), "reserve": N_("reserve"), "not_funded": N_("not funded"),
                  "below_threshold": N_("below threshold"), "ineligible": N_("ineligible"),
                  "declined": N_("declined"), "not_ready": N_("not ready")}
SortKey = Callable[[RankingEntry], Any]
RANKING_SORTS: dict[str, tuple[str, SortKey | None]] = {
    "rank": (N_("rank"), None),  # the ranking's own order: merit order, then the proposals not ranked
    "total": (N_("total"), lambda e: e.total),
    "reference": (N_("reference"), lambda e: e.reference),
    "acronym": (N_("acronym"), lambda e: e.acronym.casefold()),
    "requested": (N_("requested grant"), lambda e: e.requested),
    "step": (N_("step"), lambda e: e.step),
    "status": (N_("outcome"), lambda e: OUTCOMES.index(e.status) if e.status in OUTCOMES else len(OUTCOMES)),
}


@dataclass(frozen=True)
class RankingFilter:
    """What the officer asked to see: an outcome, a strand, text in the reference or acronym, a sort and a page."""

    outcome: str = ""
    strand: str = ""
    search: str = ""
    sort: str = "rank"
    descending: bool = False
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> RankingFilter:
        """The filter of a query string; anything unknown falls back to showing everything in rank order."""
        outcome = args.get("outcome", "")
        sort = args.get("sort", "rank")
        try:
            page = int(args.get("page", "1"))
        except ValueError:
            page = 1
        return cls(outcome=outcome if outcome in OUTCOMES else "", strand=args.get("strand", "").strip()[:MAX_SEARCH],
                   search=args.get("q", "").strip()[:MAX_SEARCH], sort=sort if sort in RANKING_SORTS else "rank",
                   descending=args.get("dir") == "desc", page=page)

    @property
    def narrowed(self) -> bool:
        return bool(self.outcome or self.strand or self.search)

    def query(self) -> dict[str, str]:
        """The query string that asks for this filter again (defaults left out; the page is the pager's)."""
        values = {"outcome": self.outcome, "strand": self.strand, "q": self.search,
                  "sort": "" if self.sort == "rank" else self.sort, "dir": "desc" if self.descending else ""}
        return {key: value for key, value in values.items() if value}

    def matches(self, entry: RankingEntry) -> bool:
        if self.outcome and entry.status != self.outcome:
            return False
        if self.strand and (entry.strand or "") != self.strand:
            return False
        needle = self.search.casefold()
        return not needle or needle in entry.reference.casefold() or needle in entry.acronym.casefold()

    def arrange(self, entries: list[RankingEntry]) -> list[RankingEntry]:
        """The matching entries in the asked order; ties and missing values keep the rank order, missing last."""
        matching = [entry for entry in entries if self.matches(entry)]
        key = RANKING_SORTS[self.sort][1]
        if key is None:
            return matching[::-1] if self.descending else matching
        known = [entry for entry in matching if key(entry) is not None]
        missing = [entry for entry in matching if key(entry) is None]
        return sorted(known, key=key, reverse=self.descending) + missing


@dataclass(frozen=True)
class CutOffEntry:
    """The last funded or the first reserve proposal, and where the page's links find it."""

    entry: RankingEntry
    query: dict[str, str]  # the filter (with its page) of a page that shows it


@dataclass(frozen=True)
class CutOff:
    """Where the money stops, from the whole ranking: the same on every page."""

    last_funded: CutOffEntry | None
    first_reserve: CutOffEntry | None
    funded: int
    used: Decimal  # the selected proposals' requested grants (money calls)
    left: Decimal | None  # None for calls that award slots
    slots: int | None  # the award cap, if any


@dataclass(frozen=True)
class RankingWindow:
    rows: list[RankingEntry]
    window: Window
    filter: RankingFilter
    cut_off: CutOff
    strands: list[str]
    ranked: int  # every entry of the ranking, before the filter

    @property
    def caption(self) -> str:
        if self.window.total == 0:
            return gettext("No row matches")
        if self.filter.narrowed:
            return gettext("Rows %(first)s–%(last)s of %(total)s (of %(ranked)s in the ranking)",
                           first=self.window.first, last=self.window.last, total=self.window.total,
                           ranked=self.ranked)
        return gettext("Rows %(first)s–%(last)s of %(total)s", first=self.window.first, last=self.window.last,
                       total=self.window.total)


def _locate(entry: RankingEntry, arranged: list[RankingEntry], wanted: RankingFilter,
            all_entries: list[RankingEntry]) -> CutOffEntry:
    """A page showing `entry`: in the officer's own filter and order when it is there, else in plain rank order."""
    for rows, shown in ((arranged, wanted), (all_entries, RankingFilter())):
        index = next((index for index, row in enumerate(rows) if row is entry), None)
        if index is not None:
            page = index // RANKING_PAGE_SIZE + 1
            return CutOffEntry(entry, {**shown.query(), **({"page": str(page)} if page > 1 else {})})
    raise ValueError(f"{entry.reference} is not in the ranking")


def ranking_window(ranking: Ranking, wanted: RankingFilter) -> RankingWindow:
    """The page of the ranking that `wanted` asks for, and the cut-off of the whole ranking."""
    entries = ranking.entries
    arranged = wanted.arrange(entries)
    shown = window(len(arranged), wanted.page, RANKING_PAGE_SIZE)
    funded = [entry for entry in entries if entry.status == "selected"]
    last = max(funded, key=lambda e: (e.rank is not None, e.rank or 0), default=None)
    first_reserve = next((entry for entry in entries if entry.status == "reserve" and entry.reserve_position == 1),
                         None)
    cut_off = CutOff(
        last_funded=None if last is None else _locate(last, arranged, wanted, entries),
        first_reserve=None if first_reserve is None else _locate(first_reserve, arranged, wanted, entries),
        funded=len(funded), used=ranking.selected_total,
        left=ranking.remaining if ranking.budget is not None else None, slots=ranking.max_awards)
    strands = sorted({entry.strand for entry in entries if entry.strand})
    return RankingWindow(arranged[shown.offset:shown.offset + shown.size], shown, wanted, cut_off, strands,
                         len(entries))
