"""What selection reads of a call: the input document built from the database (options, the proposals left out,
event calls, tie resolutions applied or stale) in a constant number of queries."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.enums import CallKind, ProposalStatus
from app.extensions import db
from app.models import ConsensusReport
from app.queries.selection import SelectionOptions, build_selection_input, load_call_data, prepare_input
from app.services.errors import InvalidInput
from app.services.selection import resolve_tie
from scoring import parse_input
from tests.factories import QueryCounter, make_call, make_proposal
from tests.selection_worlds import add, ref


def test_input_follows_the_rules_document(field) -> None:
    call, proposals = field.call, field.proposals
    document = build_selection_input(call)
    assert document["rules"] == {
        "criteria": [{"key": "relevance", "max": "5.0", "weight": "1.00", "threshold": "3.0"},
                     {"key": "quality", "max": "5.0", "weight": "1.00", "threshold": "3.0"},
                     {"key": "impact", "max": "5.0", "weight": "1.00", "threshold": "3.0"}],
        "overall_threshold": "10.0", "tie_break": ["relevance", "impact", "quality"], "budget": "3000000.00",
        "max_awards": 2, "budget_policy": "skip", "reserve_size": 2, "coverage": None,
    }
    by_id = {item["id"]: item for item in document["proposals"]}
    assert by_id[ref(proposals, "ALPHA")] == {"id": ref(proposals, "ALPHA"), "requested": "1000000.00",
                                              "eligible": True,
                                              "scores": {"relevance": "5.0", "quality": "4.5", "impact": "4.5"}}
    assert by_id[ref(proposals, "OUT")] == {"id": ref(proposals, "OUT"), "requested": "1000000.00",
                                            "eligible": False}
    parse_input(document)  # a valid selection-rules.md document


def test_options_override_the_call_and_coverage_names_the_call_field(field) -> None:
    call = field.call
    call.coverage_field = "strand"
    options = SelectionOptions.from_values(call, budget_policy="stop", reserve_size=0, coverage=True)
    document = build_selection_input(call, options=options)
    assert (document["rules"]["budget_policy"], document["rules"]["reserve_size"],
            document["rules"]["coverage"]) == ("stop", 0, "strand")
    assert all(item["strand"] == "Open" for item in document["proposals"])
    off = build_selection_input(call, options=SelectionOptions.from_values(call, coverage=False))
    assert off["rules"]["coverage"] is None


@pytest.mark.parametrize(("values", "field_name"), [
    ({"budget_policy": "maybe"}, "budget_policy"), ({"reserve_size": -1}, "reserve_size"),
    ({"reserve_size": 5000}, "reserve_size"), ({"coverage": True}, "coverage"),
])
def test_invalid_options_name_the_field(field, values, field_name) -> None:
    call = field.call
    with pytest.raises(InvalidInput) as error:
        SelectionOptions.from_values(call, **values)
    assert error.value.details["field"] == field_name


def test_withdrawn_and_unsubmitted_proposals_are_left_out(field, people) -> None:
    call, proposals = field.call, field.proposals
    applicant = people.applicant
    proposals["DELTA"].status = ProposalStatus.WITHDRAWN
    draft = make_proposal(call, applicant, acronym="DRAFT", submitted=False)
    ids = {item["id"] for item in build_selection_input(call)["proposals"]}
    assert ref(proposals, "DELTA") not in ids
    assert draft.reference not in ids
    assert len(ids) == 5


def test_event_call_requests_no_money(people) -> None:
    applicant = people.applicant
    call = make_call("EVENT", kind=CallKind.EVENT, budget=None, max_awards=1, reserve_size=0)
    add(call, applicant, "SESSION", ("4", "4", "4"), requested=None)
    document = build_selection_input(call)
    assert document["rules"]["budget"] is None
    assert document["proposals"][0]["requested"] == "0.00"


def test_input_is_read_in_a_constant_number_of_queries(people) -> None:
    applicant = people.applicant
    call = make_call("QUERIES", reserve_size=3)
    counts, existing = [], 0
    for size in (3, 40):
        for index in range(existing, size):
            add(call, applicant, f"Q{index}", ("4", "3.5", "4"))
        existing = size
        db.session.commit()
        db.session.expire_all()
        with QueryCounter() as queries:
            document = build_selection_input(db.session.get(type(call), call.id))
        assert len(document["proposals"]) == size
        counts.append(queries.count)
    assert counts[0] == counts[1] <= 6


def test_a_resolution_goes_stale_when_the_scores_change(field) -> None:
    call, proposals, officer = field.call, field.proposals, field.officer
    beta, gamma = ref(proposals, "BETA"), ref(proposals, "GAMMA")
    resolve_tie(call, actor=officer, ordered_references=[gamma, beta],
                        justification="GAMMA has the stronger SME outreach plan.")
    report = db.session.scalar(sa.select(ConsensusReport).where(ConsensusReport.proposal_id == proposals["BETA"].id))
    report.scores[0].score = Decimal("4.5")
    prepared = prepare_input(load_call_data(call), SelectionOptions.defaults(call))
    assert prepared.applied == []
    assert len(prepared.stale) == 1
    assert all("tie_resolution" not in item for item in prepared.document["proposals"])

