"""The small worlds of the selection tests (services, queries, views): calls with scored proposals, as dataclasses,
and the fixtures that build them (registered for the whole suite in tests/conftest.py; a module may still define its
own fixture of the same name, which wins). A test reads `field.call`, `field.officer` and `field.ref("BETA")` rather
than unpacking tuples.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import pytest

from app.enums import Eligibility, Role
from app.extensions import db
from app.models import Call, Proposal, SelectionRun, User
from tests.factories import make_approved_consensus, make_call, make_proposal


@dataclass
class People:
    """An applicant of Baltic Cluster Alliance (LT) and a programme officer, attached to the session."""

    applicant: User
    officer: User


def make_people(make_user: Callable[..., User]) -> People:
    applicant = db.session.merge(make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT"))
    officer = db.session.merge(make_user(Role.OFFICER, organisation=None))
    return People(applicant, officer)


def add(call: Call, applicant: User, acronym: str, scores: Sequence[str] | None, *,
        requested: str | None = "1000000.00", strand: str = "Open",
        eligibility: Eligibility = Eligibility.ELIGIBLE) -> Proposal:
    """A submitted proposal; `scores` (one per criterion of the call, in order) gives it an approved consensus."""
    proposal = make_proposal(call, applicant, acronym=acronym, strand=strand,
                             requested=None if requested is None else Decimal(requested))
    if scores is not None:
        make_approved_consensus(proposal, dict(zip([c.key for c in call.criteria], scores, strict=True)))
    proposal.eligibility = eligibility
    return proposal


@dataclass
class SelectionField:
    """Six proposals in a 3-million call with 2 awards and a reserve of 2: one tie, one below threshold, one
    ineligible."""

    call: Call
    proposals: dict[str, Proposal]
    officer: User
    applicant: User

    def ref(self, name: str) -> str:
        """The reference of the proposal called `name` (ALPHA, BETA …)."""
        return self.proposals[name].reference


def make_selection_field(people: People) -> SelectionField:
    call = make_call("SEL", budget=Decimal("3000000.00"), max_awards=2, reserve_size=2)
    applicant = people.applicant
    proposals = {
        "ALPHA": add(call, applicant, "ALPHA", ("5", "4.5", "4.5")),                       # 14
        "BETA": add(call, applicant, "BETA", ("4", "4", "4"), requested="1500000.00"),      # 12, tie
        "GAMMA": add(call, applicant, "GAMMA", ("4", "4", "4"), requested="900000.00"),     # 12, tie
        "DELTA": add(call, applicant, "DELTA", ("3.5", "3.5", "3.5"), requested="400000.00"),  # 10.5
        "LOW": add(call, applicant, "LOW", ("2.5", "4", "4")),                               # below threshold
        "OUT": add(call, applicant, "OUT", None, eligibility=Eligibility.INELIGIBLE),
    }
    db.session.commit()
    return SelectionField(call, proposals, people.officer, applicant)


@dataclass
class FinalisedField:
    """The selection field with its first run finalised (ALPHA and BETA selected, GAMMA and DELTA on reserve)."""

    field: SelectionField
    run: SelectionRun

    @property
    def call(self) -> Call:
        return self.field.call

    @property
    def proposals(self) -> dict[str, Proposal]:
        return self.field.proposals

    @property
    def officer(self) -> User:
        return self.field.officer

    def ref(self, name: str) -> str:
        return self.field.ref(name)


def finalise_first_run(field: SelectionField) -> FinalisedField:
    from app.queries.runs import finalise_preview
    from app.services.selection import finalise_run, run_selection

    run = run_selection(field.call, actor=field.officer)
    finalise_run(run, actor=field.officer, token=finalise_preview(run).token)
    db.session.commit()
    return FinalisedField(field, run)


@dataclass
class OutputField:
    """A 2.5-million call with 3 awards and a reserve of 1: four ranked proposals (one with a formula-like acronym)
    and one below threshold."""

    call: Call
    officer: User
    applicant: User


def make_output_field(people: People) -> OutputField:
    call = make_call("OUT", budget=Decimal("2500000.00"), max_awards=3, reserve_size=1)
    applicant = people.applicant
    add(call, applicant, "=HYPERLINK(\"x\")", ("5", "5", "4"), requested="1200000.00")
    add(call, applicant, "SECOND", ("4.5", "4", "4"), requested="1000000.00")
    add(call, applicant, "THIRD", ("4", "4", "4"), requested="900000.00")
    add(call, applicant, "FOURTH", ("3.5", "3.5", "3.5"), requested="200000.00")
    add(call, applicant, "WEAK", ("2", "4", "4"))
    db.session.commit()
    return OutputField(call, people.officer, applicant)


def as_stored_before_decision_fields(run: SelectionRun) -> None:
    """Rewrite a run as runs were stored before the core reported each decision's step, budget left and reason
    code (and before its sums): the same output without those fields, and its hash."""
    from app.queries.outcomes import sha256_text
    from scoring import ADDED_FIELDS, canonical_json

    output = json.loads(run.output_json)
    for item in output["proposals"]:
        for key in ADDED_FIELDS:
            item.pop(key, None)
    run.output_json = canonical_json(output)
    run.output_sha256 = sha256_text(run.output_json)


def ref(proposals: dict[str, Proposal], name: str) -> str:
    """The reference of the proposal called `name` among `proposals`."""
    return proposals[name].reference


@pytest.fixture
def people(app_ctx: None, make_user: Callable[..., User]) -> People:
    return make_people(make_user)


@pytest.fixture
def field(people: People) -> SelectionField:
    return make_selection_field(people)


@pytest.fixture
def final(field: SelectionField) -> FinalisedField:
    return finalise_first_run(field)


@pytest.fixture
def call_with_field(people: People) -> OutputField:
    return make_output_field(people)
