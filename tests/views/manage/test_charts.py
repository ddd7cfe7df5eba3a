"""The ranking's charts: the budget used (or award slots) and the histogram of the core's weighted totals with the
overall threshold and the funding cut-off marked."""

from __future__ import annotations

from decimal import Decimal

from app.enums import CallKind
from app.manage.charts import budget_bar, totals_histogram
from app.queries.ranking import live_ranking
from tests.factories import make_call
from tests.selection_worlds import add


def test_budget_bar_and_histogram_mark_threshold_and_cut_off(call_with_field) -> None:
    call = call_with_field.call
    ranking = live_ranking(call)
    bar = budget_bar(ranking)
    assert (bar.unit, bar.used, bar.available) == ("money", Decimal("2400000.00"), Decimal("2500000.00"))
    assert bar.label == "€2,400,000.00 of €2,500,000.00 used (96.0 %)"
    chart = totals_histogram(ranking)
    assert {m.kind: m.label for m in chart.markers} == {"threshold": "threshold 10", "cutoff": "cut-off 10.5"}
    assert sum(1 for r in chart.rects if r.status == "below_threshold") == 1
    threshold = next(m.x for m in chart.markers if m.kind == "threshold")
    cutoff = next(m.x for m in chart.markers if m.kind == "cutoff")
    assert chart.plot_left < threshold < cutoff < chart.plot_right


def test_event_calls_chart_slots(people) -> None:
    applicant = people.applicant
    call = make_call("SLOTS", kind=CallKind.EVENT, budget=None, max_awards=2, reserve_size=0)
    for name in ("A", "B", "C"):
        add(call, applicant, name, ("4", "4", "4"), requested=None)
    ranking = live_ranking(call)
    bar = budget_bar(ranking)
    assert (bar.unit, bar.label, bar.used_percent) == ("slots", "2 of 2 slots awarded", 100.0)
    assert ranking.counts() == {"selected": 2, "not_funded": 1}
    # Every ranked proposal stands in the histogram at the total the core gave it, not funded ones too.
    histogram = totals_histogram(ranking)
    assert sorted((rect.status, rect.title) for rect in histogram.rects) == [
        ("not_funded", "Not funded: 1 with a total from 12 to under 12.5"),
        ("selected", "Selected: 2 with a total from 12 to under 12.5")]



def test_the_histogram_gives_its_data_as_a_table(people) -> None:
    call = make_call("SLOTS-TABLE", kind=CallKind.EVENT, budget=None, max_awards=2, reserve_size=0)
    for name in ("A", "B", "C"):
        add(call, people.applicant, name, ("4", "4", "4"), requested=None)
    histogram = totals_histogram(live_ranking(call))
    labels = [label for _, label in histogram.legend]
    ((totals, counts, everyone),) = histogram.table
    assert (totals, everyone) == ("12 to under 12.5", 3)
    assert dict(zip(labels, counts, strict=True))["Selected"] == 2
    assert dict(zip(labels, counts, strict=True))["Not funded"] == 1
