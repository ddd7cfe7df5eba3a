"""The log-in against guessing and against denial: limits keyed on the client's address (as trusted proxies
forward it) and the account, so that a stranger who knows an e-mail address cannot lock its owner out, and the
owner hears about the failed attempts."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from app.enums import Role
from app.extensions import db
from app.models import AuditEvent
from app.services.accounts import ADDRESS_FAILURES, LOCKOUT_FAILURES
from tests.conftest import PASSWORD
from tests.support import free_port

WRONG = "wrong-password"


class _Mailbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode()))
        return "250 OK"


@pytest.fixture
def smtp_server(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[_Mailbox]:
    from aiosmtpd.controller import Controller

    mailbox = _Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", controller.port)
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    yield mailbox
    controller.stop()


def _login(client: Any, address: str, email_address: str, password: str, **environ: str) -> Any:
    return client.post("/auth/login", data={"email": email_address, "password": password},
                       environ_base={"REMOTE_ADDR": address, **environ})


def test_strangers_failing_from_five_addresses_do_not_lock_the_owner_out(client, make_user) -> None:  # type: ignore[no-untyped-def]
    evaluator = make_user(Role.EVALUATOR)
    for stranger in ("203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4", "203.0.113.5"):
        for _ in range(LOCKOUT_FAILURES):
            assert _login(client, stranger, evaluator.email, WRONG).status_code == 200
        refused = _login(client, stranger, evaluator.email, PASSWORD)
        assert refused.status_code == 429  # the stranger's own address is locked for this account
        assert "If an account exists for it" in refused.get_data(as_text=True)
    owner = _login(client, "198.51.100.20", evaluator.email, PASSWORD)
    assert owner.status_code == 302
    assert owner.headers["Location"].endswith("/review/")


def test_one_address_guessing_across_accounts_is_refused_for_all_of_them(client, make_user) -> None:  # type: ignore[no-untyped-def]
    victim = make_user(Role.APPLICANT)
    for number in range(ADDRESS_FAILURES):
        assert _login(client, "203.0.113.9", f"guess{number}@example.org", WRONG).status_code == 200
    refused = _login(client, "203.0.113.9", victim.email, PASSWORD)
    assert refused.status_code == 429
    assert "from your network address" in refused.get_data(as_text=True)
    assert _login(client, "198.51.100.20", victim.email, PASSWORD).status_code == 302


def test_a_log_in_succeeding_from_an_address_does_not_count_against_it(client, make_user) -> None:  # type: ignore[no-untyped-def]
    """An office behind one address: its people's successful log-ins never lock it, only failures count."""
    colleagues = [make_user(Role.APPLICANT) for _ in range(3)]
    for _ in range(ADDRESS_FAILURES // 2):
        for colleague in colleagues:
            assert _login(client, "192.0.2.50", colleague.email, PASSWORD).status_code == 302
            client.post("/auth/logout")
    assert _login(client, "192.0.2.50", colleagues[0].email, PASSWORD).status_code == 302


def test_the_owner_is_emailed_once_when_wrong_passwords_are_tried(app, client, make_user, smtp_server) -> None:  # type: ignore[no-untyped-def]
    evaluator = make_user(Role.EVALUATOR, email="marta@evaluators.test")
    for number in range(2 * LOCKOUT_FAILURES):
        _login(client, f"203.0.113.{number + 1}", evaluator.email, WRONG)
    [(recipients, raw)] = smtp_server.messages  # one message in the window, however many attempts
    assert recipients == ["marta@evaluators.test"]
    message = email.message_from_string(raw, policy=email.policy.default)
    assert message["Subject"] == "Failed log-ins to your Eurogrants account"
    body = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert f"with a wrong password {LOCKOUT_FAILURES} times in 15 minutes" in body
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "user.failed_logins_notified")) == 1


def test_failures_for_an_unknown_address_email_nobody(client, smtp_server) -> None:  # type: ignore[no-untyped-def]
    for number in range(LOCKOUT_FAILURES):
        _login(client, f"203.0.113.{number + 1}", "nobody@example.org", WRONG)
    assert smtp_server.messages == []


def test_behind_a_trusted_proxy_each_client_has_its_own_rate_limit(app, make_app) -> None:  # type: ignore[no-untyped-def]  # app: the schema
    client = make_app(RATELIMIT_ENABLED=True, TRUSTED_PROXIES=1).test_client()
    proxy = "10.0.0.2"
    statuses = [_login(client, proxy, f"x{i}@example.org", WRONG, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code
                for i in range(11)]
    assert statuses[10] == 429
    assert _login(client, proxy, "y@example.org", WRONG, HTTP_X_FORWARDED_FOR="198.51.100.9").status_code == 200


def test_behind_a_trusted_proxy_the_lockout_counts_the_forwarded_client(make_app, make_user) -> None:  # type: ignore[no-untyped-def]
    client = make_app(TRUSTED_PROXIES=1).test_client()
    user = make_user(Role.APPLICANT)
    for _ in range(LOCKOUT_FAILURES):
        _login(client, "10.0.0.2", user.email, WRONG, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert _login(client, "10.0.0.2", user.email, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    assert _login(client, "10.0.0.2", user.email, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.9").status_code == 302


def test_without_trusted_proxies_a_forwarded_address_is_ignored(app, make_app) -> None:  # type: ignore[no-untyped-def]  # app: the schema
    """The default (TRUSTED_PROXIES=0): a client cannot escape the limits by sending X-Forwarded-For itself."""
    client = make_app(RATELIMIT_ENABLED=True).test_client()
    statuses = [_login(client, "203.0.113.7", f"x{i}@example.org", WRONG,
                       HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code for i in range(11)]
    assert statuses[10] == 429


def test_the_token_exchange_counts_like_the_log_in_form(client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.APPLICANT)
    body = {"email": user.email, "password": WRONG}
    for _ in range(LOCKOUT_FAILURES):
        assert client.post("/api/v1/tokens", json=body, environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code == 401
    locked = client.post("/api/v1/tokens", json={**body, "password": PASSWORD},
                         environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert locked.status_code == 429
    assert locked.get_json()["error"]["code"] == "too_many_attempts"
    assert locked.get_json()["error"]["message"].startswith("Too many failed attempts")
    assert client.post("/api/v1/tokens", json={**body, "password": PASSWORD},
                       environ_base={"REMOTE_ADDR": "198.51.100.9"}).status_code == 201
