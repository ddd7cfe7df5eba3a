"""A call's selection runs: the list, the run in force, tie resolutions, the what-if comparison of two runs, and
what finalising a run would change (the preview whose token confirms it)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import defer, joinedload, selectinload

from app.enums import Decision, RunStatus
from app.extensions import db
from app.languages import N_
from app.models import Call, Proposal, SelectionRun, TieResolution
from app.queries.outcomes import Outcome, RunOutcomes, run_outcomes, score_document, sha256_text
from app.queries.selection import CallData, SelectionOptions, load_call_data, prepare_input
from app.services.errors import InvalidInput
from app.translation import gettext, ngettext, pgettext
from scoring import canonical_json, rules_to_dict


def list_runs(call: Call) -> list[SelectionRun]:
    """The call's runs, newest first, without their (large) input and output."""
    return list(db.session.scalars(
        sa.select(SelectionRun).options(
            defer(SelectionRun.input_json), defer(SelectionRun.output_json), joinedload(SelectionRun.created_by),
            selectinload(SelectionRun.parent_run).load_only(SelectionRun.number),
        ).where(SelectionRun.call_id == call.id).order_by(SelectionRun.number.desc())
    ))


def run_in_force(call: Call) -> SelectionRun | None:
    """The finalised run whose decisions stand (at most one per call)."""
    return db.session.scalar(sa.select(SelectionRun).options(
        defer(SelectionRun.input_json), defer(SelectionRun.output_json)
    ).where(SelectionRun.call_id == call.id, SelectionRun.status == RunStatus.FINALISED,
            SelectionRun.superseded_at.is_(None)))


def finalised_runs(call: Call) -> list[SelectionRun]:
    """The call's finalised runs, newest first (each has letters)."""
    return list(db.session.scalars(
        sa.select(SelectionRun).where(SelectionRun.call_id == call.id, SelectionRun.status == RunStatus.FINALISED)
        .order_by(SelectionRun.number.desc())
    ))


def promotions_of(run: SelectionRun) -> list[int]:
    """The numbers of the runs that promote from this one's reserve list."""
    return list(db.session.scalars(sa.select(SelectionRun.number).where(SelectionRun.parent_run_id == run.id)
                                   .order_by(SelectionRun.number)))


def list_tie_resolutions(call: Call) -> list[TieResolution]:
    """The call's tie resolutions, newest first, revoked ones too."""
    return list(db.session.scalars(
        sa.select(TieResolution).options(joinedload(TieResolution.created_by))
        .where(TieResolution.call_id == call.id).order_by(TieResolution.id.desc())
    ))


def acronyms_of(call: Call, references: Iterable[str] | None = None) -> dict[str, str]:
    """Reference → acronym for the call's proposals (one query)."""
    statement = sa.select(Proposal.reference, Proposal.acronym).where(Proposal.call_id == call.id)
    if references is not None:
        statement = statement.where(Proposal.reference.in_(list(references)))
    return {reference: acronym or "" for reference, acronym in db.session.execute(statement)}


def describe_options(options: Mapping[str, Any], *, budget: bool = True) -> str:
    """'skip policy, reserve 10, coverage on' — how a run's options read in lists; without a `budget` (an event
    call's slots) the budget policy decides nothing and is not named."""
    # In the language being spoken (an officer's page; English outside a request): a list of terms, not a sentence.
    policy = options.get("budget_policy", "skip")
    policies = {"skip": gettext("skip policy"), "stop": gettext("stop policy")}
    parts = [policies.get(policy, f"{policy} policy")] if budget else []
    parts += [gettext("reserve %(size)s", size=options.get("reserve_size", 0)),
              gettext("coverage on") if options.get("coverage") else gettext("coverage off")]
    if options.get("tie_resolutions"):
        parts.append(ngettext("%(num)d tie resolution(s)", "%(num)d tie resolution(s)",
                              len(options["tie_resolutions"])))
    promotion = options.get("promotion")
    if promotion:
        released = promotion.get("released")
        if promotion.get("reason") == "ineligible":
            parts.append(gettext("promotion after %(released)s ineligible", released=released))
        else:
            parts.append(gettext("promotion after %(released)s declined", released=released))
    review = options.get("review")
    if review:
        parts.append(gettext("outcome of the evaluation review %(request)s: %(outcome)s", request=review.get("request"),
                             outcome=_review_outcome(review.get("outcome"))))
    return ", ".join(parts)


def _review_outcome(outcome: Any) -> str:
    """A review's outcome (scoring.review's English data) in the language being spoken."""
    words = {"funded": N_("funded"), "reserve": N_("reserve"), "unchanged": N_("unchanged")}
    return gettext(words[outcome]) if outcome in words else str(outcome)


# ---------------------------------------------------------------------------------------------- comparison


@dataclass
class ComparedProposal:
    reference: str
    acronym: str
    a: Outcome | None
    b: Outcome | None

    @property
    def status_changed(self) -> bool:
        return (self.a.status if self.a else None) != (self.b.status if self.b else None) or \
            (self.a.reserve_position if self.a else None) != (self.b.reserve_position if self.b else None)

    @property
    def rank_changed(self) -> bool:
        return (self.a.rank if self.a else None) != (self.b.rank if self.b else None)

    @property
    def input_changed(self) -> bool:
        if self.a is None or self.b is None:
            return True
        return (self.a.scores, self.a.requested, self.a.eligible) != (self.b.scores, self.b.requested, self.b.eligible)


@dataclass
class Comparison:
    a: SelectionRun
    b: SelectionRun
    a_outcomes: RunOutcomes
    b_outcomes: RunOutcomes
    proposals: list[ComparedProposal]
    option_changes: list[tuple[str, Any, Any]]
    rule_changes: list[tuple[str, Any, Any]]

    @property
    def changed(self) -> list[ComparedProposal]:
        return [p for p in self.proposals if p.status_changed]

    @property
    def rank_only(self) -> list[ComparedProposal]:
        return [p for p in self.proposals if p.rank_changed and not p.status_changed]

    @property
    def input_changed(self) -> list[ComparedProposal]:
        return [p for p in self.proposals if p.input_changed]


OPTION_LABELS = {"budget_policy": N_("Budget policy"), "reserve_size": N_("Reserve list size"),
                 "coverage": N_("Coverage rule"), "tie_resolutions": N_("Tie resolutions applied"),
                 "promotion": N_("Promotion"), "review": N_("Evaluation review outcome")}
RULE_KEYS = ("criteria", "overall_threshold", "tie_break", "budget", "max_awards")


def compare_runs(a: SelectionRun, b: SelectionRun, *, acronyms: Mapping[str, str] | None = None) -> Comparison:
    """Side by side: which proposals change status (or reserve position, or rank) between two runs, and why —
    each side's reason, the options and rules that differ, and the proposals whose input differs."""
    a_outcomes, b_outcomes = run_outcomes(a), run_outcomes(b)
    a_by, b_by = a_outcomes.by_reference(), b_outcomes.by_reference()
    order = [o.reference for o in b_outcomes.outcomes] + [r for r in a_by if r not in b_by]
    acronyms = acronyms or {}
    proposals = [ComparedProposal(ref, acronyms.get(ref, ""), a_by.get(ref), b_by.get(ref)) for ref in order]
    keys = sorted({*a.options, *b.options})
    option_changes = [(gettext(OPTION_LABELS[k]) if k in OPTION_LABELS else k, _option_text(k, a.options.get(k)),
                       _option_text(k, b.options.get(k))) for k in keys if a.options.get(k) != b.options.get(k)]
    # The rules as the input document writes them, so that a change reads as the officer set it.
    a_rules, b_rules = rules_to_dict(a_outcomes.rules), rules_to_dict(b_outcomes.rules)
    rule_changes = [(k, a_rules[k], b_rules[k]) for k in RULE_KEYS if a_rules[k] != b_rules[k]]
    return Comparison(a, b, a_outcomes, b_outcomes, proposals, option_changes, rule_changes)


def _option_text(key: str, value: Any) -> str:
    """An option's value as the comparison shows it, in the language being spoken: on/off, '#3, #4', 'none'."""
    if value is None or value == []:
        return pgettext("option", "none")
    if isinstance(value, bool):
        return pgettext("option", "on") if value else pgettext("option", "off")
    if key == "budget_policy" and value in ("skip", "stop"):
        return pgettext("budget policy", "skip") if value == "skip" else pgettext("budget policy", "stop")
    if key == "tie_resolutions":
        return ", ".join(f"#{item}" for item in value)
    if key == "promotion" and isinstance(value, Mapping):
        released, promoted = value.get("released"), value.get("promoted")
        if value.get("reason") == "ineligible":
            if promoted:
                return gettext("%(released)s ineligible, %(promoted)s promoted", released=released, promoted=promoted)
            return gettext("%(released)s ineligible, nobody promoted", released=released)
        if promoted:
            return gettext("%(released)s declined, %(promoted)s promoted", released=released, promoted=promoted)
        return gettext("%(released)s declined, nobody promoted", released=released)
    if key == "review" and isinstance(value, Mapping):
        return f"{value.get('request')}: {_review_outcome(value.get('outcome'))} ({value.get('code')})"
    return str(value)


# ---------------------------------------------------------------------------------------------- finalisation


@dataclass
class Change:
    reference: str
    acronym: str
    before: Decision | None
    before_position: int | None
    after: Decision
    after_position: int | None


@dataclass
class FinalisePreview:
    run: SelectionRun
    outcomes: RunOutcomes
    changes: list[Change]
    counts: dict[str, int]
    references: dict[str, list[str]]
    selected_total: Decimal
    token: str
    blockers: list[str]

    @property
    def can_finalise(self) -> bool:
        return not self.blockers


def _blockers(run: SelectionRun, in_force: SelectionRun | None, data: CallData) -> list[str]:
    """Why this run cannot be finalised now (empty when it can)."""
    if run.status is RunStatus.FINALISED:
        return [gettext("Run %(number)d is already final.", number=run.number)]
    if run.is_promotion:
        if in_force is None or in_force.id != run.parent_run_id:
            return [gettext("Run %(number)d promotes from a run that is no longer in force; promote again from "
                            "the run in force.", number=run.number)]
        return []
    if in_force is not None:
        return [gettext("Run %(number)d is final and in force. To change its outcome, promote from its reserve "
                        "list.", number=in_force.number)]
    try:
        options = SelectionOptions.from_values(data.call, **{k: run.options.get(k) for k in
                                                              ("budget_policy", "reserve_size", "coverage")})
    except InvalidInput as error:
        return [gettext("The call's rules changed since run %(number)d was made (%(problem)s); run the selection "
                        "again.", number=run.number, problem=error.message)]
    prepared = prepare_input(data, options)
    if not prepared.readiness.is_ready:
        return [prepared.readiness.message()]
    input_json, _, _ = score_document(prepared.document)
    if sha256_text(input_json) != run.input_sha256:
        return [gettext("Scores, screening, rules or tie resolutions changed since run %(number)d was made: run "
                        "the selection again and finalise the new run.", number=run.number)]
    return []


def _token(run: SelectionRun, data: CallData, in_force: SelectionRun | None) -> str:
    state = sorted((row.reference, row.decision.value if row.decision else None, row.reserve_position)
                   for row in data.rows)
    material = canonical_json({"run": run.id, "output": run.output_sha256, "status": run.status.value,
                               "in_force": in_force.id if in_force else None, "proposals": state})
    return sha256_text(material)


def finalise_preview(run: SelectionRun) -> FinalisePreview:
    """What finalising the run would change (counts, references, total amount) and the token that confirms it."""
    data = load_call_data(run.call)
    in_force = run_in_force(run.call)
    outcomes = run_outcomes(run)
    rows = data.by_reference()
    changes: list[Change] = []
    references: dict[str, list[str]] = {decision.value: [] for decision in Decision}
    for outcome in outcomes.outcomes:
        row = rows.get(outcome.reference)
        after = outcome.decision
        references[after.value].append(outcome.reference)
        before = row.decision if row else None
        before_position = row.reserve_position if row else None
        if (before, before_position) != (after, outcome.reserve_position):
            changes.append(Change(outcome.reference, row.acronym if row else "", before, before_position, after,
                                  outcome.reserve_position))
    counts = {decision: len(items) for decision, items in references.items()}
    return FinalisePreview(run, outcomes, changes, counts, references, outcomes.selected_total,
                           _token(run, data, in_force), _blockers(run, in_force, data))
