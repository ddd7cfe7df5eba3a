"""The ranking as people read it: one row per proposal with its scores, thresholds, tie-break keys, grant, the
step that decided it and the budget left after that step, status and reason — for the ranking page, the run pages,
the exports and the API.

Rows are in merit order, but selection decides in another order: the coverage rule's picks first, then every other
ranked proposal in merit order. The budget left is counted in that order of decisions (the `step`), as the core
reports it and as its reasons word it ("… left after it"): one quantity under one name everywhere.

A *live* ranking scores the call's current data with the chosen options without storing anything (what the
officer looks at before running); a *run* ranking reads a stored run's input and output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from app.formatting import format_decimal
from app.languages import N_
from app.models import Call, SelectionRun, TieResolution
from app.queries.outcomes import (
    REASON_LABELS,
    STATUS_LABELS,
    Outcome,
    RunOutcomes,
    TieGroup,
    preview_outcomes,
    run_outcomes,
)
from app.queries.selection import (
    CallData,
    ProposalRow,
    Readiness,
    SelectionOptions,
    call_rules,
    load_call_data,
    prepare_input,
)
from app.services.errors import InvalidInput
from scoring import Rules
from scoring.assessment import FIT_KEY


@dataclass
class CriterionColumn:
    key: str
    name: str
    max: Decimal
    weight: Decimal
    threshold: Decimal | None


@dataclass
class RankingEntry:
    """One line of the ranking."""

    reference: str
    acronym: str
    title: str
    coordinator: str
    country: str
    strand: str | None
    status: str
    rank: int | None
    total: Decimal | None
    reason: str
    reserve_position: int | None
    scores: dict[str, Decimal | None]
    thresholds_passed: bool | None
    failed: list[str]
    tie_keys: list[tuple[str, Decimal | None]]
    requested: Decimal | None
    weighted_total: Decimal | None = None
    failed_criteria: frozenset[str] = frozenset()
    step: int | None = None
    budget_left: Decimal | None = None
    reason_code: str | None = None
    selected_by: str | None = None
    decided_by: str | None = None
    tie_resolution: int | None = None
    comments: dict[str, str] = field(default_factory=dict)
    overall_comment: str = ""

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def reason_label(self) -> str:
        """The rule that decided, in a word or two ("award cap", "coverage rule"); empty when the status says it.
        An output without reason codes still says how a proposal was selected."""
        if self.reason_code is None:
            return {"coverage": "coverage rule", "reserve": "promoted"}.get(self.selected_by or "", "")
        return REASON_LABELS.get(self.reason_code, "")

    @property
    def total_text(self) -> str:
        return "" if self.total is None else format_decimal(self.total)

    @property
    def tie_keys_text(self) -> str:
        return "; ".join(f"{key} {'' if value is None else format_decimal(value)}" for key, value in self.tie_keys)



@dataclass
class Ranking:
    call: Call
    criteria: list[CriterionColumn]
    tie_break: list[str]
    options: SelectionOptions | None
    entries: list[RankingEntry]
    readiness: Readiness | None
    outcomes: RunOutcomes | None
    run: SelectionRun | None = None
    applied: list[TieResolution] = field(default_factory=list)
    stale: list[TieResolution] = field(default_factory=list)
    error: str | None = None

    @property
    def rules(self) -> Rules | None:
        """The rules the ranking was decided with (None when nothing could be ranked)."""
        return None if self.outcomes is None else self.outcomes.rules

    @property
    def budget(self) -> Decimal | None:
        return self.call.budget if self.rules is None else self.rules.budget

    @property
    def max_awards(self) -> int | None:
        return self.call.max_awards if self.rules is None else self.rules.max_awards

    @property
    def overall_threshold(self) -> Decimal | None:
        return self.call.overall_threshold if self.rules is None else self.rules.overall_threshold

    @property
    def selected_total(self) -> Decimal:
        return self.outcomes.selected_total if self.outcomes else Decimal("0.00")

    @property
    def remaining(self) -> Decimal | None:
        return self.outcomes.remaining_budget if self.outcomes else self.budget

    @property
    def selected_count(self) -> int:
        return len(self.outcomes.selected) if self.outcomes else 0

    @property
    def ties(self) -> list[TieGroup]:
        return list(self.outcomes.ties) if self.outcomes else []

    @property
    def unresolved_ties(self) -> list[TieGroup]:
        return self.outcomes.unresolved_ties if self.outcomes else []

    def is_decisive(self, tie: TieGroup) -> bool:
        """True when the tied proposals do not all get the same status: their order decides who is funded."""
        entries = self.by_reference
        return len({entries[reference].status for reference in tie.references if reference in entries}) > 1

    # Worked out once per ranking: a page asks several times, and a big call has thousands of ties and entries.
    @cached_property
    def decisive_ties(self) -> list[TieGroup]:
        return [tie for tie in self.unresolved_ties if self.is_decisive(tie)]

    @cached_property
    def other_ties(self) -> list[TieGroup]:
        return [tie for tie in self.unresolved_ties if not self.is_decisive(tie)]

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for entry in self.entries:
            counts[entry.status] = counts.get(entry.status, 0) + 1
        return counts

    @cached_property
    def cut_off(self) -> Decimal | None:
        """The lowest total selected in merit order (the funding cut-off); None when nobody is selected."""
        totals = [e.total for e in self.entries if e.status == "selected" and e.total is not None]
        return min(totals) if totals else None

    @cached_property
    def by_reference(self) -> dict[str, RankingEntry]:
        return {entry.reference: entry for entry in self.entries}


# The one column of a call selected by assessment (scoring.assessment's view of it: the fit score, 1 to 5).
ASSESSMENT_NAMES = {FIT_KEY: "Fit with the call's aims (officer's assessment)"}


def _criteria(call: Call, rules: Rules | None) -> list[CriterionColumn]:
    if call.is_assessed:
        rules = rules or call_rules(call)
    if rules is None:
        return [CriterionColumn(c.key, c.name, c.max_score, c.weight, c.threshold) for c in call.criteria]
    names = ASSESSMENT_NAMES if call.is_assessed else {criterion.key: criterion.name for criterion in call.criteria}
    return [CriterionColumn(c.key, names.get(c.key, c.key), c.max, c.weight, c.threshold) for c in rules.criteria]


def _failed_text(outcome: Outcome) -> list[str]:
    return [f"{'overall' if f.criterion is None else f.criterion} {format_decimal(f.score)} < "
            f"{format_decimal(f.threshold)}" for f in outcome.failed]


def _entry(outcome: Outcome, row: ProposalRow | None, tie_break: tuple[str, ...],
           coverage_field: str | None) -> RankingEntry:
    strand = outcome.fields.get(coverage_field) if coverage_field else None
    return RankingEntry(
        reference=outcome.reference, acronym=row.acronym if row else "", title=row.title if row else "",
        coordinator=row.coordinator if row else "", country=row.country if row else "",
        strand=str(strand) if strand is not None else (row.strand if row else None),
        status=outcome.status, rank=outcome.rank, total=outcome.total, reason=outcome.reason,
        reserve_position=outcome.reserve_position,
        scores=dict(outcome.scores), thresholds_passed=None if outcome.status == "ineligible" or not outcome.eligible
        else outcome.status != "below_threshold", failed=_failed_text(outcome),
        tie_keys=[(key, outcome.scores.get(key)) for key in tie_break] if outcome.rank is not None else [],
        requested=outcome.requested, weighted_total=outcome.weighted_total, failed_criteria=outcome.failed_criteria,
        step=outcome.step, budget_left=outcome.budget_left,
        reason_code=outcome.reason_code, selected_by=outcome.selected_by,
        decided_by=outcome.decided_by, tie_resolution=outcome.tie_resolution,
        comments=dict(row.comments) if row else {}, overall_comment=row.overall_comment if row else "",
    )


def outcome_entry(outcome: Outcome, coverage_field: str | None) -> RankingEntry:
    """A run's outcome as a line of the ranking, without the proposal's row (acronym, title, coordinator)."""
    return _entry(outcome, None, (), coverage_field)


def _entries(call: Call, outcomes: RunOutcomes, rows: dict[str, ProposalRow]) -> list[RankingEntry]:
    tie_break = outcomes.rules.tie_break
    coverage_field = call.coverage_field
    return [_entry(outcome, rows.get(outcome.reference), tie_break, coverage_field) for outcome in outcomes.outcomes]


def _not_ready_entries(readiness: Readiness, rows: dict[str, ProposalRow], keys: list[str]) -> list[RankingEntry]:
    # Whole sentences marked for the catalogues: the ranking is cached for every reader, so the table translates
    # them as it shows them (app/manage/ranking_table.py), and the exports keep the English.
    why = {**dict.fromkeys(readiness.missing_amount, N_("not ranked: no requested grant amount")),
           **dict.fromkeys(readiness.missing_assessment, N_("not ranked: not assessed yet")),
           **dict.fromkeys(readiness.missing_consensus, N_("not ranked: no approved consensus report yet")),
           **dict.fromkeys(readiness.pending_screening, N_("not ranked: eligibility screening pending"))}
    entries = []
    for reference in sorted(why):
        row = rows[reference]
        entries.append(RankingEntry(
            reference=reference, acronym=row.acronym, title=row.title, coordinator=row.coordinator,
            country=row.country, strand=row.strand, status="not_ready", rank=None, total=None,
            reason=why[reference], reserve_position=None,
            scores={key: row.scores.get(key) for key in keys}, thresholds_passed=None, failed=[], tie_keys=[],
            requested=row.requested, comments=dict(row.comments),
            overall_comment=row.overall_comment,
        ))
    return entries


def live_ranking(call: Call, options: SelectionOptions | None = None, *, with_comments: bool = False,
                 data: CallData | None = None) -> Ranking:
    """Score the call's current data with these options (the call's defaults when None); stores nothing."""
    options = options or SelectionOptions.defaults(call)
    data = data or load_call_data(call, with_comments=with_comments)
    prepared = prepare_input(data, options)
    rows = data.by_reference()
    keys = [criterion.key for criterion in call.criteria]
    error = None
    outcomes = None
    entries: list[RankingEntry] = []
    if prepared.document["proposals"]:
        try:
            outcomes = preview_outcomes(prepared.document)
        except InvalidInput as problem:
            error = problem.message
        else:
            entries = _entries(call, outcomes, rows)
    entries.extend(_not_ready_entries(prepared.readiness, rows, keys))
    return live_ranking_of(call, options, entries, prepared.readiness, outcomes, applied=prepared.applied,
                           stale=prepared.stale, error=error)


def live_ranking_of(call: Call, options: SelectionOptions, entries: list[RankingEntry], readiness: Readiness | None,
                    outcomes: RunOutcomes | None, *, applied: list[TieResolution], stale: list[TieResolution],
                    error: str | None) -> Ranking:
    """A live ranking of the call from what scoring its data gave (`live_ranking`, or a kept copy of it)."""
    return Ranking(call, _criteria(call, None), list(call.tie_break or []), options, entries, readiness, outcomes,
                   applied=applied, stale=stale, error=error)


def run_ranking(run: SelectionRun, *, with_comments: bool = False, data: CallData | None = None) -> Ranking:
    """The ranking a stored run decided, with today's acronyms and coordinators beside it."""
    call = run.call
    data = data or load_call_data(call, with_comments=with_comments)
    outcomes = run_outcomes(run)
    rules = outcomes.rules
    return Ranking(call, _criteria(call, rules), list(rules.tie_break), SelectionOptions.of_rules(rules),
                   _entries(call, outcomes, data.by_reference()), None, outcomes, run=run)


def export_ranking(call: Call, *, run: SelectionRun | None, options: SelectionOptions | None = None) -> Ranking:
    """The ranking an export shows, with the consensus comments: a stored run's, or the live one with `options`."""
    data = load_call_data(call, with_comments=True)
    if run is not None:
        return run_ranking(run, data=data)
    return live_ranking(call, options, data=data)
