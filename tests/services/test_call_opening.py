"""Opening a call: from scratch or as a copy, validated by the rules that protect the money (each refusal named at
its field), audited with every setting; the reference calls are records loaded through the same checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from app.call_inputs import CallSettings
from app.clock import set_clock
from app.enums import CallPhase, Role, RuleStrength
from app.extensions import db
from app.models import AuditEvent, Call, User
from app.queries.calls import call_phase, money_warnings
from app.queries.selection import SelectionOptions, describe_call_rules, rules_document
from app.seeds.calls import seed_reference_calls
from app.services.call_settings import create_call
from app.services.errors import InvalidInput, NotAllowed

NOW = datetime(2031, 6, 1, 10, 0, tzinfo=UTC)
OPENS, DEADLINE = NOW + timedelta(days=10), NOW + timedelta(days=70)
CRITERIA = [{"key": "relevance", "name": "Relevance", "max": 5, "weight": 1, "threshold": 3},
            {"key": "impact", "name": "Impact", "max": 5, "weight": "1.5", "threshold": 3}]


def new(**changes: Any) -> CallSettings:
    values = {"code": "NEW-2031-01", "title": "A new call", "programme": "SMP", "kind": "grant", "opens_at": OPENS,
              "deadline": DEADLINE, "criteria": CRITERIA, "budget": "1000000", "max_awards": 5,
              "max_grant_per_proposal": "200000", "tie_break": ["impact"], "overall_threshold": 6}
    return CallSettings.parse({**values, **changes})


@pytest.fixture
def officer(app_ctx, make_user) -> User:  # type: ignore[no-untyped-def]
    set_clock(lambda: NOW)
    yield db.session.get(User, make_user(Role.OFFICER).id)  # type: ignore[misc]
    set_clock(None)


def test_a_new_call_is_a_draft_with_its_criteria_and_an_audit_of_every_setting(officer) -> None:  # type: ignore[no-untyped-def]
    call = create_call(new(), actor=officer)
    assert call_phase(call) is CallPhase.DRAFT
    assert [(c.key, c.weight, c.threshold, c.position) for c in call.criteria] == [
        ("relevance", Decimal(1), Decimal(3), 1), ("impact", Decimal("1.5"), Decimal(3), 2)]
    assert (call.time_zone, call.budget_policy.value, call.reserve_size) == ("Europe/Brussels", "skip", 0)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "call.created"))
    assert event is not None
    assert event.data["source"] == "new"
    assert event.data["settings"]["criteria"][1] == {"key": "impact", "name": "Impact", "description": "",
                                                     "max": "5", "weight": "1.5", "threshold": "3"}


def test_the_ranking_s_rules_are_built_from_the_call_s_data(officer) -> None:  # type: ignore[no-untyped-def]
    call = create_call(new(), actor=officer)
    rules = rules_document(call, SelectionOptions.defaults(call))
    weights = [(c["key"], Decimal(c["weight"])) for c in rules["criteria"]]
    assert weights == [("relevance", 1), ("impact", Decimal("1.5"))]
    assert rules["tie_break"] == ["impact"]
    assert "impact: scored 0 to 5 in half points, weight 1.5, threshold 3" in describe_call_rules(call)[2]


def test_a_copy_takes_the_criteria_and_rules_and_changes_what_it_is_given(officer) -> None:  # type: ignore[no-untyped-def]
    source = create_call(new(reserve_size=4, strands=["Open", "Digital"], coverage_field="strand"), actor=officer)
    copy = create_call(CallSettings.parse({"code": "NEW-2032-01", "opens_at": OPENS + timedelta(days=365),
                                           "deadline": DEADLINE + timedelta(days=365), "title": "Next year"}),
                       actor=officer, copy_of=source)
    assert [c.key for c in copy.criteria] == ["relevance", "impact"]
    assert [c.id for c in copy.criteria] != [c.id for c in source.criteria]
    assert (copy.title, copy.reserve_size, copy.strands, copy.coverage_field) == (
        "Next year", 4, ["Open", "Digital"], "strand")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "call.created",
                                                          AuditEvent.object_id == "NEW-2032-01"))
    assert event is not None
    assert event.data["source"] == "copy of NEW-2031-01"


def test_a_copy_keeps_the_panel_rule_set_on_the_assignment_page(officer) -> None:  # type: ignore[no-untyped-def]
    source = create_call(new(), actor=officer)
    source.nationality_rule = RuleStrength.HARD
    copy = create_call(CallSettings.parse({"code": "NEW-2032-02", "opens_at": OPENS + timedelta(days=365),
                                           "deadline": DEADLINE + timedelta(days=365)}),
                       actor=officer, copy_of=source)
    assert copy.nationality_rule is RuleStrength.HARD
    assert create_call(new(code="NEW-2032-03"), actor=officer).nationality_rule is RuleStrength.OFF


def test_a_copy_needs_its_own_code_and_dates(officer) -> None:  # type: ignore[no-untyped-def]
    source = create_call(new(), actor=officer)
    with pytest.raises(InvalidInput) as missing:
        create_call(CallSettings.parse({"title": "Next"}), actor=officer, copy_of=source)
    assert set(missing.value.details["fields"]) == {"code", "opens_at", "deadline"}
    with pytest.raises(InvalidInput, match="exists already") as taken:
        create_call(new(), actor=officer, copy_of=source)
    assert taken.value.details["field"] == "code"


# What protects the money, each at its field (the API answers the same: tests/api/test_calls_api.py).
REFUSED = [
    ({"criteria": []}, "criteria", "Give at least one criterion."),
    ({"criteria": [{**CRITERIA[0], "threshold": 6}]}, "criteria.1.threshold", "Within the scale, 0 to 5."),
    ({"criteria": [{**CRITERIA[0], "threshold": -1}]}, "criteria.1.threshold", "Within the scale, 0 to 5."),
    ({"criteria": [{**CRITERIA[0], "weight": 0}]}, "criteria.1.weight", "A weight is positive (above 0)."),
    ({"criteria": [CRITERIA[0], {**CRITERIA[1], "key": "relevance"}]}, "criteria.2.key",
     "Each criterion has its own key."),
    ({"tie_break": ["quality"]}, "tie_break", "Not a criterion of this call: quality (criteria: relevance, impact)."),
    ({"overall_threshold": "10.5"}, "overall_threshold", "Within the scale of the total, 0 to 10."),
    ({"max_grant_per_proposal": "1000000.01"}, "max_grant_per_proposal", "Cannot exceed the call's budget."),
    ({"deadline": OPENS}, "deadline", "The deadline must be after the opening."),
    ({"time_zone": "Europe/Atlantis"}, "time_zone", "Not a time zone of the IANA database (e.g. Europe/Brussels)."),
    ({"coverage_field": "strand"}, "coverage_field", "Covering the strands needs a list of strands."),
    ({"code": "new call"}, "code", "2 to 60 capital letters, digits and hyphens, e.g. SMP-COSME-2027-CLUSTER-01."),
]


@pytest.mark.parametrize(("change", "field", "message"), REFUSED, ids=[r[1] for r in REFUSED])
def test_a_call_that_would_break_a_rule_is_refused_at_the_field(officer, change, field, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as refused:
        create_call(new(**change), actor=officer)
    assert refused.value.details["fields"] == {field: message}
    assert db.session.scalar(sa.select(sa.func.count(Call.id))) == 0


def test_the_boundaries_of_the_money_rules_are_accepted(officer) -> None:  # type: ignore[no-untyped-def]
    call = create_call(new(max_grant_per_proposal="1000000.00", criteria=[{**CRITERIA[0], "threshold": 5},
                                                                          {**CRITERIA[1], "threshold": 0}],
                           overall_threshold=10), actor=officer)
    assert call.max_grant_per_proposal == call.budget


def test_a_budget_that_cannot_fund_the_cap_at_the_maximum_grant_is_a_warning_not_a_refusal() -> None:
    assert money_warnings(budget=Decimal("1000000"), max_awards=5, max_grant=Decimal("200000")) == []
    assert money_warnings(budget=Decimal("1000000"), max_awards=6, max_grant=Decimal("200000")) == [
        "The budget (€1,000,000.00) cannot fund the award cap (6) at the maximum grant (€200,000.00): at most "
        "5 proposals at the maximum."]


def test_only_officers_open_calls(officer, make_user) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotAllowed):
        create_call(new(), actor=None)
    with pytest.raises(NotAllowed):
        create_call(new(), actor=db.session.get(User, make_user(Role.APPLICANT).id))


def test_the_reference_calls_are_records_with_every_criterion_s_scale_weight_and_threshold(app_ctx) -> None:  # type: ignore[no-untyped-def]
    seed_reference_calls()
    call = db.session.scalar(sa.select(Call).where(Call.code == "SMP-COSME-2021-CLUSTER-01"))
    assert call is not None
    assert call.published_at is not None
    assert [(c.key, c.max_score, c.weight, c.threshold) for c in call.criteria] == [
        (key, Decimal(5), Decimal(1), Decimal(3)) for key in ("relevance", "quality", "impact")]
    assert (call.tie_break, call.coverage_field, call.reserve_size) == (["relevance", "impact", "quality"],
                                                                        "strand", 10)
