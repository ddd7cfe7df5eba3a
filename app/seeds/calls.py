"""The reference calls (`reference_calls.REFERENCE_CALLS`) and their open practice copies."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.call_inputs import CallSettings
from app.clock import utcnow
from app.extensions import db
from app.models import Call, User
from app.queries.calls import get_call
from app.seeds.reference_calls import REFERENCE_CALLS
from app.services.audit import record_event
from app.services.call_settings import load_call_record
from app.services.call_texts import LanguageTexts, load_call_texts

BRUSSELS = ZoneInfo("Europe/Brussels")
PRACTICE_SUFFIX = "-PRACTICE"
PRACTICE_DAYS = 30
# The practice call in evaluation: a copy of Euroclusters whose deadline passed EVALUATION_DAYS ago.
EVALUATION_REFERENCE, EVALUATION_SUFFIX, EVALUATION_DAYS = "SMP-COSME-2021-CLUSTER-01", "-EVALUATION", 6


def _local(text: str, zone: str = "Europe/Brussels") -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


# What a reference record says that is no setting of the call: the call it offers a copy in (linked after loading),
# and its own texts in other languages than English (given after loading, to the reference call only: a practice
# copy's English title says it is one, which those texts would not).
NOT_SETTINGS = ("transfer_to", "texts")


def _call_from_reference(spec: dict[str, Any], *, code: str, opens_at: datetime, deadline: datetime) -> Call:
    """The record as a published call with this code and these dates, loaded through the checks of any new call."""
    record = {name: value for name, value in spec.items() if name not in NOT_SETTINGS}
    record.update(code=code, opens_at=opens_at, deadline=deadline)
    return load_call_record(CallSettings.parse(record), published=True)


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
            spec, code=spec["code"], opens_at=_local(spec["opens_at"], spec["time_zone"]),
            deadline=_local(spec["deadline"], spec["time_zone"]),
        )
        load_call_texts(call, {language: LanguageTexts(**texts) for language, texts in spec.get("texts", {}).items()})
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
            spec, code=code, opens_at=opens_at, deadline=practice_deadline(spec["deadline"], now=now)
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
    clock_time: time = datetime.fromisoformat(spec["deadline"]).time()
    day = (now or utcnow()).astimezone(BRUSSELS).date() - timedelta(days=EVALUATION_DAYS)
    deadline = datetime.combine(day, clock_time, tzinfo=BRUSSELS)
    call = _call_from_reference(spec, code=code, opens_at=deadline - timedelta(days=PRACTICE_DAYS),
                                deadline=deadline)
    call.title = f"{spec['title']} (practice evaluation)"
    call.practice_of_id = db.session.scalar(sa.select(Call.id).where(Call.code == EVALUATION_REFERENCE))
    db.session.flush()
    record_event(actor, "call.created", object_type="call", object_id=call.code, source="practice")
    return call, True
