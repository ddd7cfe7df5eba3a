"""A call's runs read: the what-if comparison of two runs, the options as a sentence, and the preview of finalising
a run (counts, changes, total, the token that confirms it)."""

from __future__ import annotations

from decimal import Decimal

from app.queries.runs import compare_runs, describe_options, finalise_preview
from app.queries.selection import SelectionOptions
from app.services.selection import resolve_tie, run_selection
from tests.selection_worlds import ref


def test_comparison_lists_status_changes_and_why(field) -> None:
    call, proposals, officer = field.call, field.proposals, field.officer
    a = run_selection(call, actor=officer)
    b = run_selection(call, actor=officer, options=SelectionOptions.from_values(call, reserve_size=0))
    comparison = compare_runs(a, b)
    changed = {p.reference: (p.a.status, p.b.status) for p in comparison.changed}
    assert changed == {ref(proposals, "GAMMA"): ("reserve", "not_funded"),
                       ref(proposals, "DELTA"): ("reserve", "not_funded")}
    assert comparison.option_changes == [("Reserve list size", "2", "0")]
    assert a.input_sha256 != b.input_sha256  # the rules in the input differ
    assert comparison.input_changed == []  # but no proposal's scores


def test_comparing_before_and_after_a_resolution_shows_who_swaps_and_why(field) -> None:
    call, proposals, officer = field.call, field.proposals, field.officer
    beta, gamma = ref(proposals, "BETA"), ref(proposals, "GAMMA")
    before = run_selection(call, actor=officer)
    resolution = resolve_tie(call, actor=officer, ordered_references=[gamma, beta],
                                     justification="GAMMA has the stronger SME outreach plan.")
    after = run_selection(call, actor=officer)
    comparison = compare_runs(before, after)
    assert {p.reference: (p.a.status, p.b.status) for p in comparison.changed} == {
        beta: ("selected", "reserve"), gamma: ("reserve", "selected")}
    assert comparison.option_changes == [("Tie resolutions applied", "none", f"#{resolution.id}")]


def test_describe_options_reads_like_a_sentence() -> None:
    assert describe_options({"budget_policy": "stop", "reserve_size": 3, "coverage": True,
                                     "tie_resolutions": [4]}) == \
        "stop policy, reserve 3, coverage on, 1 tie resolution(s)"


def test_preview_shows_counts_changes_total_and_a_token(field) -> None:
    call, proposals, officer = field.call, field.proposals, field.officer
    run = run_selection(call, actor=officer)
    preview = finalise_preview(run)
    assert preview.can_finalise
    assert preview.counts == {"selected": 2, "reserve": 2, "rejected": 1, "ineligible": 1, "declined": 0}
    assert preview.references["rejected"] == [ref(proposals, "LOW")]
    assert preview.selected_total == Decimal("2500000.00")
    assert len(preview.changes) == 6
    assert all(change.before is None for change in preview.changes)
    assert len(preview.token) == 64
    assert finalise_preview(run).token == preview.token

