"""The coordinator's evaluation review pages: from the letter to the filed request, its state on the dashboard, and
the refusals (late, second, not the coordinator's) shown with their reason."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app.clock import utcnow
from app.enums import LetterKind, RedressStatus, Role
from app.extensions import db
from app.models import Letter, RedressRequest
from app.services import letters as letter_service
from tests.factories import make_letter_scenario

GROUNDS = ("The consensus report scores Impact 3.5 of 5 while its comment finds no weakness at all: the score and "
           "the comment contradict each other.")


@pytest.fixture
def letters(app, make_user) -> dict[str, Any]:
    """The scenario's letters, generated and published; the reserve list letter's id and its owner."""
    owner = make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT")
    with app.app_context():
        data = make_letter_scenario(db.session.merge(owner))
        db.session.commit()
        letter_service.start_letter_batch(data["run"], actor=None)
        db.session.commit()
        letter_service.publish_letters(data["run"], actor=None)
        db.session.commit()
        ids = {kind: db.session.scalar(sa.select(Letter.id).where(Letter.proposal_id == data["proposals"][status].id))
               for kind, status in (("reserve", "reserve"), ("award", "selected"), ("ineligible", "ineligible"))}
        return {"owner": owner, **ids}


def _sent_days_ago(app, letter_id: int, days: float) -> None:
    with app.app_context():
        db.session.execute(sa.update(Letter).where(Letter.id == letter_id)
                           .values(published_at=utcnow() - timedelta(days=days), opened_at=None))
        db.session.commit()


def test_the_coordinator_opens_the_letter_then_requests_a_review(app, letters, login) -> None:
    client = login(app.test_client(), letters["owner"])
    listing = client.get("/applicant/letters").get_data(as_text=True)
    assert "Request a review" in listing
    assert client.get(f"/applicant/letters/{letters['reserve']}.pdf").status_code == 200
    with app.app_context():
        opened_at = db.session.get(Letter, letters["reserve"]).opened_at
    assert opened_at is not None, "the coordinator's first download is the letter's receipt"
    page = client.get(f"/applicant/letters/{letters['reserve']}/review").get_data(as_text=True)
    assert "when it was first opened" in page
    assert "not reviewed" in page
    response = client.post(f"/applicant/letters/{letters['reserve']}/review",
                           data={"ground": "incoherence", "grounds_text": GROUNDS})
    assert response.status_code == 302
    with app.app_context():
        request = db.session.scalar(sa.select(RedressRequest))
        assert (request.stage, request.status) == (LetterKind.RESERVE, RedressStatus.FILED)
        assert request.window_closes_at == opened_at + timedelta(days=30)
    dashboard = client.get("/applicant/").get_data(as_text=True)
    assert "Evaluation reviews" in dashboard
    assert "Filed: awaiting the review committee" in dashboard
    assert "Filed: awaiting the review committee" in client.get("/applicant/letters").get_data(as_text=True)


def test_a_second_request_is_refused_with_the_reason(app, letters, login) -> None:
    client = login(app.test_client(), letters["owner"])
    url = f"/applicant/letters/{letters['reserve']}/review"
    assert client.post(url, data={"ground": "incoherence", "grounds_text": GROUNDS}).status_code == 302
    # The page now shows the request, not the form: a second post (an old tab) is refused by the service.
    again = client.post(url, data={"ground": "evaluation_procedure", "grounds_text": GROUNDS})
    assert again.status_code == 409
    assert "one request per proposal and decision" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RedressRequest)) == 1


def test_a_late_request_is_refused_with_the_date_it_closed(app, letters, login) -> None:
    """Sent 40 days and a minute ago, never opened: received on day 10, closed on day 40."""
    _sent_days_ago(app, letters["reserve"], 40 + 1 / 1440)
    client = login(app.test_client(), letters["owner"])
    url = f"/applicant/letters/{letters['reserve']}/review"
    page = client.get(url).get_data(as_text=True)
    assert "The time to request a review of this decision has ended." in page
    assert "time to request a review ended" in client.get("/applicant/letters").get_data(as_text=True)
    late = client.post(url, data={"ground": "incoherence", "grounds_text": GROUNDS})
    assert late.status_code == 409
    assert "The time to request a review ended on" in late.get_data(as_text=True)


def test_grounds_too_short_or_of_the_wrong_kind_are_shown_at_their_field(app, letters, login) -> None:
    client = login(app.test_client(), letters["owner"])
    short = client.post(f"/applicant/letters/{letters['reserve']}/review",
                        data={"ground": "incoherence", "grounds_text": "The experts were wrong."})
    assert short.status_code == 422
    assert "Write between 50 and 5000 characters." in short.get_data(as_text=True)
    # An ineligibility letter offers the eligibility check only.
    page = client.get(f"/applicant/letters/{letters['ineligible']}/review").get_data(as_text=True)
    assert 'value="eligibility_check"' in page
    assert 'value="incoherence"' not in page


def test_an_award_letter_opens_no_review(app, letters, login) -> None:
    client = login(app.test_client(), letters["owner"])
    page = client.get(f"/applicant/letters/{letters['award']}/review")
    assert page.status_code == 200
    assert "opens no review" in page.get_data(as_text=True)
    assert client.post(f"/applicant/letters/{letters['award']}/review",
                       data={"ground": "incoherence", "grounds_text": GROUNDS}).status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RedressRequest)) == 0


def test_another_organisation_does_not_see_the_letter(app, letters, client_as) -> None:
    other = client_as(Role.APPLICANT, organisation="Iberian Cluster", country="ES")
    assert other.get(f"/applicant/letters/{letters['reserve']}/review").status_code == 404
    assert other.post(f"/applicant/letters/{letters['reserve']}/review",
                      data={"ground": "incoherence", "grounds_text": GROUNDS}).status_code == 404


@pytest.mark.parametrize(("language", "state", "amount"), [
    ("en", "Upheld: funded from the budget left", "€1,000,000.00"),
    ("fr", "Accueillie : financée sur le budget restant", "1\u202f000\u202f000,00\u00a0€"),
])
def test_the_coordinator_follows_an_upheld_review_to_its_outcome_and_letter(app, login, language: str, state: str,
                                                                            amount: str) -> None:
    from types import SimpleNamespace

    from app.models import User
    from tests.redress_worlds import close_upheld_review, make_redress_world

    with app.app_context():
        world = make_redress_world()
        request = close_upheld_review(world)
        applicant = db.session.get(User, world.world.applicant_id)
        assert applicant is not None
        applicant.language = None if language == "en" else language
        email, letter_id = applicant.email, request.letter_id
        reply_id, reply_reference = request.reply_letter_id, request.reply_letter.reference  # type: ignore[union-attr]
        db.session.commit()
    client = login(app.test_client(), SimpleNamespace(email=email))
    dashboard = client.get("/applicant/").get_data(as_text=True)
    assert state in dashboard
    assert amount in dashboard
    if language != "en":
        from tests.i18n_support import english_left

        # The reviews' section: from the last section opened before the state to its end.
        section = dashboard[dashboard.rindex("<section", 0, dashboard.index(state)):]
        section = section[:section.index("</section>")]
        assert state in section
        with app.app_context():
            typed = [row for row in db.session.scalars(sa.select(Letter.reference))]
        assert english_left(section, language, user_content=[*typed, "Call REDRESS-UP", "ACR1", "REDRESS-UP"]) == []
    page = client.get(f"/applicant/letters/{letter_id}/review").get_data(as_text=True)
    assert reply_reference in page
    reply = client.get(f"/applicant/letters/{reply_id}.pdf")
    assert reply.status_code == 200
    assert reply.mimetype == "application/pdf"
