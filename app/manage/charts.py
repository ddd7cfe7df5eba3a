"""Chart geometry for the ranking page, rendered as inline SVG by templates/manage/selection_charts.html.

Two charts: the budget used against the budget available (or award slots for event calls), and the
distribution of weighted totals, stacked by outcome, with the overall threshold and the funding cut-off marked.
Coordinates are floats for drawing only; the amounts shown in labels are the exact Decimals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from babel.numbers import get_decimal_symbol

from app.formatting import format_decimal as _format_decimal
from app.formatting import format_money as _format_money
from app.languages import N_
from app.queries.ranking import Ranking
from app.translation import current_language, gettext, ngettext


def format_decimal(value: Decimal) -> str:
    return _format_decimal(value, locale=current_language())


def format_money(value: Decimal) -> str:
    return _format_money(value, locale=current_language())


WIDTH, HEIGHT = 720, 250
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 26, 36
STACK_ORDER = ("selected", "reserve", "not_funded", "below_threshold")
STACK_LABELS = {"selected": N_("Selected"), "reserve": N_("Reserve"), "not_funded": N_("Not funded"),
                "below_threshold": N_("Below threshold")}


@dataclass
class BudgetBar:
    unit: str              # "money" or "slots"
    used: Decimal
    available: Decimal | None
    used_percent: float    # 0 to 100 (capped), for the bar
    label: str
    slots_used: int
    slots_available: int | None


@dataclass
class Rect:
    x: float
    y: float
    width: float
    height: float
    status: str
    title: str


@dataclass
class Marker:
    x: float
    label: str
    kind: str  # "threshold" or "cutoff"


@dataclass
class Tick:
    position: float
    label: str


@dataclass
class Histogram:
    width: int = WIDTH
    height: int = HEIGHT
    rects: list[Rect] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_top: int = TOP
    plot_bottom: int = HEIGHT - BOTTOM
    legend: list[tuple[str, str]] = field(default_factory=list)
    summary: str = ""
    note: str = ""
    # The chart's data for those who cannot see it: (range of totals, count per status in STACK_ORDER, all).
    table: list[tuple[str, list[int], int]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.rects


def _percent(part: Decimal, whole: Decimal) -> float:
    if whole <= 0:
        return 100.0 if part > 0 else 0.0
    return float(min(Decimal(100), part * 100 / whole))


def budget_bar(ranking: Ranking) -> BudgetBar:
    """Budget used by the selected proposals against the call's budget; award slots when there is no budget."""
    used, budget = ranking.selected_total, ranking.budget
    slots, cap = ranking.selected_count, ranking.max_awards
    if budget is None:
        percent = _percent(Decimal(slots), Decimal(cap)) if cap else 0.0
        label = (ngettext("%(used)s of %(num)d slots awarded", "%(used)s of %(num)d slots awarded", cap,
                          used=slots)
                 if cap else ngettext("%(num)d selected (no cap)", "%(num)d selected (no cap)", slots))
        return BudgetBar("slots", Decimal(slots), Decimal(cap) if cap else None, percent, label, slots, cap)
    # One decimal, as the English always wrote it, with the language's decimal sign.
    share = f"{_percent(used, budget):.1f}".replace(".", get_decimal_symbol(current_language()))
    label = gettext("%(used)s of %(budget)s used (%(percent)s %%)", used=format_money(used),
                    budget=format_money(budget), percent=share)
    return BudgetBar("money", used, budget, _percent(used, budget), label, slots, cap)


def _nice_step(span: Decimal) -> Decimal:
    for step in (Decimal("0.5"), Decimal(1), Decimal(2), Decimal(5), Decimal(10), Decimal(20), Decimal(50)):
        if span / step <= 40:
            return step
    return Decimal(100)


def totals_histogram(ranking: Ranking) -> Histogram:
    """How many proposals reached each weighted total, stacked by outcome, with threshold and cut-off lines."""
    weights = [criterion.weight for criterion in ranking.criteria]
    # The axis ends at the highest total the rules allow.
    top = sum((criterion.weight * criterion.max for criterion in ranking.criteria), Decimal(0)) or Decimal(1)
    # Every scored proposal has the weighted total the core gave it, ranked or below threshold.
    totals = [(total, entry.status) for entry in ranking.entries
              if entry.status in STACK_ORDER and (total := entry.weighted_total) is not None]
    chart = Histogram(legend=[(status, gettext(STACK_LABELS[status])) for status in STACK_ORDER])
    if not totals:
        return chart
    threshold = ranking.overall_threshold
    # The axis runs from a little below the lowest total (or the threshold) to the highest possible total.
    step = _nice_step(top)
    lowest = min([total for total, _ in totals] + ([threshold] if threshold is not None else []))
    low = max(Decimal(0), (lowest / step).to_integral_value(rounding=ROUND_FLOOR) * step - step)
    bins = int(((top - low) / step).to_integral_value(rounding=ROUND_FLOOR)) + 1
    counts = _bin_counts(totals, low, step, bins)
    highest = max(sum(bin_counts.values()) for bin_counts in counts) or 1
    plot_width = chart.plot_right - chart.plot_left
    plot_height = chart.plot_bottom - chart.plot_top
    span = step * bins

    def x_of(value: Decimal) -> float:
        return chart.plot_left + float((value - low) / span) * plot_width

    bar_width = plot_width / bins
    for index, bin_counts in enumerate(counts):
        base = float(chart.plot_bottom)
        start = low + step * index
        if any(bin_counts.values()):
            chart.table.append((gettext("%(start)s to under %(end)s", start=format_decimal(start),
                                        end=format_decimal(start + step)),
                                [bin_counts[status] for status in STACK_ORDER], sum(bin_counts.values())))
        for status in STACK_ORDER:
            count = bin_counts[status]
            if not count:
                continue
            height = count / highest * plot_height
            base -= height
            chart.rects.append(Rect(round(x_of(start) + 1, 2), round(base, 2), round(max(bar_width - 2, 1), 2),
                                    round(height, 2), status,
                                    ngettext("%(status)s: %(num)d with a total from %(start)s to under %(end)s",
                                             "%(status)s: %(num)d with a total from %(start)s to under %(end)s",
                                             count, status=gettext(STACK_LABELS[status]),
                                             start=format_decimal(start), end=format_decimal(start + step))))
    label_every = max(1, bins // 10)
    chart.x_ticks = [Tick(round(x_of(low + step * i), 2), format_decimal(low + step * i))
                     for i in range(0, bins + 1, label_every)]
    chart.y_ticks = [Tick(round(chart.plot_bottom - value / highest * plot_height, 2), str(value))
                     for value in sorted({0, (highest + 1) // 2, highest})]
    if threshold is not None and all(weight == 1 for weight in weights):
        chart.markers.append(Marker(round(x_of(threshold), 2),
                                    gettext("threshold %(value)s", value=format_decimal(threshold)), "threshold"))
    elif threshold is not None:
        chart.note = gettext("The overall threshold (%(value)s) applies to the unweighted sum of the scores, so it is "
                             "not drawn on this axis of weighted totals.", value=format_decimal(threshold))
    if ranking.cut_off is not None:
        chart.markers.append(Marker(round(x_of(ranking.cut_off), 2),
                                    gettext("cut-off %(value)s", value=format_decimal(ranking.cut_off)), "cutoff"))
    lowest_text, highest_text = format_decimal(min(t for t, _ in totals)), format_decimal(max(t for t, _ in totals))
    if ranking.cut_off is None:
        chart.summary = ngettext("%(num)d scored proposal; totals from %(low)s to %(high)s",
                                 "%(num)d scored proposals; totals from %(low)s to %(high)s", len(totals),
                                 low=lowest_text, high=highest_text)
    else:
        chart.summary = ngettext(
            "%(num)d scored proposal; totals from %(low)s to %(high)s; funding cut-off at %(cut)s",
            "%(num)d scored proposals; totals from %(low)s to %(high)s; funding cut-off at %(cut)s", len(totals),
            low=lowest_text, high=highest_text, cut=format_decimal(ranking.cut_off))
    return chart


def _bin_counts(totals: list[tuple[Decimal, str]], low: Decimal, step: Decimal, bins: int) -> list[dict[str, int]]:
    """How many proposals of each status fall in each bin of width `step` from `low` (the last bin takes the rest)."""
    counts = [dict.fromkeys(STACK_ORDER, 0) for _ in range(bins)]
    indexes: dict[Decimal, int] = {}  # thousands of proposals share a few dozen totals: each is placed once
    for total, status in totals:
        index = indexes.get(total)
        if index is None:
            index = indexes[total] = min(bins - 1, max(0, int(((total - low) / step).to_integral_value(
                rounding=ROUND_FLOOR))))
        counts[index][status] += 1
    return counts
