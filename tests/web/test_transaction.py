"""One transaction per request (app.web.transaction): committed when a write returns, rolled back when it raises,
never for GET, and a refusal at commit time is a 4xx page or JSON error, never a success and never a 500."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, flash, get_flashed_messages, render_template_string
from flask_wtf import FlaskForm
from sqlalchemy import event
from sqlalchemy.orm import Session
from wtforms import StringField

from app.clock import set_clock
from app.enums import OrganisationType, Role
from app.extensions import db
from app.models import Call, Organisation, Proposal, Submission, User
from app.services.deadline import _GUARDS as DEADLINE_GUARDS
from app.services.errors import InvalidInput, NotAllowed
from app.web.transaction import command
from tests.conftest import api_token
from tests.factories import make_open_call, make_ready_proposal

# --- the deadline guard refuses at COMMIT time --------------------------------------------------------------------


@pytest.fixture
def ready(app: Flask, make_user: Callable[..., User]) -> dict[str, Any]:
    applicant = make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT")
    with app.app_context():
        call = make_open_call("OPEN-CALL", min_partners=3, min_countries=3, page_limit=5,
                              eligible_countries=["BE", "DE", "FR", "LT"])
        proposal = make_ready_proposal(call, db.session.get(User, applicant.id))  # type: ignore[arg-type]
        db.session.commit()
        return {"applicant": applicant, "proposal_id": proposal.id, "version": proposal.edit_version,
                "deadline": call.deadline}


@pytest.fixture
def deadline_reached_at_commit(ready: dict[str, Any]) -> Iterator[None]:
    """The clock stands one hour before the deadline until a submission is committed: the first thing that commit
    does, before the deadline guard of app.services.deadline reads the clock again, is to move it to the deadline."""
    deadline = ready["deadline"]
    now = {"value": deadline - timedelta(hours=1)}
    set_clock(lambda: now["value"])

    def reach_deadline(session: Session) -> None:
        if session.info.get(DEADLINE_GUARDS):  # a submission is being committed
            now["value"] = deadline

    event.listen(Session, "before_commit", reach_deadline, insert=True)
    yield
    event.remove(Session, "before_commit", reach_deadline)
    set_clock(None)


def _submissions(app: Flask, proposal_id: int) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Submission)
                                 .where(Submission.proposal_id == proposal_id)) or 0


def test_a_submission_refused_at_commit_time_shows_the_proposal_page_with_409(
        app: Flask, ready: dict[str, Any], login: Any, deadline_reached_at_commit: None) -> None:
    client = login(app.test_client(), ready["applicant"])
    response = client.post(f"/applicant/proposals/{ready['proposal_id']}/submit",
                           data={"version": str(ready["version"]), "confirm": "y"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "passed while the submission" in page
    assert "Submitted: version" not in page
    assert _submissions(app, ready["proposal_id"]) == 0
    with app.app_context():
        assert db.session.get(Proposal, ready["proposal_id"]).status.value == "draft"  # type: ignore[union-attr]


def test_a_submission_refused_at_commit_time_is_the_apis_409(
        app: Flask, ready: dict[str, Any], deadline_reached_at_commit: None) -> None:
    token = api_token(app, ready["applicant"])
    response = app.test_client().post(f"/api/v1/proposals/{ready['proposal_id']}/submit",
                                      headers={"Authorization": f"Bearer {token}"}, json={})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "deadline_passed"
    assert _submissions(app, ready["proposal_id"]) == 0


# --- views: committed when a write returns, rolled back when it raises, never for GET --------------------------------


def _organisations(flask_app: Flask) -> set[str]:
    with flask_app.app_context():
        return set(db.session.scalars(sa.select(Organisation.name)))


@pytest.fixture
def probe(app: Flask, make_app: Callable[..., Flask]) -> Flask:
    """An app with three routes that write an organisation and then return, raise, or are read with GET."""
    flask_app = make_app(WTF_CSRF_ENABLED=False)

    def write(name: str) -> None:
        db.session.add(Organisation(name=name, country="BE", type=OrganisationType.OTHER))
        db.session.flush()

    def returns() -> str:
        write("returned")
        return "ok"

    def raises() -> str:
        write("raised")
        raise NotAllowed("No.")

    def reads() -> str:
        write("read")
        return "ok"

    flask_app.add_url_rule("/probe/returns", "returns", returns, methods=["POST"])
    flask_app.add_url_rule("/probe/raises", "raises", raises, methods=["POST"])
    flask_app.add_url_rule("/probe/reads", "reads", reads, methods=["GET"])
    return flask_app


def test_a_write_that_returns_is_committed_and_one_that_raises_is_rolled_back(probe: Flask) -> None:
    client = probe.test_client()
    assert client.post("/probe/returns").status_code == 200
    refused = client.post("/probe/raises")
    assert refused.status_code == 403
    assert "No." in refused.get_data(as_text=True)
    assert _organisations(probe) == {"returned"}


def test_a_get_is_never_committed(probe: Flask) -> None:
    assert probe.test_client().get("/probe/reads").status_code == 200
    assert _organisations(probe) == set()


# --- command(): the refusal on the form, with the user's input ----------------------------------------------------


class NameForm(FlaskForm):
    name = StringField("Name")
    country = StringField("Country")


def _refused(flask_app: Flask, error: Exception, **options: Any) -> tuple[NameForm, Any, list[str]]:
    with flask_app.test_request_context("/", method="POST", data={"name": "Typed by the user", "country": "XX"}):
        form = NameForm(meta={"csrf": False})
        with command(form, **options) as outcome:
            db.session.add(Organisation(name="never stored", country="BE", type=OrganisationType.OTHER))
            db.session.flush()
            raise error
        flashed = get_flashed_messages()
        rendered = render_template_string("{{ form.name.data }}", form=form)
        assert rendered == "Typed by the user"  # nothing the user typed is lost
        return form, outcome, flashed


def test_command_puts_the_refusal_next_to_the_field_it_names(app: Flask) -> None:
    form, outcome, flashed = _refused(app, InvalidInput("Unknown country.", details={"field": "country"}))
    assert not outcome.ok
    assert outcome.status == 422
    assert form.country.errors == ["Unknown country."]
    assert flashed == []
    assert _organisations(app) == set()


def test_command_places_each_field_of_a_refusal_and_flashes_what_it_cannot_place(app: Flask) -> None:
    error = InvalidInput("2 fields cannot be saved: Too long.",
                         details={"fields": {"name": "Too long.", "partners.1.name": "Give the partner's name."}})
    form, _outcome, flashed = _refused(app, error)
    assert form.name.errors == ["Too long."]
    assert flashed == ["2 fields cannot be saved: Too long."]


def test_command_flashes_a_refusal_that_names_no_field(app: Flask) -> None:
    form, outcome, flashed = _refused(app, NotAllowed("Only programme officers and administrators do this."))
    assert outcome.status == 403
    assert not form.name.errors
    assert not form.country.errors
    assert flashed == ["Only programme officers and administrators do this."]


def test_command_leaves_handled_refusals_to_the_view(app: Flask) -> None:
    form, outcome, flashed = _refused(app, NotAllowed("No."), handled=(NotAllowed,))
    assert isinstance(outcome.error, NotAllowed)
    assert flashed == []
    assert not form.name.errors


def test_command_commits_the_block_when_nothing_refuses(app: Flask) -> None:
    with app.test_request_context("/", method="POST"):
        with command() as outcome:
            db.session.add(Organisation(name="kept", country="BE", type=OrganisationType.OTHER))
        flash("after", "success")
        assert outcome.ok
        assert outcome.status == 200
        db.session.rollback()  # too late: the block was committed
    assert _organisations(app) == {"kept"}


def test_no_view_commits_or_rolls_back_itself() -> None:
    """The one place is app.web.transaction: no blueprint module calls commit() or rollback()."""
    from pathlib import Path

    views = Path(__file__).resolve().parents[2] / "app"
    offenders = [str(path) for folder in ("api", "applicant", "auth", "manage", "public", "review")
                 for path in (views / folder).glob("*.py")
                 if "session.commit(" in path.read_text() or "session.rollback(" in path.read_text()]
    assert offenders == []


def test_a_call_survives_a_refused_form(app: Flask) -> None:
    """A refusal rolls back only the block: what the request loaded before it stays usable for the page."""
    with app.app_context():
        make_open_call("KEPT-CALL")
        db.session.commit()
    with app.test_request_context("/", method="POST"):
        call = db.session.scalar(sa.select(Call).where(Call.code == "KEPT-CALL"))
        with command() as outcome:
            call.title = "Changed, then refused"
            raise InvalidInput("No.")
        assert not outcome.ok
        assert call.title != "Changed, then refused"
