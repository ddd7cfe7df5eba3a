"""The letters API: batches, progress, the proposal's letter, the run's ZIP, public verification."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
import sqlalchemy as sa

from app.enums import Role, RunStatus
from app.extensions import db
from app.models import Letter, SelectionRun
from app.services import letters as letter_service
from tests.factories import make_letter_scenario


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def setup(app, make_user, token_for):
    owner = make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT")
    with app.app_context():
        data = make_letter_scenario(db.session.merge(owner))
        db.session.commit()
        run_id, proposal_id = data["run"].id, data["proposals"]["selected"].id
    return {
        "run": run_id, "proposal": proposal_id,
        "officer": bearer(token_for(make_user(Role.OFFICER))), "owner": bearer(token_for(owner)),
        "stranger": bearer(token_for(make_user(Role.APPLICANT, organisation="Elsewhere", country="FR"))),
        "evaluator": bearer(token_for(make_user(Role.EVALUATOR))),
    }


def test_start_a_batch_and_follow_it(client, setup) -> None:
    response = client.post(f"/api/v1/selections/{setup['run']}/letters", headers=setup["officer"])
    assert response.status_code == 202
    batch = response.get_json()
    assert batch["total"] == 5
    progress = client.get(f"/api/v1/letter-batches/{batch['id']}", headers=setup["officer"]).get_json()
    assert (progress["status"], progress["done"], progress["finished"]) == ("finished", 5, True)
    assert progress["percent"] == 100
    again = client.post(f"/api/v1/selections/{setup['run']}/letters", headers=setup["officer"]).get_json()
    assert (again["skipped"], again["done"], again["status"]) == (5, 0, "finished")


def test_batch_endpoints_refuse_others(client, setup) -> None:
    run = setup["run"]
    assert client.post(f"/api/v1/selections/{run}/letters").status_code == 401
    for who in ("owner", "evaluator"):
        response = client.post(f"/api/v1/selections/{run}/letters", headers=setup[who])
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "forbidden"
        assert client.get("/api/v1/letter-batches/1", headers=setup[who]).status_code == 403
        assert client.get(f"/api/v1/selections/{run}/letters.zip", headers=setup[who]).status_code == 403
    assert client.post("/api/v1/selections/999/letters", headers=setup["officer"]).status_code == 404
    assert client.get("/api/v1/letter-batches/999", headers=setup["officer"]).status_code == 404


def test_a_draft_run_gets_no_letters(app, client, setup) -> None:
    with app.app_context():
        db.session.get(SelectionRun, setup["run"]).status = RunStatus.DRAFT
        db.session.commit()
    response = client.post(f"/api/v1/selections/{setup['run']}/letters", headers=setup["officer"])
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "invalid_transition"


def test_the_proposals_letter_once_published(app, client, setup) -> None:
    path = f"/api/v1/proposals/{setup['proposal']}/letter.pdf"
    assert client.get(path, headers=setup["officer"]).get_json()["error"]["code"] == "no_letter"
    client.post(f"/api/v1/selections/{setup['run']}/letters", headers=setup["officer"])
    officer_copy = client.get(path, headers=setup["officer"])
    assert officer_copy.status_code == 200
    assert officer_copy.mimetype == "application/pdf"
    not_yet = client.get(path, headers=setup["owner"])
    assert not_yet.status_code == 404
    assert not_yet.get_json()["error"]["message"] == "No letter has been published yet."
    with app.app_context():
        letter_service.publish_letters(db.session.get(SelectionRun, setup["run"]), actor=None)
        db.session.commit()
        sha = db.session.scalar(sa.select(Letter.sha256).where(Letter.proposal_id == setup["proposal"]))
    mine = client.get(path, headers=setup["owner"])
    assert mine.status_code == 200
    assert hashlib.sha256(mine.data).hexdigest() == sha
    assert client.get(path, headers=setup["stranger"]).status_code == 404
    assert client.get(path, headers=setup["evaluator"]).status_code == 404  # not assigned: not theirs to know
    assert client.get(path).status_code == 401
    assert client.get("/api/v1/proposals/999999/letter.pdf", headers=setup["officer"]).status_code == 404


def test_the_runs_zip(client, setup) -> None:
    path = f"/api/v1/selections/{setup['run']}/letters.zip"
    assert client.get(path, headers=setup["officer"]).status_code == 404
    client.post(f"/api/v1/selections/{setup['run']}/letters", headers=setup["officer"])
    response = client.get(path, headers=setup["officer"])
    assert response.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert len(names) == 6
    assert "manifest.csv" in names


def test_verification_needs_no_token_and_shows_the_hash(app, client, setup) -> None:
    client.post(f"/api/v1/selections/{setup['run']}/letters", headers=setup["officer"])
    with app.app_context():
        letter = db.session.scalar(sa.select(Letter).where(Letter.proposal_id == setup["proposal"]))
        code, sha, reference = letter.verification_code, letter.sha256, letter.reference
    body = client.get(f"/api/v1/letters/verify/{code.lower()}").get_json()
    assert body == {
        "code": code, "reference": reference, "call": "SMP-COSME-2021-CLUSTER-01",
        "call_title": "Call SMP-COSME-2021-CLUSTER-01", "proposal": reference[:-3], "acronym": "EC1SELE",
        "kind": "award", "decision": "Selected for funding", "date": "2022-03-15T10:30:00+00:00", "sha256": sha,
    }
    missing = client.get("/api/v1/letters/verify/AAAAA-AAAAA")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "unknown_code"


def test_the_endpoints_are_documented(client) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/selections/{run_id}/letters", "/api/v1/letter-batches/{batch_id}",
                 "/api/v1/proposals/{proposal_id}/letter.pdf", "/api/v1/selections/{run_id}/letters.zip",
                 "/api/v1/letters/verify/{code}"):
        assert any(p.endswith(path.removeprefix("/api/v1")) for p in paths), path


def test_a_runs_letters_at_its_one_address(app, client, setup) -> None:
    with app.app_context():
        run = db.session.get(SelectionRun, setup["run"])
        address = f"/api/v1/calls/{run.call.code}/runs/{run.number}"
    started = client.post(f"{address}/letters", headers=setup["officer"])
    assert started.status_code == 202
    assert started.get_json()["total"] == 5
    archive = client.get(f"{address}/letters.zip", headers=setup["officer"])
    assert archive.status_code == 200
    assert archive.data == client.get(f"/api/v1/selections/{setup['run']}/letters.zip", headers=setup["officer"]).data
    for who in ("owner", "evaluator"):
        assert client.post(f"{address}/letters", headers=setup[who]).status_code == 403
    assert client.get(f"{address.rsplit('/', 1)[0]}/99/letters.zip", headers=setup["officer"]).status_code == 404
