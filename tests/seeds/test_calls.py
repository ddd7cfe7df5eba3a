from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa

from app.enums import CallKind
from app.extensions import db
from app.models import AuditEvent, Call
from app.seeds.calls import practice_deadline, seed_practice_calls, seed_reference_calls


def test_reference_calls_have_their_deadlines_to_the_second(app_ctx) -> None:  # type: ignore[no-untyped-def]
    seed_reference_calls()
    db.session.commit()
    calls = {c.code: c for c in db.session.scalars(sa.select(Call))}
    assert calls["SMP-COSME-2021-CLUSTER-01"].deadline == datetime(2021, 12, 7, 16, 0, 0, tzinfo=UTC)
    assert calls["EUID-2022-SESSIONS"].deadline == datetime(2021, 11, 28, 22, 59, 59, tzinfo=UTC)
    assert calls["EUID-2022-LOCAL"].deadline == datetime(2021, 12, 13, 22, 59, 59, tzinfo=UTC)


def test_euroclusters_rules_match_the_call(app_ctx) -> None:  # type: ignore[no-untyped-def]
    seed_reference_calls()
    db.session.commit()
    db.session.expire_all()
    call = db.session.scalar(sa.select(Call).where(Call.code == "SMP-COSME-2021-CLUSTER-01"))
    assert call.budget == Decimal("42000000.00")
    assert call.max_awards == 30
    assert call.max_grant_per_proposal == Decimal("1400000.00")
    assert (call.min_partners, call.min_countries, call.page_limit, call.evaluators_per_proposal) == (3, 3, 50, 3)
    assert [c.key for c in call.criteria] == ["relevance", "quality", "impact"]
    assert all(c.threshold == 3 and c.weight == 1 and c.max_score == 5 for c in call.criteria)
    assert call.overall_threshold == 10
    assert call.tie_break == ["relevance", "impact", "quality"]
    assert call.coverage_field == "strand"
    assert len(call.strands) == 15
    assert call.strands[0] == "Open"
    assert "LT" in call.eligible_countries
    assert "NO" in call.eligible_countries
    assert "US" not in call.eligible_countries
    assert call.kind is CallKind.GRANT


def test_event_calls_have_slots_and_no_budget(app_ctx) -> None:  # type: ignore[no-untyped-def]
    seed_reference_calls()
    sessions = db.session.scalar(sa.select(Call).where(Call.code == "EUID-2022-SESSIONS"))
    local = db.session.scalar(sa.select(Call).where(Call.code == "EUID-2022-LOCAL"))
    assert sessions.budget is None
    assert sessions.max_awards == 20
    assert sessions.page_limit == 5
    assert local.budget is None
    assert local.max_awards == 100
    assert local.evaluators_per_proposal == 2
    assert sessions.kind is CallKind.EVENT


def test_the_korea_mission_is_a_call_for_expression_of_interest_by_configuration(app_ctx) -> None:  # type: ignore[no-untyped-def]
    from app.enums import EvaluationMode
    from app.queries.selection import describe_call_rules

    seed_reference_calls()
    call = db.session.scalar(sa.select(Call).where(Call.code == "EUROCLUSTERS-2022-MISSION-KR"))
    assert call.title == ("Call for expression of interest: EU cluster matchmaking mission to the Republic of Korea "
                          "2022")
    assert call.evaluation_mode is EvaluationMode.ASSESSMENT
    assert (call.budget, call.max_awards, call.reserve_size, call.min_partners) == (None, 20, 5, 1)
    assert call.criteria == []
    assert "DE" in call.eligible_countries
    assert "NO" not in call.eligible_countries
    assert "The first 20 suitable proposals in that order are selected" in describe_call_rules(call)[3]


def test_seeding_twice_changes_nothing(app_ctx) -> None:  # type: ignore[no-untyped-def]
    first = seed_reference_calls()
    db.session.commit()
    second = seed_reference_calls()
    db.session.commit()
    assert all(created for _, created in first)
    assert not any(created for _, created in second)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Call)) == 4
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 4


def test_practice_deadline_is_thirty_days_after_the_seed_day_in_brussels() -> None:
    # 23:30 UTC on 31 March 2026 is already 1 April in Brussels (CEST).
    now = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    deadline = practice_deadline("2021-12-07 17:00:00", now=now)
    assert deadline.astimezone(UTC) == datetime(2026, 5, 1, 15, 0, tzinfo=UTC)


def test_practice_calls_are_open_copies(app_ctx) -> None:  # type: ignore[no-untyped-def]
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    seed_reference_calls()
    seed_practice_calls(now=now)
    db.session.commit()
    practice = db.session.scalar(sa.select(Call).where(Call.code == "SMP-COSME-2021-CLUSTER-01-PRACTICE"))
    assert practice.is_open(now)
    assert practice.deadline == datetime(2026, 12, 27, 16, 0, tzinfo=UTC)
    assert practice.budget == Decimal("42000000.00")
    assert [c.key for c in practice.criteria] == ["relevance", "quality", "impact"]
    assert practice.practice_of_id is not None
    assert seed_practice_calls(now=now) == [(c, False) for c, _ in seed_practice_calls(now=now)]


def test_euroclusters_has_its_title_and_description_in_french_and_german(app_ctx) -> None:  # type: ignore[no-untyped-def]
    seed_reference_calls()
    seed_practice_calls()
    db.session.commit()
    db.session.expire_all()
    calls = {c.code: c for c in db.session.scalars(sa.select(Call))}
    euroclusters = calls["SMP-COSME-2021-CLUSTER-01"]
    assert euroclusters.text("title", "fr").startswith("Initiatives conjointes de clusters (EUROCLUSTERS)")
    assert euroclusters.text("title", "de").startswith("Gemeinsame Cluster-Initiativen (EUROCLUSTERS)")
    assert "soutien financier à des tiers" in euroclusters.text("description", "fr")
    assert "Finanzhilfe" in euroclusters.text("description", "de")
    # The criteria keep their English names; the other reference calls and the practice copies have no texts.
    assert [c.text("name", "fr") for c in euroclusters.criteria] == ["Relevance", "Quality", "Impact"]
    assert [code for code, call in calls.items() if call.texts] == ["SMP-COSME-2021-CLUSTER-01"]
