"""Call settings: only real changes are saved and audited; a later deadline that overtakes extensions is confirmed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.call_inputs import CallSettings, changed_names
from app.clock import set_clock
from app.enums import Role
from app.extensions import db
from app.models import AuditEvent, Call, Proposal, User
from app.services.call_settings import update_call_settings
from app.services.errors import ConfirmationRequired
from app.services.proposals import grant_extension, withdraw_proposal
from tests.factories import make_call, make_ready_proposal

BRUSSELS = ZoneInfo("Europe/Brussels")
DEADLINE = datetime(2031, 12, 7, 16, 0, 0, tzinfo=UTC)  # 17:00:00 Brussels
NOW = DEADLINE - timedelta(days=5)
MOVED = "The portal was down on the last day."  # a published call's deadline moves only with a reason


@pytest.fixture
def call(app_ctx) -> Any:  # type: ignore[no-untyped-def]
    set_clock(lambda: NOW)
    # Seeded in this order (as the reference data is), not sorted: the order means nothing to the rule.
    call = make_call("SETTINGS", deadline=DEADLINE, opens_at=NOW - timedelta(days=30, microseconds=250),
                     eligible_countries=["LT", "BE", "DE"], budget=Decimal("42000000.00"))
    db.session.commit()
    yield call
    set_clock(None)


@pytest.fixture
def officer(make_user) -> User:  # type: ignore[no-untyped-def]
    return db.session.get(User, make_user(Role.OFFICER).id)  # type: ignore[return-value]


def _form(call: Call, **changes: Any) -> CallSettings:
    """Every setting as the settings form sends it (to the second, countries as typed), with `changes`."""
    values: dict[str, Any] = {
        "opens_at": call.opens_at.astimezone(BRUSSELS).replace(microsecond=0),
        "deadline": call.deadline.astimezone(BRUSSELS), "budget": Decimal("42000000"),
        "max_awards": call.max_awards, "max_grant_per_proposal": call.max_grant_per_proposal,
        "page_limit": call.page_limit, "min_partners": call.min_partners, "min_countries": call.min_countries,
        "eligible_countries": ["de", "LT", "be"], "duration_min_months": call.duration_min_months,
        "duration_max_months": call.duration_max_months,
    }
    return CallSettings.parse({**values, **changes})


def _settings_events() -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "call.settings_changed")))


def test_saving_every_setting_unchanged_changes_nothing_and_audits_nothing(call, officer) -> None:  # type: ignore[no-untyped-def]
    """Countries in another order and case, the budget without cents, times without microseconds: no change."""
    assert update_call_settings(call, actor=officer, settings=_form(call)) == []
    db.session.commit()
    assert _settings_events() == []
    assert call.eligible_countries == ["LT", "BE", "DE"]


def test_changing_only_the_deadline_saves_and_audits_only_the_deadline(call, officer) -> None:  # type: ignore[no-untyped-def]
    later = (DEADLINE + timedelta(days=1)).astimezone(BRUSSELS)
    changed = update_call_settings(call, actor=officer, settings=_form(call, deadline=later), reason=MOVED)
    db.session.commit()
    assert changed == ["deadline"]
    assert changed_names(changed) == "deadline"
    [event] = _settings_events()
    assert event.data["changes"] == {"deadline": {"from": DEADLINE.isoformat(), "to": later.isoformat()}}
    assert call.deadline == DEADLINE + timedelta(days=1)


def test_changing_the_countries_records_them_as_sets_before_and_after(call, officer) -> None:  # type: ignore[no-untyped-def]
    changed = update_call_settings(call, actor=officer, settings=_form(call, eligible_countries=["FR", "lt", "BE"],
                                                                       budget="41000000.00"))
    db.session.commit()
    assert changed == ["budget", "eligible_countries"]
    assert changed_names(changed) == "budget, eligible countries"
    [event] = _settings_events()
    assert event.data["changes"] == {
        "budget": {"from": "42000000.00", "to": "41000000.00"},
        "eligible_countries": {"from": ["BE", "DE", "LT"], "to": ["BE", "FR", "LT"]},
    }


@dataclass(frozen=True)
class Extended:
    """The proposals extended by 2 hours (`short`) and by 3 days (`long`); a third, extended by 2 hours, is
    withdrawn."""

    short: Proposal
    long: Proposal


@pytest.fixture
def extended(call: Call, officer: User, make_user: Callable[..., User]) -> Extended:
    applicant = db.session.get(User, make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT").id)
    short, long_, gone = (make_ready_proposal(call, applicant, acronym=name) for name in ("SHORT", "LONG", "GONE"))
    for proposal, extra in ((short, timedelta(hours=2)), (long_, timedelta(days=3)), (gone, timedelta(hours=2))):
        grant_extension(proposal, actor=officer, deadline=DEADLINE + extra, reason="The portal was down for an hour.")
    withdraw_proposal(gone, actor=applicant)
    db.session.commit()
    return Extended(short, long_)


def test_a_later_deadline_that_overtakes_an_extension_needs_confirmation(call, officer, extended) -> None:  # type: ignore[no-untyped-def]
    short, long_ = extended.short, extended.long
    later = DEADLINE + timedelta(days=1)
    with pytest.raises(ConfirmationRequired) as refused:
        update_call_settings(call, actor=officer, settings=CallSettings(deadline=later), reason=MOVED)
    db.session.rollback()
    details = refused.value.details
    assert [item["reference"] for item in details["extensions"]] == [short.reference]  # not LONG, not withdrawn
    assert details["extensions"][0]["extended_deadline"] == (DEADLINE + timedelta(hours=2)).isoformat()
    assert "1 granted extension ends at or before it" in refused.value.message
    assert db.session.get(Call, call.id).deadline == DEADLINE  # type: ignore[union-attr]
    assert _settings_events() == []
    with pytest.raises(ConfirmationRequired):
        update_call_settings(call, actor=officer, settings=CallSettings(deadline=later), reason=MOVED,
                             confirm="not-the-token")
    db.session.rollback()
    assert update_call_settings(call, actor=officer, settings=CallSettings(deadline=later), reason=MOVED,
                                confirm=details["token"]) == ["deadline"]
    db.session.commit()
    [event] = _settings_events()
    assert event.data["overtaken_extensions"] == [short.reference]
    assert short.effective_deadline == later
    assert long_.effective_deadline == DEADLINE + timedelta(days=3)


@pytest.mark.parametrize("offset", [timedelta(hours=1), timedelta(hours=2) - timedelta(seconds=1),
                                    -timedelta(hours=3)])
def test_a_deadline_that_overtakes_no_extension_saves_at_once(call, officer, extended, offset) -> None:  # type: ignore[no-untyped-def]
    """Up to a second before the shortest extension (or earlier than the call's), nothing needs confirming."""
    assert update_call_settings(call, actor=officer, settings=CallSettings(deadline=DEADLINE + offset),
                                reason=MOVED) == ["deadline"]


def test_a_deadline_exactly_at_an_extension_overtakes_it(call, officer, extended) -> None:  # type: ignore[no-untyped-def]
    """At the same second the extension gives no more time than the call: the proposal has the call's deadline."""
    with pytest.raises(ConfirmationRequired):
        update_call_settings(call, actor=officer, settings=CallSettings(deadline=DEADLINE + timedelta(hours=2)),
                             reason=MOVED)


def test_a_token_confirms_only_the_extensions_that_were_shown(call, officer, extended, make_user) -> None:  # type: ignore[no-untyped-def]
    short, long_ = extended.short, extended.long
    later = DEADLINE + timedelta(days=1)
    with pytest.raises(ConfirmationRequired) as first:
        update_call_settings(call, actor=officer, settings=CallSettings(deadline=later), reason=MOVED)
    db.session.rollback()
    grant_extension(long_, actor=officer, deadline=DEADLINE + timedelta(hours=5), reason="Shortened on request.")
    db.session.commit()
    with pytest.raises(ConfirmationRequired) as second:
        update_call_settings(call, actor=officer, settings=CallSettings(deadline=later), reason=MOVED,
                             confirm=first.value.details["token"])
    assert [item["reference"] for item in second.value.details["extensions"]] == [short.reference, long_.reference]
