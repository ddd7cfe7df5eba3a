"""Two-factor sign-in's rules on a fixed clock: a code of the current step or one step either side, never one twice,
recovery codes once each, the wrong codes counted per account, turning it off with the password and a code."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import sqlalchemy as sa

from app.clock import set_clock
from app.enums import Role
from app.extensions import db
from app.models import AuditEvent, RecoveryCode, User
from app.services.errors import InvalidInput, InvalidTransition, LoginLocked
from app.services.two_factor import (
    CODE_ATTEMPTS,
    RECOVERY_CODE_COUNT,
    confirm_enrolment,
    disable_two_factor,
    regenerate_recovery_codes,
    start_enrolment,
    verify_second_factor,
)
from tests.conftest import PASSWORD

# The start of a 30-second time step, so that "one step later" is exactly NOW + 30 s.
NOW = datetime(2031, 3, 4, 10, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[list[datetime]]:
    """The app's clock, standing at NOW until a test moves it (now[0] = ...)."""
    now = [NOW]
    set_clock(lambda: now[0])
    yield now
    set_clock(None)


@pytest.fixture
def person(app_ctx, make_user, clock) -> User:  # type: ignore[no-untyped-def]
    return db.session.get(User, make_user(Role.EVALUATOR).id)  # type: ignore[return-value]


def code_at(secret: str, at: datetime) -> str:
    return pyotp.TOTP(secret).at(at)


def enrolled(person: User) -> tuple[str, list[str]]:
    secret = start_enrolment(person)
    codes = confirm_enrolment(person, code=code_at(secret, NOW))
    db.session.commit()
    return secret, codes


def test_enrolment_counts_only_once_a_code_confirms_it(person: User) -> None:
    secret = start_enrolment(person)
    assert not person.has_two_factor
    with pytest.raises(InvalidInput) as refused:
        confirm_enrolment(person, code=code_at(secret, NOW + timedelta(minutes=5)))
    assert refused.value.details == {"field": "code"}
    assert not person.has_two_factor
    codes = confirm_enrolment(person, code=code_at(secret, NOW))
    assert person.has_two_factor
    assert len(codes) == RECOVERY_CODE_COUNT == len(set(codes))
    stored = db.session.scalars(sa.select(RecoveryCode.code_hash).where(RecoveryCode.user_id == person.id)).all()
    assert len(stored) == RECOVERY_CODE_COUNT
    assert not set(codes) & set(stored)
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.object_id == str(person.id))
                             .order_by(AuditEvent.id.desc())) == "user.two_factor_enabled"
    with pytest.raises(InvalidTransition):
        start_enrolment(person)


def test_a_new_start_replaces_the_pending_secret(person: User) -> None:
    first = start_enrolment(person)
    second = start_enrolment(person)
    assert first != second
    with pytest.raises(InvalidInput):
        confirm_enrolment(person, code=code_at(first, NOW))


@pytest.mark.parametrize(("offset", "accepted"), [(-60, False), (-30, True), (0, True), (29, True), (30, True),
                                                  (60, False)])
def test_a_code_is_accepted_one_time_step_either_side(person: User, clock: list[datetime], offset: int,
                                                      accepted: bool) -> None:
    secret, _ = enrolled(person)
    clock[0] = NOW + timedelta(minutes=10)
    assert verify_second_factor(person, code_at(secret, clock[0] + timedelta(seconds=offset))) is accepted


def test_a_code_cannot_be_used_twice_nor_an_earlier_one_after_it(person: User, clock: list[datetime]) -> None:
    secret, _ = enrolled(person)
    clock[0] = NOW + timedelta(minutes=10)
    code = code_at(secret, clock[0])
    assert verify_second_factor(person, code)
    assert not verify_second_factor(person, code)  # replayed in the same step
    assert not verify_second_factor(person, code_at(secret, clock[0] - timedelta(seconds=30)))  # an older one
    assert verify_second_factor(person, code_at(secret, clock[0] + timedelta(seconds=30)))  # the next step's


def test_the_code_that_confirmed_enrolment_cannot_sign_in(person: User) -> None:
    secret, _ = enrolled(person)
    assert not verify_second_factor(person, code_at(secret, NOW))


def test_each_recovery_code_works_once_in_any_spelling(person: User) -> None:
    _, codes = enrolled(person)
    assert verify_second_factor(person, f" {codes[0].upper()} ")
    assert not verify_second_factor(person, codes[0])
    assert verify_second_factor(person, codes[1].replace("-", ""))
    used = db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)
                             .where(RecoveryCode.user_id == person.id, RecoveryCode.used_at.is_not(None)))
    assert used == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "user.recovery_code_used")) == 2


def test_new_recovery_codes_need_a_current_code_and_end_the_old_ones(person: User, clock: list[datetime]) -> None:
    secret, old = enrolled(person)
    with pytest.raises(InvalidInput):
        regenerate_recovery_codes(person, code=old[0])  # a recovery code is not enough to make new ones
    clock[0] = NOW + timedelta(minutes=1)
    new = regenerate_recovery_codes(person, code=code_at(secret, clock[0]))
    assert len(new) == RECOVERY_CODE_COUNT
    assert not set(new) & set(old)
    assert not verify_second_factor(person, old[1])
    assert verify_second_factor(person, new[1])


def test_wrong_codes_are_counted_per_account_and_then_refused(person: User, clock: list[datetime]) -> None:
    secret, _ = enrolled(person)
    clock[0] = NOW + timedelta(minutes=1)
    for _ in range(CODE_ATTEMPTS):
        assert not verify_second_factor(person, "000000")
    with pytest.raises(LoginLocked):
        verify_second_factor(person, code_at(secret, clock[0]))  # even the right code, until the window ends
    clock[0] = NOW + timedelta(minutes=17)
    assert verify_second_factor(person, code_at(secret, clock[0]))


def test_turning_it_off_needs_the_password_and_a_code(person: User, clock: list[datetime]) -> None:
    secret, codes = enrolled(person)
    clock[0] = NOW + timedelta(minutes=1)
    with pytest.raises(InvalidInput) as wrong_password:
        disable_two_factor(person, password="not-the-password", code=code_at(secret, clock[0]))
    assert wrong_password.value.details["field"] == "password"
    with pytest.raises(InvalidInput) as wrong_code:
        disable_two_factor(person, password=PASSWORD, code="123456")
    assert wrong_code.value.details["field"] == "code"
    assert person.has_two_factor
    disable_two_factor(person, password=PASSWORD, code=codes[0])
    assert not person.has_two_factor
    assert person.totp_secret is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)
                             .where(RecoveryCode.user_id == person.id)) == 0
    with pytest.raises(InvalidTransition):
        verify_second_factor(person, code_at(secret, clock[0]))
