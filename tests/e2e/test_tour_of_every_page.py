"""A real browser visits every page of the site, for every role, so that each is checked (tests/e2e/audit.py):
axe-core finds nothing, the page reflows at 320 and 390 px, tables fit at 1366 px, and screenshots at 390 and
1366 px land in test-artifacts/pages/. Forms are also sent wrong once, so that their error states are checked too.

The tour ends by asserting that it left no HTML page of the app unvisited.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from app.clock import utcnow
from app.enums import ConflictDeclaration, OrganisationType, Role
from app.extensions import db
from app.models import Assignment, Call, Letter, OutboxMessage, PoolMember, User
from app.models.selection import TransferOffer
from app.queries.personal_data import email_change_token
from tests.assessment_worlds import make_mission_world
from tests.conftest import PASSWORD
from tests.e2e.conftest import close_page, open_page
from tests.e2e.signing_in import browser_log_in
from tests.factories import (
    make_evaluation_setup,
    make_letter_scenario,
    make_open_call,
    make_ready_proposal,
    make_report,
    make_staff,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SELECTION_CALL = "SMP-COSME-2021-CLUSTER-01"
VISITED: set[str] = set()  # the page keys the tour visited (whatever other modules checked)

# Pages that answer a file or JSON rather than HTML, or only redirect: nothing to look at.
# The JSON API (api.*) is checked by tests/api, not looked at.
NOT_PAGES = re.compile(r"(_pdf|_zip|_json|snapshot|_export|download_annex|intake_annex|review\.annex|"
                       r"letter_batch_progress|^static$|healthz|openapi|^manage\.old_|checklist_preview|"
                       r"^api\.|^api-docs\.|favicon|^account\.download$)")


def _log_in(tour: Any, email: str) -> None:
    """Sign in as a person would (officers and administrators with their second factor, set up the first time);
    the sign-in pages it passes count as visited."""
    browser_log_in(tour.page, tour.base, tour.app, email)
    VISITED.add(tour.auditor.key(tour.page.url))


@pytest.fixture
def world(app: Any, tmp_path: Any) -> SimpleNamespace:
    """Something to show on every page: an evaluation under way, an open call with a draft and a submitted
    proposal, a ranked field with a residual tie and two runs, published letters, an offer, a newcomer waiting to
    join and an invitation."""
    from app.seeds.calls import seed_reference_calls
    from app.seeds.selection_demo import seed_selection_demo
    from app.services import letters as letter_service
    from app.services import membership
    from app.services.passwords import reset_link_token
    from app.services.personal_data import request_email_change
    from app.services.proposals import submit_proposal
    from app.services.registration import confirmation_link_token, register_applicant
    from app.services.selection import run_selection

    with app.app_context():
        seed_reference_calls()
        setup = make_evaluation_setup(code="TOUR-EVAL", proposals=3, evaluators=3, declared=False)
        officer = db.session.get(User, setup.officer_id)
        applicant = db.session.get(User, setup.applicant_id)
        admin = make_staff(Role.ADMIN, "admin@tour.test", organisation="European Commission", country="BE")
        # Evaluators 2 and 3 reported on the first proposal; evaluator 1 (its rapporteur) has yet to declare.
        first = setup.proposal_ids[0]
        for index in (1, 2):
            assignment = db.session.get(Assignment, setup.assignments[(first, setup.evaluator_ids[index])])
            assignment.conflict = ConflictDeclaration.NO_CONFLICT
            make_report(assignment, {"relevance": "4", "quality": "3.5", "impact": "4"})
        open_call = make_open_call("TOUR-OPEN", days_left=5, min_partners=3, min_countries=3,
                                   duration_min_months=24, duration_max_months=36, title="An open call for the tour")
        draft = make_ready_proposal(open_call, applicant, acronym="DRAFTY")
        submitted = make_ready_proposal(open_call, applicant, acronym="SENT")
        db.session.flush()
        submit_proposal(submitted, actor=applicant, base_version=submitted.edit_version)
        ranked = db.session.scalar(sa.select(Call).where(Call.code == SELECTION_CALL))
        seed_selection_demo(ranked, count=30)
        db.session.commit()
        run_selection(ranked, actor=officer)
        run_selection(ranked, actor=officer)
        letters = make_letter_scenario(applicant, code="TOUR-LETTERS")
        # A closed call for expression of interest with expressions of interest screened eligible, to assess.
        mission = make_mission_world(applicant)
        db.session.commit()
        batch = letter_service.start_letter_batch(letters["run"], actor=officer)
        db.session.commit()
        letter_service.publish_letters(letters["run"], actor=officer)
        db.session.commit()
        offer = TransferOffer(proposal_id=letters["proposals"]["not_funded"].id, target_call_id=open_call.id,
                              run_id=letters["run"].id, offered_by_id=officer.id)
        db.session.add(offer)
        newcomer = make_staff(Role.APPLICANT, "newcomer@tour.test", organisation=None, country="LT")
        membership.request_to_join(newcomer, applicant.organisation, message="I work here now.")
        _, token = membership.invite_member(applicant.organisation, actor=applicant, email="colleague@tour.test")
        change = request_email_change(newcomer, actor=newcomer, new_email="newcomer.new@tour.test",
                                      password=PASSWORD)
        # Someone registered and has yet to confirm the address with the e-mailed link.
        register_applicant(email="waiting@tour.test", password=PASSWORD, full_name="Wanda Waiting",
                           organisation_name="Waiting Cluster", country="MT",
                           organisation_type=OrganisationType.CLUSTER)
        waiting = db.session.scalars(sa.select(User).where(User.email == "waiting@tour.test")).one()
        # All three reports on the second proposal: its rapporteur (evaluator 1) drafts the consensus.
        second = setup.proposal_ids[1]
        for evaluator_id in setup.evaluator_ids:
            assignment = db.session.get(Assignment, setup.assignments[(second, evaluator_id)])
            assignment.conflict = ConflictDeclaration.NO_CONFLICT
            make_report(assignment, {"relevance": "4", "quality": "3.5", "impact": "4"})
        db.session.commit()
        award = db.session.scalar(sa.select(Letter).where(
            Letter.proposal_id == letters["proposals"]["selected"].id))
        reserve_letter = db.session.scalar(sa.select(Letter.id).where(
            Letter.proposal_id == letters["proposals"]["reserve"].id))
        member = db.session.scalar(sa.select(PoolMember).where(PoolMember.user_id == setup.evaluator_ids[0]))
        return SimpleNamespace(
            setup=setup, officer=officer.email, applicant=applicant.email, admin=admin.email,
            newcomer=newcomer.email, token=token, evaluator=setup.evaluator_emails[0],
            eval_code=setup.code, first_proposal=first, open_code=open_call.code, draft=draft.id,
            submitted=submitted.id, letters_code=letters["call"].code, letters_run=letters["run"].number,
            batch=batch.id, verification=award.verification_code, offer=offer.id, member=member.id,
            rapporteur=setup.assignments[(first, setup.evaluator_ids[0])],
            consensus=setup.assignments[(second, setup.evaluator_ids[0])],
            email_change=f"/account/email/{change.id}/{email_change_token(change)}",
            password_reset=f"/auth/password-reset/{reset_link_token(newcomer, made_at=int(utcnow().timestamp()))}",
            applicant_id=applicant.id, waiting=waiting.email, reserve_letter=reserve_letter,
            mission_code=mission.call.code, mission_proposal=mission.proposals[0].id,
            confirmation=f"/auth/confirm/{confirmation_link_token(waiting, made_at=int(utcnow().timestamp()))}",
            message=db.session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.letter_id == award.id)),
        )


@pytest.fixture
def tour(app: Any, browser: Any, auditor: Any, live_server_url: str, world: SimpleNamespace) -> Any:
    context, page, watch = open_page(browser, auditor)

    def visit(path: str) -> Any:
        page.goto(f"{live_server_url}{path}")
        VISITED.add(auditor.key(page.url))
        return page

    finished = []

    def finish() -> None:
        for key, _url in watch.pending.values():
            VISITED.add(key)
        finished.append(True)
        close_page(context, watch)

    yield SimpleNamespace(app=app, page=page, visit=visit, base=live_server_url, world=world, auditor=auditor,
                          finish=finish)
    if not finished:  # the test failed before the end: only close the browser context
        context.close()


def _sent(tour: Any, key: str) -> None:
    """Record a page reached by a form (POST): the tour counts it as visited."""
    VISITED.add(key)


def _public_pages(tour: Any) -> None:
    w = tour.world
    tour.visit("/")
    tour.visit(f"/calls/{SELECTION_CALL}")
    tour.visit("/calls/EUID-2022-SESSIONS")
    tour.auditor.check(tour.page, state="event-call")
    tour.visit("/calls/EUROCLUSTERS-2022-MISSION-KR")
    tour.auditor.check(tour.page, state="expression-of-interest")
    tour.visit("/calls/NO-SUCH-CALL")
    tour.visit("/verify")
    tour.visit("/accessibility")
    tour.visit("/privacy")
    tour.visit(f"/calls/{SELECTION_CALL}/privacy")
    tour.visit(f"/verify/{w.verification}")
    tour.visit("/verify/ABCD-EFGH-IJKL")
    tour.visit(f"/auth/invitations/{w.token}")
    tour.visit("/auth/password-reset")
    tour.visit(w.password_reset)
    # Registration's confirmation: the link's page, a wrong password, a link that no longer works, and the log-in
    # of an account that waits for its confirmation (with the button that sends the link again).
    page = tour.visit(w.confirmation)
    page.fill("#password", "not the password")
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_selector("text=This is not the password chosen at registration.")
    _sent(tour, "auth.confirm.post.422")
    tour.visit("/auth/confirm/not-a-link")
    page = tour.visit("/auth/login")
    page.fill("#email", w.waiting)
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_selector("text=Send the link again")
    _sent(tour, "auth.login.post.403")
    page = tour.visit("/auth/login")
    page.fill("#email", "nobody@example.org")
    page.fill("#password", "wrong password")
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_load_state()
    _sent(tour, "auth.login.post")
    page = tour.visit("/auth/register")
    page.fill("#email", "not an address")
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_load_state()
    _sent(tour, "auth.register.post.422")
    assert page.locator(".error-summary").count() == 1


def _applicant_pages(tour: Any) -> None:
    w = tour.world
    _log_in(tour, w.applicant)
    tour.visit("/applicant/")
    for section in ("", "/summary", "/consortium", "/budget", "/annexes", "/withdraw"):
        tour.visit(f"/applicant/proposals/{w.draft}{section}")
    tour.visit(f"/applicant/proposals/{w.submitted}/submissions/1")
    tour.visit("/applicant/letters")
    tour.visit("/applicant/offers")
    tour.visit(f"/applicant/offers/{w.offer}")
    # An evaluation review: grounds too short (errors at the field), then filed (the request's state).
    page = tour.visit(f"/applicant/letters/{w.reserve_letter}/review")
    page.fill("#grounds_text", "The experts were wrong.")
    page.click("form.form input[type=submit]")
    page.wait_for_load_state()
    _sent(tour, "applicant.redress_request.post.422")
    page.fill("#grounds_text", "The consensus scores Impact 3.5 of 5 while its comment finds no weakness at all.")
    page.click("form.form input[type=submit]")
    page.wait_for_load_state()
    tour.auditor.check(tour.page, state="redress filed")
    tour.visit("/applicant/organisation")
    tour.visit("/manage/")  # not an officer: the refusal page
    # Wrong input on each section: errors at the fields, nothing lost.
    page = tour.visit(f"/applicant/proposals/{w.draft}/summary")
    page.fill("#duration_months", "400")
    page.click("button:text-is('Save')")
    page.wait_for_load_state()
    _sent(tour, "applicant.proposal_summary.post.422")
    page = tour.visit(f"/applicant/proposals/{w.draft}/budget")
    page.fill("#requested_grant", "1.200")
    page.click("button:text-is('Save')")
    page.wait_for_load_state()
    _sent(tour, "applicant.proposal_budget.post.422")
    # The newcomer, waiting to be let in, and an invitation opened while signed in.
    _log_in(tour, w.newcomer)
    tour.visit("/applicant/organisation")
    tour.auditor.check(tour.page, state="newcomer")
    tour.visit(f"/applicant/invitations/{w.token}")
    # Their own personal data: the page, erasure, and the link that confirms a new e-mail address.
    tour.visit("/account/")
    tour.visit("/account/erasure")
    for path in ("/account/password", "/account/sessions", "/account/tokens"):
        tour.visit(path)
    tour.visit(w.email_change)


def _evaluator_pages(tour: Any) -> None:
    w = tour.world
    _log_in(tour, w.evaluator)
    tour.visit("/review/")
    tour.visit(f"/review/calls/{w.eval_code}/code-of-conduct")
    tour.visit(f"/review/calls/{w.eval_code}/profile")
    page = tour.visit(f"/review/evaluations/{w.rapporteur}")
    page.check("input[name=declaration][value=no_conflict]")
    page.click("input[type=submit][value='Confirm my declaration']")
    page.wait_for_load_state()
    tour.auditor.check(tour.page, state="scoring")
    page.click("input[type=submit][value='Save draft']")
    page.wait_for_load_state()
    _sent(tour, "review.save_evaluation.post")
    tour.visit(f"/review/evaluations/{w.consensus}/consensus")


def _officer_pages(tour: Any) -> None:
    w = tour.world
    _log_in(tour, w.officer)  # sets up two-factor sign-in
    tour.visit("/account/two-factor")
    _log_in(tour, w.officer)  # now asked for the code
    _sent(tour, "auth.second_factor")
    tour.visit("/manage/")
    tour.visit("/manage/calls/new")
    tour.visit(f"/manage/calls/{SELECTION_CALL}/configure")
    code = w.eval_code
    for path in ("", "/proposals", "/settings", "/texts", "/screening", f"/screening/{w.first_proposal}", "/evaluators",
                 f"/evaluators/{w.member}", "/assignments", f"/assignments/{w.first_proposal}", "/evaluation",
                 f"/evaluation/{w.first_proposal}"):
        tour.visit(f"/manage/calls/{code}{path}")
    # A call for expression of interest: its process view, and the assessment page, sent once without a note.
    tour.visit(f"/manage/calls/{w.mission_code}")
    tour.auditor.check(tour.page, state="expression-of-interest")
    page = tour.visit(f"/manage/calls/{w.mission_code}/assessment")
    page.locator(f"#row-{w.mission_proposal} button:has-text('Record the assessment'), "
                 f"#row-{w.mission_proposal} input[value='Record the assessment']").click()
    page.wait_for_load_state()
    _sent(tour, "manage.assess_proposal.post.422")
    tour.visit(f"/manage/proposals/{w.submitted}")
    tour.visit(f"/manage/proposals/{w.submitted}/submissions/1")
    tour.visit(f"/manage/proposals/{w.submitted}/extension")
    page = tour.visit(f"/manage/calls/{SELECTION_CALL}/ranking")
    refs = page.locator("#ties a.button:has-text('Resolve')").first.get_attribute("href")
    tour.visit(refs)
    for path in ("/runs", "/runs/1", "/runs/compare?a=1&b=2", "/runs/1/finalise"):
        tour.visit(f"/manage/calls/{SELECTION_CALL}{path}")
    letters = f"/manage/calls/{w.letters_code}"
    for path in ("", "/letters", f"/runs/{w.letters_run}/letters", f"/runs/{w.letters_run}/promote", "/outbox"):
        tour.visit(f"{letters}{path}")
    # The evaluation review the applicant filed: the queue, the request's file, the committee's decision.
    page = tour.visit(f"{letters}/redress")
    request_path = page.locator("table a:has-text('EC2RESE')").first.get_attribute("href")
    page = tour.visit(request_path)
    page.fill("#assessment", "The record shows the reports submitted before the consensus was approved, as required.")
    page.click("form.form input[type=submit]")
    page.wait_for_load_state()
    tour.auditor.check(tour.page, state="rejected")
    tour.visit(f"{letters}/offers")
    tour.visit(f"/manage/letter-batches/{w.batch}")


def _admin_pages(tour: Any) -> None:
    w = tour.world
    _log_in(tour, w.admin)
    tour.visit("/manage/personal-data")
    tour.visit("/manage/personal-data/access-log")
    tour.visit(f"/manage/users/{w.applicant_id}")
    tour.visit(f"/manage/users/{w.setup.officer_id}")  # with an authenticator: the form that resets it
    assert tour.page.locator("#reset-authenticator").count() == 1
    tour.auditor.check(tour.page, state="with-authenticator")
    tour.visit(f"/manage/users/{w.applicant_id}/tokens")
    page = tour.visit("/manage/users")
    page.fill("#full_name", "Demo Evaluator")
    page.fill("#email", "evaluator9@eurogrants.test")
    page.click("form.form button[type=submit], form.form input[type=submit]")
    page.wait_for_load_state()
    _sent(tour, "manage.users.post.422")


def test_every_page_for_every_role(app: Any, tour: Any) -> None:
    """One test, in this order, so that the last step counts every page the others visited (on one worker)."""
    for role_pages in (_public_pages, _applicant_pages, _evaluator_pages, _officer_pages, _admin_pages):
        role_pages(tour)
    tour.finish()
    pages = sorted(
        rule.endpoint for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and not NOT_PAGES.search(rule.endpoint)
    )
    missing = [endpoint for endpoint in pages if endpoint not in VISITED]
    assert not missing, f"pages the tour never visited: {missing}"
