"""The log-in against guessing and against denial: limits keyed on the client's address (as trusted proxies
forward it) and the account, so that a stranger who knows an e-mail address cannot lock its owner out, and the
owner hears about the failed attempts."""

from __future__ import annotations

from typing import Any

from app.enums import Role
from app.services.accounts import LOCKOUT_FAILURES
from tests.conftest import PASSWORD

WRONG = "wrong-password"


def _login(client: Any, address: str, email_address: str, password: str, **environ: str) -> Any:
    return client.post("/auth/login", data={"email": email_address, "password": password},
                       environ_base={"REMOTE_ADDR": address, **environ})


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
