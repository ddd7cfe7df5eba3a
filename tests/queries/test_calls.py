"""Calls as the public list, the officers' dashboard and the settings page read them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from app.clock import set_clock
from app.enums import Role
from app.extensions import db
from app.models import Call, Proposal, User
from app.queries.calls import (
    calls_by_deadline,
    calls_open_and_other,
    extensions_overtaken,
    get_call,
    open_calls,
    overtaken_token,
)
from app.services.proposals import grant_extension, withdraw_proposal
from tests.factories import make_call, make_ready_proposal

NOW = datetime(2031, 6, 1, 12, 0, tzinfo=UTC)


def _call(code: str, *, opens: timedelta, closes: timedelta) -> Call:
    return make_call(code, opens_at=NOW + opens, deadline=NOW + closes)


def test_the_public_list_shows_the_open_calls_first_nearest_deadline_first(app_ctx: None) -> None:
    _call("CLOSED", opens=-timedelta(days=90), closes=-timedelta(days=1))
    _call("OPEN-LATE", opens=-timedelta(days=10), closes=timedelta(days=40))
    _call("UPCOMING", opens=timedelta(days=5), closes=timedelta(days=90))
    _call("OPEN-SOON", opens=-timedelta(days=10), closes=timedelta(seconds=1))
    db.session.commit()
    open_now, other = calls_open_and_other(NOW)
    assert [c.code for c in open_now] == ["OPEN-SOON", "OPEN-LATE"]
    assert [c.code for c in other] == ["UPCOMING", "CLOSED"]  # latest deadline first
    assert [c.code for c in open_calls(NOW)] == ["OPEN-SOON", "OPEN-LATE"]
    assert [c.code for c in calls_by_deadline()] == ["UPCOMING", "OPEN-LATE", "OPEN-SOON", "CLOSED"]
    # At the deadline's second the call is closed.
    assert [c.code for c in calls_open_and_other(NOW + timedelta(seconds=1))[0]] == ["OPEN-LATE"]
    assert get_call("OPEN-LATE") is not None
    assert get_call("open-late") is None


@pytest.fixture
def extended(app_ctx: None, make_user: Callable[..., User]) -> Iterator[list[Proposal]]:
    """Four proposals of a call closing at NOW + 5 days: extended by 1 h, by 2 h, not at all, and by 1 h then
    withdrawn."""
    officer = db.session.get(User, make_user(Role.OFFICER).id)
    applicant = db.session.get(User, make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance",
                                               country="LT").id)
    set_clock(lambda: NOW)
    call = make_call("EXT", opens_at=NOW - timedelta(days=30), deadline=NOW + timedelta(days=5))
    proposals = [make_ready_proposal(call, applicant, acronym=name) for name in ("HOUR", "TWO", "NONE", "GONE")]
    for proposal, hours in zip(proposals, (1, 2, 0, 1), strict=True):
        if hours:
            grant_extension(proposal, actor=officer, deadline=call.deadline + timedelta(hours=hours),
                            reason="The portal was down for an hour.")
    withdraw_proposal(proposals[3], actor=applicant)
    db.session.commit()
    yield proposals
    set_clock(None)


def test_an_extension_is_overtaken_by_a_call_deadline_at_or_after_it(extended: list[Proposal]) -> None:
    hour, two, _, _ = extended
    call = hour.call
    assert extensions_overtaken(call, call.deadline + timedelta(hours=1) - timedelta(seconds=1)) == []
    assert extensions_overtaken(call, call.deadline + timedelta(hours=1)) == [hour]  # not the withdrawn one
    assert extensions_overtaken(call, call.deadline + timedelta(days=1)) == [hour, two]
    assert extensions_overtaken(call, call.deadline - timedelta(days=1)) == []  # an earlier deadline overtakes none


def test_the_confirmation_token_names_exactly_the_extensions_shown(extended: list[Proposal]) -> None:
    hour, two, _, _ = extended
    token = overtaken_token([hour, two])
    assert token == overtaken_token([hour, two])
    assert token != overtaken_token([hour])
    before = overtaken_token([hour])
    hour.extended_deadline = hour.extended_deadline + timedelta(minutes=1)  # type: ignore[operator]
    assert overtaken_token([hour]) != before
