from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pyotp
import pytest
import sqlalchemy as sa

from app.enums import ReportStatus
from app.extensions import db
from app.models import Call, ConsensusReport, JoinRequest, Proposal, User
from app.seeds.accounts_demo import DEMO_ACCOUNTS, DEMO_NEWCOMER, DEMO_PASSWORD, DEMO_TOTP_SECRETS


def test_seed_reference_twice_is_idempotent(app) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed", "reference"])
    second = runner.invoke(args=["seed", "reference"])
    assert first.exit_code == 0
    assert second.exit_code == 0
    assert "SMP-COSME-2021-CLUSTER-01: created" in first.output
    assert "SMP-COSME-2021-CLUSTER-01: exists, unchanged" in second.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Call)) == 4


def test_seed_demo_adds_accounts_and_practice_calls(app, client) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    assert DEMO_PASSWORD in result.output

    def counts() -> tuple[int, ...]:
        with app.app_context():
            return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model))
                         for model in (Call, User, Proposal, ConsensusReport))

    first = counts()
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    assert counts() == first  # the seed can run twice
    with app.app_context():
        # 4 reference calls (the Korea mission's call for expression of interest the fourth), their 4 practice
        # copies, the practice call in evaluation
        assert first[0] == 9
        emails = set(db.session.scalars(sa.select(User.email)))
        assert {email for email, *_ in DEMO_ACCOUNTS} <= emails
        newcomer = db.session.scalar(sa.select(User).where(User.email == DEMO_NEWCOMER[0]))
        assert newcomer.organisation is None  # a member of Baltic Cluster Alliance decides
        assert db.session.scalar(sa.select(JoinRequest.status).where(JoinRequest.user_id == newcomer.id)) == "pending"
        ranked = db.session.scalar(sa.select(Call).where(Call.code == "SMP-COSME-2021-CLUSTER-01"))
        approved = db.session.scalar(
            sa.select(sa.func.count()).select_from(ConsensusReport).join(Proposal)
            .where(Proposal.call_id == ranked.id, ConsensusReport.status == ReportStatus.APPROVED)
        )
        assert approved >= 60  # the officer's journey: rank and select on at least 60 evaluated proposals
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    accounts_section = readme.split("## Demo accounts", 1)[1].split("\n## ", 1)[0]
    undocumented = sorted(email for email in emails
                          if f"`{email}`" not in accounts_section
                          and f"`{email.split('@')[0]}@…`" not in accounts_section)
    assert not undocumented, f"the README's demo accounts table misses {undocumented}"
    page = client.get("/").get_data(as_text=True)
    assert "SMP-COSME-2021-CLUSTER-01-PRACTICE" in page
    assert "No call is open at the moment." not in page
    # The demo officer signs in with two factors, the code from the secret the seed printed and the README gives.
    secret = DEMO_TOTP_SECRETS["officer@eurogrants.test"]
    assert re.search(rf"officer@eurogrants.test +{secret}", result.output)
    assert f"`{secret}`" in accounts_section
    response = client.post("/auth/login", data={"email": "officer@eurogrants.test", "password": DEMO_PASSWORD})
    assert response.headers["Location"] == "/auth/two-factor"
    response = client.post("/auth/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert response.headers["Location"] == "/manage/"


def test_users_create_and_token(app, client) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    created = runner.invoke(args=["users", "create", "expert@example.test", "--role", "evaluator", "--role",
                                  "officer", "--password", "specialist-pass", "--organisation", "Expert Org",
                                  "--country", "fi"])
    assert created.exit_code == 0, created.output
    assert "evaluator, officer" in created.output
    token = runner.invoke(args=["users", "token", "expert@example.test"]).output.strip()
    assert token.startswith("egt_")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["email"] == "expert@example.test"
    assert me["organisation"] == {"name": "Expert Org", "country": "FI", "type": "other"}


def test_users_create_reports_errors_without_a_traceback(app) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    args = ["users", "create", "dup@example.test", "--role", "officer", "--password", "officer-password"]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert again.exit_code == 1
    assert "already exists" in again.output
    short = runner.invoke(args=["users", "create", "b@example.test", "--role", "officer", "--password", "x"])
    assert short.exit_code == 1
    assert "at least 10" in short.output
    unknown = runner.invoke(args=["users", "token", "nobody@example.test"])
    assert unknown.exit_code == 1
    assert "No account" in unknown.output


def _user_count(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(User)) or 0)


def test_seed_demo_refuses_outside_development_and_says_why(app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "ENVIRONMENT", "production")
    result = app.test_cli_runner().invoke(args=["seed", "demo"])
    assert result.exit_code == 1
    assert "Refused" in result.output
    assert "published" in result.output
    assert "production" in result.output
    assert "--force-outside-development" in result.output
    assert _user_count(app) == 0  # nothing was created


def test_seed_demo_outside_development_runs_when_forced(app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "ENVIRONMENT", "production")
    result = app.test_cli_runner().invoke(args=["seed", "demo", "--force-outside-development"])
    assert result.exit_code == 0, result.output
    assert "Warning: seeding the demo in production" in result.output
    assert _user_count(app) >= len(DEMO_ACCOUNTS)


ROOT = Path(__file__).resolve().parents[2]


def _flask(arguments: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in {"EUROGRANTS_ENV", "DATABASE_URL"}}
    env.update(environment)
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *arguments], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize("environment", ["production", "staging"])
def test_an_installation_that_is_not_development_refuses_the_demo(tmp_path, environment) -> None:  # type: ignore[no-untyped-def]
    database = tmp_path / "eurogrants.db"
    result = _flask(["seed", "demo"], {"EUROGRANTS_ENV": environment, "SECRET_KEY": "s" * 40,
                                       "DATABASE_URL": f"sqlite:///{database}", "STORAGE_DIR": str(tmp_path)})
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"this installation is {environment}" in result.stderr
    assert not database.exists() or database.stat().st_size == 0  # refused before touching the database


def test_make_run_is_development_when_nothing_says_otherwise() -> None:
    """`make run` sets no EUROGRANTS_ENV: its `seed demo` must be allowed."""
    env = {key: value for key, value in os.environ.items() if key != "EUROGRANTS_ENV"}
    printed = subprocess.run([sys.executable, "-c", "from config import config_from_env; "
                              "print(config_from_env().ENVIRONMENT)"], cwd=ROOT, env=env, capture_output=True,
                             text=True, check=True, timeout=60).stdout
    assert printed.strip() == "development"
