"""Officer pages for letters: authorisation of every route, generation with progress, ZIP, publication, outbox."""

from __future__ import annotations

import io
import zipfile

import pytest
import sqlalchemy as sa

from app.enums import Role
from app.extensions import db
from app.models import Letter, LetterBatch, OutboxMessage
from tests.factories import QueryCounter, make_letter_scenario


@pytest.fixture
def scenario(app, make_user):
    with app.app_context():
        applicant = db.session.merge(make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT"))
        data = make_letter_scenario(applicant)
        db.session.commit()
        return {"code": data["call"].code, "run": data["run"].id, "number": data["run"].number}


def run_url(scenario, suffix="") -> str:
    """A run's one address, /manage/calls/<code>/runs/<number>/letters…"""
    return f"/manage/calls/{scenario['code']}/runs/{scenario['number']}/letters{suffix}"


@pytest.fixture
def officer(client_as):
    return client_as(Role.OFFICER)


def ids(app) -> dict[str, int]:
    with app.app_context():
        letter = db.session.scalar(sa.select(Letter).order_by(Letter.id))
        batch = db.session.scalar(sa.select(LetterBatch).order_by(LetterBatch.id))
        message = db.session.scalar(sa.select(OutboxMessage).order_by(OutboxMessage.id))
        return {"letter": letter.id if letter else 0, "batch": batch.id if batch else 0,
                "message": message.id if message else 0}


def routes(scenario, known) -> list[tuple[str, str]]:
    code, run = scenario["code"], scenario["run"]
    return [
        ("GET", f"/manage/calls/{code}/letters"), ("GET", run_url(scenario)), ("POST", run_url(scenario)),
        ("GET", run_url(scenario, ".zip")), ("POST", run_url(scenario, "/publish")),
        ("POST", f"/manage/runs/{run}/letters"),
        ("GET", f"/manage/letter-batches/{known['batch']}"),
        ("GET", f"/manage/letter-batches/{known['batch']}/progress"),
        ("GET", f"/manage/runs/{run}/letters.zip"), ("POST", f"/manage/runs/{run}/letters/publish"),
        ("GET", f"/manage/letters/{known['letter']}.pdf"), ("GET", f"/manage/calls/{code}/outbox"),
        ("POST", f"/manage/calls/{code}/outbox/send"),
        ("POST", f"/manage/calls/{code}/outbox/{known['message']}/cancel"),
    ]


def test_every_letters_page_needs_an_officer(app, client, client_as, scenario, officer) -> None:
    assert officer.post(run_url(scenario)).status_code == 302
    known = ids(app)
    for role in (Role.APPLICANT, Role.EVALUATOR):
        other = client_as(role)
        for method, path in routes(scenario, known):
            assert other.open(path, method=method).status_code == 403, (role, path)
    for method, path in routes(scenario, known):
        response = client.open(path, method=method)
        assert response.status_code == 302, path
        assert "/auth/login" in response.headers["Location"]
    admin = client_as(Role.ADMIN)
    assert admin.get(f"/manage/calls/{scenario['code']}/letters").status_code == 200


@pytest.mark.parametrize("path", [
    "/manage/calls/NOPE/letters", "/manage/letter-batches/999", "/manage/letter-batches/999/progress",
    "/manage/runs/999/letters.zip", "/manage/letters/999.pdf", "/manage/calls/NOPE/outbox",
])
def test_unknown_objects_are_404(officer, path) -> None:
    assert officer.get(path).status_code == 404


def test_unknown_run_and_message_are_404_on_post(officer, scenario) -> None:
    assert officer.post("/manage/runs/999/letters").status_code == 404
    assert officer.post(f"/manage/calls/{scenario['code']}/runs/999/letters").status_code == 404
    assert officer.get(f"/manage/calls/{scenario['code']}/runs/999/letters.zip").status_code == 404
    assert officer.post(f"/manage/calls/{scenario['code']}/outbox/999/cancel").status_code == 404


def test_generate_shows_the_progress_then_the_letters(app, officer, scenario) -> None:
    page = officer.get(f"/manage/calls/{scenario['code']}/letters")
    html = page.get_data(as_text=True)
    assert "Generate letters" in html
    assert "No letters for this run yet" in html
    response = officer.post(run_url(scenario))
    assert response.status_code == 302
    batch_page = officer.get(response.headers["Location"])
    html = batch_page.get_data(as_text=True)
    assert 'class="batch-progress"' in html
    assert "js/letters.js" in html
    assert "<script>" not in html.replace('<script src=', '')  # no inline script
    batch_id = ids(app)["batch"]
    progress = officer.get(f"/manage/letter-batches/{batch_id}/progress").get_json()
    assert progress["finished"] is True
    # Issue 15: the heading said "Generating letters" after the batch had finished.
    assert ">Letters generated</h1>" in html
    assert "Generating letters</h1>" not in html
    assert (progress["total"], progress["done"], progress["percent"]) == (5, 5, 100)
    overview = officer.get(f"/manage/calls/{scenario['code']}/letters").get_data(as_text=True)
    assert overview.count("/manage/letters/") == 5
    assert "Award letter" in overview
    assert "Ineligibility letter" in overview
    assert "Generate missing letters" in overview


def test_zip_download_holds_the_letters(officer, scenario) -> None:
    empty = officer.get(run_url(scenario, ".zip"))
    assert empty.status_code == 302  # nothing to download yet: back to the page with a message
    officer.post(run_url(scenario))
    response = officer.get(run_url(scenario, ".zip"))
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert len([n for n in archive.namelist() if n.endswith(".pdf")]) == 5


def test_single_letter_download_is_the_stored_pdf(app, officer, scenario) -> None:
    officer.post(run_url(scenario))
    with app.app_context():
        letter = db.session.scalar(sa.select(Letter).order_by(Letter.id))
        sha = letter.sha256
    response = officer.get(f"/manage/letters/{ids(app)['letter']}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    import hashlib

    assert hashlib.sha256(response.data).hexdigest() == sha
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_publish_then_outbox_without_smtp_shows_not_sent(app, officer, scenario) -> None:
    officer.post(run_url(scenario))
    published = officer.post(run_url(scenario, "/publish"), follow_redirects=True)
    assert "5 letters published" in published.get_data(as_text=True)
    outbox = officer.get(f"/manage/calls/{scenario['code']}/outbox").get_data(as_text=True)
    assert "No SMTP server is configured" in outbox
    assert outbox.count("not sent") >= 5
    sent = officer.post(f"/manage/calls/{scenario['code']}/outbox/send", follow_redirects=True)
    assert "stay queued" in sent.get_data(as_text=True)


def test_cancel_a_message(app, officer, scenario) -> None:
    officer.post(run_url(scenario))
    message = ids(app)["message"]
    response = officer.post(f"/manage/calls/{scenario['code']}/outbox/{message}/cancel", follow_redirects=True)
    assert "will not be sent" in response.get_data(as_text=True)
    again = officer.post(f"/manage/calls/{scenario['code']}/outbox/{message}/cancel", follow_redirects=True)
    assert "only a message not sent can be cancelled" in again.get_data(as_text=True)


def test_a_running_batch_sends_the_officer_to_its_progress(app, officer, scenario) -> None:
    from app.services import letters as letter_service

    with app.app_context():
        from app.models import SelectionRun

        batch = letter_service.start_letter_batch(db.session.get(SelectionRun, scenario["run"]), actor=None)
        db.session.info.pop("eurogrants.pending_jobs", None)
        db.session.commit()
        batch_id = batch.id
    response = officer.post(run_url(scenario))
    assert response.headers["Location"].endswith(f"/manage/letter-batches/{batch_id}")
    running = officer.get(response.headers["Location"]).get_data(as_text=True)
    assert ">Generating letters</h1>" in running


def _count_queries(app, fn) -> int:
    with app.app_context(), QueryCounter() as counter:
        fn()
    return counter.count


def test_pages_load_in_a_constant_number_of_queries(app, officer, scenario, make_user) -> None:
    officer.post(run_url(scenario))
    code = scenario["code"]
    small = {path: _count_queries(app, lambda p=path: officer.get(p))
             for path in (f"/manage/calls/{code}/letters", f"/manage/calls/{code}/outbox")}
    with app.app_context():
        from app.models import Call, SelectionRun
        from tests.factories import make_approved_consensus, make_finalised_run, make_proposal

        call = db.session.scalar(sa.select(Call).where(Call.code == code))
        applicant = db.session.merge(make_user(Role.APPLICANT))
        extra = []
        for number in range(6):
            proposal = make_proposal(call, applicant, acronym=f"MORE{number}")
            make_approved_consensus(proposal, {"relevance": "4", "quality": "4", "impact": "4"})
            extra.append((proposal, "not_funded"))
        run = make_finalised_run(call, extra)
        db.session.commit()
        run_id, number = run.id, run.number
        assert db.session.get(SelectionRun, run_id) is not None
    officer.post(f"/manage/calls/{code}/runs/{number}/letters")
    large = {path: _count_queries(app, lambda p=path: officer.get(p)) for path in small}
    assert large == small


def test_a_run_has_one_address_and_its_old_urls_lead_there(app, officer, scenario) -> None:
    """/manage/runs/<id>/… named a run by its id: the same request (308 keeps the method) goes to the run's address,
    and the call's letters page of old (`?run=<id>`) to the run's letters page."""
    run = scenario["run"]
    for method, old, new in (("POST", f"/manage/runs/{run}/letters", run_url(scenario)),
                             ("GET", f"/manage/runs/{run}/letters.zip", run_url(scenario, ".zip")),
                             ("POST", f"/manage/runs/{run}/letters/publish", run_url(scenario, "/publish")),
                             ("GET", f"/manage/calls/{scenario['code']}/letters?run={run}", run_url(scenario))):
        response = officer.open(old, method=method)
        assert response.status_code == 308, old
        assert response.headers["Location"].endswith(new), (old, response.headers["Location"])
    generated = officer.post(f"/manage/runs/{run}/letters", follow_redirects=True)
    assert "batch-progress" in generated.get_data(as_text=True)
    assert officer.get(run_url(scenario)).status_code == 200
    assert officer.get(f"/manage/calls/OTHER/letters?run={run}").status_code == 404
