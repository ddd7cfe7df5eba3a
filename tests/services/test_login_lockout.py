"""The log-in lockout under concurrency: the attempt is counted, atomically and committed, before the password is
checked, so simultaneous guesses get no more password checks than one-at-a-time guesses."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from app.enums import Role
from app.extensions import db
from app.services import accounts
from app.services.errors import LoginLocked

# More than the lockout allows, fewer than the connection pool holds (5 + 10 overflow): every waiting guess holds
# a connection, and the test must fail on its count, not on the pool.
GUESSES = 12


def test_simultaneous_wrong_passwords_get_no_more_checks_than_the_lockout_allows(app, make_user, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """By construction, not by timing: a password check waits until every guess has either reached its own check
    or been refused. Counting after the check (the race) lets all 12 reach it; counting first lets 5."""
    user = make_user(Role.EVALUATOR)
    state = threading.Condition()
    checking: list[int] = []
    refused: list[int] = []
    verify = accounts._verify_credentials

    def verify_when_all_have_decided(email: str, password: str) -> Any:
        with state:
            checking.append(1)
            state.notify_all()
            assert state.wait_for(lambda: len(checking) + len(refused) == GUESSES, timeout=120)
        return verify(email, password)

    monkeypatch.setattr(accounts, "_verify_credentials", verify_when_all_have_decided)
    errors: list[BaseException] = []

    def guess() -> None:
        try:
            with app.app_context():
                try:
                    assert accounts.authenticate(user.email, "wrong-password") is None
                    db.session.commit()
                except LoginLocked:
                    db.session.rollback()
                    with state:
                        refused.append(1)
                        state.notify_all()
                finally:
                    db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)

    threads = [threading.Thread(target=guess) for _ in range(GUESSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert (len(checking), len(refused)) == (accounts.LOCKOUT_FAILURES, GUESSES - accounts.LOCKOUT_FAILURES)


def test_a_refused_request_still_counts_its_attempt(app_ctx, make_user) -> None:  # type: ignore[no-untyped-def]
    """The count is committed on its own: a request rolled back afterwards (an error, a crash) has used its try."""
    user = make_user(Role.APPLICANT)
    for _ in range(accounts.LOCKOUT_FAILURES):
        accounts.authenticate(user.email, "wrong-password")
        db.session.rollback()
    with pytest.raises(LoginLocked):
        accounts.authenticate(user.email, "right-or-wrong")
