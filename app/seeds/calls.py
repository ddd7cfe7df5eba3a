"""The reference calls (`reference_calls.REFERENCE_CALLS`) and their open practice copies."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.clock import utcnow
from app.enums import BudgetPolicy, CallKind
from app.extensions import db
from app.models import Call, Criterion, User
from app.queries.calls import get_call
from app.seeds.reference_calls import REFERENCE_CALLS
from app.services.audit import record_event

BRUSSELS = ZoneInfo("Europe/Brussels")
PRACTICE_SUFFIX = "-PRACTICE"
PRACTICE_DAYS = 30
# The practice call in evaluation: a copy of Euroclusters whose deadline passed EVALUATION_DAYS ago.
EVALUATION_REFERENCE, EVALUATION_SUFFIX, EVALUATION_DAYS = "SMP-COSME-2021-CLUSTER-01", "-EVALUATION", 6


def _local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BRUSSELS)


def _call_from_reference(spec: dict[str, Any], *, code: str, opens_at: datetime, deadline: datetime) -> Call:
    threshold: Decimal = spec["criterion_threshold"]
    call = Call(
        code=code,
        title=spec["title"],
        programme=spec["programme"],
        kind=CallKind(spec["kind"]),
        description=spec["description"],
        opens_at=opens_at,
        deadline=deadline,
        time_zone="Europe/Brussels",
        budget=spec["budget"],
        max_awards=spec["max_awards"],
        max_grant_per_proposal=spec["max_grant_per_proposal"],
        min_partners=spec["min_partners"],
        min_countries=spec["min_countries"],
        eligible_countries=list(spec["eligible_countries"]),
        page_limit=spec["page_limit"],
        evaluators_per_proposal=spec["evaluators_per_proposal"],
        strands=list(spec["strands"]),
        strand_label=spec["strand_label"],
        duration_min_months=spec["duration_min_months"],
        duration_max_months=spec["duration_max_months"],
        overall_threshold=spec["overall_threshold"],
        tie_break=list(spec["tie_break"]),
        coverage_field=spec["coverage_field"],
        budget_policy=BudgetPolicy(spec["budget_policy"]),
        reserve_size=spec["reserve_size"],
        country_conflict=spec["country_conflict"],
        criteria=[
            Criterion(key=c["key"], name=c["name"], description=c["description"], max_score=Decimal(5),
                      weight=Decimal(1), threshold=threshold, position=position)
            for position, c in enumerate(spec["criteria"], start=1)
        ],
    )
    db.session.add(call)
    return call


def seed_reference_calls(actor: User | None = None) -> list[tuple[str, bool]]:
    """Create the reference calls that are missing; existing ones (maybe edited by officers) stay as they are.

    Returns (code, created) pairs. Side effects: calls, criteria, audit events.
    """
    results = []
    for spec in REFERENCE_CALLS:
        if get_call(spec["code"]) is not None:
            results.append((spec["code"], False))
            continue
        call = _call_from_reference(
            spec, code=spec["code"], opens_at=_local(spec["opens_local"]),
            deadline=_local(spec["deadline_local"]),
        )
        db.session.flush()
        record_event(actor, "call.created", object_type="call", object_id=call.code, source="reference")
        results.append((spec["code"], True))
    link_transfer_targets()
    return results


def link_transfer_targets(suffix: str = "") -> None:
    """Point each reference call that names a `transfer_to` call (and its practice copy) at that call.

    Only fills a missing link, so an officer's change stays. Side effect: flushes.
    """
    for spec in REFERENCE_CALLS:
        if not spec.get("transfer_to"):
            continue
        source, target = get_call(spec["code"] + suffix), get_call(spec["transfer_to"] + suffix)
        if source is not None and target is not None and source.transfer_to_call_id is None:
            source.transfer_to_call_id = target.id
    db.session.flush()


def practice_deadline(reference_deadline_local: str, *, now: datetime | None = None) -> datetime:
    """The reference deadline's time of day, 30 days after the day (in Brussels) the seed runs."""
    today = (now or utcnow()).astimezone(BRUSSELS).date()
    clock_time: time = datetime.fromisoformat(reference_deadline_local).time()
    return datetime.combine(today + timedelta(days=PRACTICE_DAYS), clock_time, tzinfo=BRUSSELS)


def seed_practice_calls(actor: User | None = None, *, now: datetime | None = None) -> list[tuple[str, bool]]:
    """Open copies of the reference calls (code + -PRACTICE) so the whole flow can be tried today."""
    now = now or utcnow()
    results = []
    for spec in REFERENCE_CALLS:
        code = spec["code"] + PRACTICE_SUFFIX
        if get_call(code) is not None:
            results.append((code, False))
            continue
        opens_at = datetime.combine(now.astimezone(BRUSSELS).date() - timedelta(days=1), time(0),
                                    tzinfo=BRUSSELS)
        call = _call_from_reference(
            spec, code=code, opens_at=opens_at, deadline=practice_deadline(spec["deadline_local"], now=now)
        )
        call.title = f"{spec['title']} (practice)"
        call.practice_of_id = db.session.scalar(sa.select(Call.id).where(Call.code == spec["code"]))
        db.session.flush()
        record_event(actor, "call.created", object_type="call", object_id=call.code, source="practice")
        results.append((code, True))
    link_transfer_targets(PRACTICE_SUFFIX)
    return results


def seed_practice_evaluation_call(actor: User | None = None, *, now: datetime | None = None) -> tuple[Call, bool]:
    """A copy of the Euroclusters call (code + -EVALUATION) whose deadline passed six days ago, so that its
    proposals can be in evaluation today; returns (call, created). An existing one stays as it is."""
    code = EVALUATION_REFERENCE + EVALUATION_SUFFIX
    existing = get_call(code)
    if existing is not None:
        return existing, False
    spec = next(spec for spec in REFERENCE_CALLS if spec["code"] == EVALUATION_REFERENCE)
    clock_time: time = datetime.fromisoformat(spec["deadline_local"]).time()
    day = (now or utcnow()).astimezone(BRUSSELS).date() - timedelta(days=EVALUATION_DAYS)
    deadline = datetime.combine(day, clock_time, tzinfo=BRUSSELS)
    call = _call_from_reference(spec, code=code, opens_at=deadline - timedelta(days=PRACTICE_DAYS),
                                deadline=deadline)
    call.title = f"{spec['title']} (practice evaluation)"
    call.practice_of_id = db.session.scalar(sa.select(Call.id).where(Call.code == EVALUATION_REFERENCE))
    db.session.flush()
    record_event(actor, "call.created", object_type="call", object_id=call.code, source="practice")
    return call, True
