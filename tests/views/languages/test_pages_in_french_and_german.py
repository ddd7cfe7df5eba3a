"""Every page covered so far, for each role that sees it, rendered in French and in German without an error and
without English left (tests/i18n_support.py: the catalogues' English messages and English function words), user
content aside. The integrator extends COVERED_PAGES as more pages are translated.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.enums import (
    AssignmentState,
    CallKind,
    ConflictDeclaration,
    ConsentKind,
    CountryScope,
    Gender,
    LetterKind,
    OrganisationType,
    RedressGround,
    Role,
    RuleStrength,
    Verdict,
)
from app.extensions import db
from app.models import Assessment, Assignment, Call, Letter, LetterBatch, OutboxMessage, PoolMember, User
from app.privacy.texts import current_text
from app.queries.runs import finalise_preview
from app.queries.selection import SelectionOptions
from app.services import accounts as account_service
from app.services import letters as letter_service
from app.services import membership
from app.services import proposals as proposal_service
from app.services import redress as redress_service
from app.services.promotion import promote_from_reserve
from app.services.selection import finalise_run, resolve_tie, revoke_tie_resolution, run_selection
from app.services.transfer import offer_transfers
from app.web.locale import LANGUAGE_COOKIE
from tests.assessment_worlds import make_mission_call, submitted_proposal
from tests.factories import (
    EvaluationWorld,
    make_approved_consensus,
    make_call,
    make_evaluation_setup,
    make_letter_scenario,
    make_open_call,
    make_pool_member,
    make_proposal,
    make_ready_proposal,
    make_report,
)
from tests.i18n_support import english_left

# What people typed, which stays as written: the test call's texts are not English words on purpose.
CALL = {"title": "Zeta Vega Orbis", "programme": "Zeta", "description": "Lorem ipsum dolor.",
        "strands": ["Alpha", "Beta"], "strand_label": "Strand"}
CRITERIA = [{"key": "relevance", "name": "Kappa"}, {"key": "quality", "name": "Lambda"},
            {"key": "impact", "name": "Sigma"}]
USER_CONTENT = ["Zeta Vega Orbis", "Lorem ipsum dolor.", "Call SMP-COSME-2021-CLUSTER-01", "Test programme",
                "Relevance", "Quality", "Impact", "Test User", "Eurogrants"]
# The test calls' own description, which their configuration page shows in its field.
USER_CONTENT += ["A call for tests."]

# The evaluator's pages (the world's `evaluation`): the dashboard with an invitation, a declaration to make, a draft
# report, a submitted one beside the others' and the consensus the evaluator drafts as rapporteur.
EVALUATOR_PAGES: list[tuple[str, str, int]] = [
    ("evaluator", "/review/", 200),
    ("evaluator", "/review/calls/{eval_call}/code-of-conduct", 200),
    ("evaluator", "/review/calls/{invited_call}/code-of-conduct", 200),
    ("evaluator", "/review/calls/{eval_call}/profile", 200),
    ("evaluator", "/review/evaluations/{to_declare}", 200),
    ("evaluator", "/review/evaluations/{draft_report}", 200),
    ("evaluator", "/review/evaluations/{submitted_report}", 200),
    ("evaluator", "/review/evaluations/{submitted_report}/consensus", 200),
    ("peer", "/review/evaluations/{peer_report}/consensus", 200),
    ("peer", "/review/evaluations/{no_such_report}", 404),
]
EVALUATOR_REFUSALS: list[tuple[str, str, dict[str, str]]] = [
    ("evaluator", "/review/calls/{invited_call}/code-of-conduct", {"text_version": "2026-12-02"}),
    ("evaluator", "/review/calls/{eval_call}/profile", {"nationality": "", "expertise_keywords": "x" * 130}),
    ("evaluator", "/review/evaluations/{to_declare}/declaration", {"declaration": "conflict", "note": "short"}),
    ("evaluator", "/review/evaluations/{to_declare}/declaration", {"note": ""}),
    ("evaluator", "/review/evaluations/{draft_report}", {"score_relevance": "3.25", "save": "1"}),
    ("evaluator", "/review/evaluations/{draft_report}", {"score_relevance": "4", "comment_relevance": "short",
                                                         "submit": "1"}),
    ("evaluator", "/review/evaluations/{submitted_report}/consensus", {"submit": "1"}),
]

# (who, address, status): {call}, {code} are filled in from the world below.
COVERED_PAGES: list[tuple[str, str, int]] = [
    ("anonymous", "/", 200),
    ("anonymous", "/calls/{call}", 200),
    ("applicant", "/calls/{call}", 200),
    ("anonymous", "/calls/{mission}", 200),  # a call for expression of interest: how it selects, not criteria
    ("anonymous", "/verify", 200),
    ("anonymous", "/verify/{code}", 200),
    ("anonymous", "/verify/NOSUCH-CODE1", 404),
    ("anonymous", "/auth/login", 200),
    ("anonymous", "/auth/register", 200),
    ("anonymous", "/auth/password-reset", 200),
    ("anonymous", "/auth/password-reset/not-a-token", 410),
    ("anonymous", "/auth/two-factor", 200),
    ("anonymous", "/auth/invitations/not-a-token", 404),
    ("anonymous", "/no-such-page", 404),
    ("applicant", "/applicant/letters", 200),
    ("applicant", "/applicant/", 200),
    # The proposal editor, on a draft that fails most checks (the checklist's fixes show) and on a closed proposal.
    *[("applicant", f"/applicant/proposals/{{{proposal}}}{section}", 200)
      for proposal in ("draft", "closed")
      for section in ("", "/summary", "/consortium", "/budget", "/annexes", "/withdraw")],
    ("applicant", "/applicant/proposals/{submitted}/submissions/1", 200),
    # A call that admits some organisation types only and asks for other annexes than Part B alone.
    *[("applicant", f"/applicant/proposals/{{rules}}{section}", 200) for section in ("", "/consortium", "/annexes")],
    ("anonymous", "/calls/ZV-OPEN-2", 200),
    *EVALUATOR_PAGES,
    # My organisation: a member's page (a request to join, an invitation not answered) and a newcomer's, invited.
    ("applicant", "/applicant/organisation", 200),
    ("newcomer", "/applicant/organisation", 200),
    ("newcomer", "/applicant/invitations/{invitation}", 200),
    # The account pages (erasing an account: below, with the call's configuration).
    *[(who, f"/account/{page}", 200) for who in ("applicant", "evaluator")
      for page in ("", "sessions", "password", "tokens", "two-factor")],
    # The officers' and administrators' pages.
    ("officer", "/manage/", 200),
    ("admin", "/manage/users", 200),
    ("admin", "/manage/users/{officer_id}", 200),
    ("admin", "/manage/users/{admin_id}", 200),
    ("admin", "/manage/users/{officer_id}/tokens", 200),
    ("admin", "/manage/users/{admin_id}/tokens", 200),
    *[("officer", f"/manage/calls/ZV-EVAL/{page}", 200) for page in (
        "evaluation", "screening", "screening/{pending}", "screening/{eligible}", "evaluators",
        "evaluators/{member}")],
    ("officer", "/manage/calls/{call}/proposals", 200),
    ("officer", "/manage/calls/ZV-EVAL/proposals?status=submitted&sort=acronym", 200),
    *[("officer", f"/manage/proposals/{{{proposal}}}{page}", 200)
      for proposal in ("submitted", "draft") for page in ("", "/extension")],
    ("officer", "/manage/proposals/{submitted}/submissions/1", 200),
    *[("officer", f"/manage/calls/{call}/{page}", 200)
      for call in ("SMP-COSME-2021-CLUSTER-01", "ZV-EVAL") for page in ("letters", "outbox")],
    ("officer", "/manage/calls/SMP-COSME-2021-CLUSTER-01/runs/1/letters", 200),
    ("officer", "/manage/letter-batches/{batch}", 200),
    ("officer", "/manage/calls/SMP-COSME-2021-CLUSTER-01/runs", 200),
    ("officer", "/manage/calls/ZV-EVAL/runs", 200),
    ("officer", "/manage/calls/SMP-COSME-2021-CLUSTER-01/runs/1/finalise", 200),
    ("officer", "/manage/personal-data", 200),
    ("officer", "/manage/personal-data?email={applicant.email}", 200),
    ("officer", "/manage/personal-data?email=nobody@example.test", 200),
    ("admin", "/manage/personal-data/access-log", 200),
    ("admin", "/manage/personal-data/access-log?officer=officer@example.test", 200),
    # A call's hub with its process view: open, in evaluation, closed with letters, selected by assessment.
    *[("officer", f"/manage/calls/{call}", 200)
      for call in ("{call}", "ZV-EVAL", "SMP-COSME-2021-CLUSTER-01", "{mission}")],
    ("officer", "/manage/calls/{mission}/assessment", 200),
    ("officer", "/manage/calls/ZV-EVAL-2/assessment", 409),  # a call scored by experts has no assessment
    # A proposal's reports and consensus: three reports in, and a proposal whose evaluators have not started.
    ("officer", "/manage/calls/ZV-EVAL-1/evaluation/{reported}", 200),
    ("officer", "/manage/calls/ZV-EVAL/evaluation/{eligible}", 200),
    # Evaluation reviews: a letter that may be contested, one whose review is filed, one that opens none.
    *[("applicant", f"/applicant/letters/{{{letter}}}/review", 200)
      for letter in ("contest", "contested", "award_letter")],
    # The officers' evaluation reviews: a call's queue (one with a request, one without) and the request's file.
    ("officer", "/manage/calls/SMP-COSME-2021-CLUSTER-01/redress", 200),
    ("officer", "/manage/calls/ZV-EVAL/redress", 200),
    ("officer", "/manage/calls/SMP-COSME-2021-CLUSTER-01/redress/{review}", 200),
    # The ranking and selection pages: a call with a run in force, and a call not ready, filtered and sorted.
    ("officer", "/manage/calls/SMP-COSME-2021-CLUSTER-01/ranking", 200),
    ("officer", "/manage/calls/SMP-COSME-2021-CLUSTER-01/ranking?sort=total&dir=desc&outcome=selected", 200),
    ("officer", "/manage/calls/ZV-EVAL/ranking", 200),
    ("officer", "/manage/calls/SMP-COSME-2021-CLUSTER-01/runs/1", 200),
    # The other selection pages (the world's `selection`): two runs compared (a promotion after a consortium declined;
    # a what-if with other options and an officer-ordered tie), a residual tie to resolve, the promotion form, and an
    # event call's offers to send and sent.
    *[("officer", f"/manage/calls/ZV-SEL/runs/compare?a=1&b={number}", 200) for number in (2, 3)],
    ("officer", "/manage/calls/ZV-SEL/ties/resolve?refs={tie_refs}", 200),
    ("officer", "/manage/calls/ZV-SEL/runs/1/promote", 200),
    *[("officer", f"/manage/calls/{call}/offers", 200) for call in ("ZV-SESS-1", "ZV-SESS-2", "ZV-SEL")],
    # The applicant's side of the offer ZV-SESS-1 sent: the list and the offer to answer.
    ("applicant", "/applicant/offers", 200),
    ("applicant", "/applicant/offers/{offer}", 200),
    # The accessibility statement (the model statement of Implementing Decision (EU) 2018/1523, in each language).
    *[(who, "/accessibility", 200) for who in ("anonymous", "applicant")],
    # A call's own texts in French and German (the English beside each field is user content).
    ("officer", "/manage/calls/{call}/texts", 200),
    # A call's configuration and settings: a new call, a copy, an open call, a call in evaluation, one assessed.
    ("officer", "/manage/calls/new", 200),
    ("officer", "/manage/calls/new?copy_of={call}", 200),
    *[("officer", f"/manage/calls/{call}/configure", 200)
      for call in ("{call}", "ZV-EVAL", "SMP-COSME-2021-CLUSTER-01", "{mission}")],
    ("officer", "/manage/calls/{call}/settings", 200),
    # Erasing an account: what goes now and what waits under the record of processing's rules, for the person and
    # for an administrator answering a request by post.
    *[(who, "/account/erasure", 200) for who in ("applicant", "evaluator")],
    ("admin", "/manage/personal-data?email={applicant.email}", 200),
    # The privacy statements (the instance's and a call's), generated from the record of processing.
    *[("anonymous", address, 200) for address in ("/privacy", "/calls/{call}/privacy")],
    # The assignments: a call whose panel rules are on (checks kept and broken, a proposed assignment, a declared
    # conflict), a proposal's evaluators and the pool for it, and a call with nobody in its pool.
    ("officer", "/manage/calls/ZV-EVAL/assignments", 200),
    ("officer", "/manage/calls/ZV-EVAL/assignments/{eligible}", 200),
    ("officer", "/manage/calls/ZV-EVAL/assignments/{conflicted}", 200),
]
# Forms sent with mistakes: the messages next to the fields, in the summary and in flashes are translated too.
COVERED_REFUSALS: list[tuple[str, str, dict[str, str]]] = [
    ("anonymous", "/auth/login", {"email": "nobody@example.test", "password": "wrong-password"}),
    ("anonymous", "/auth/register", {"email": "not-an-address", "password": "short", "confirm": "other"}),
    ("anonymous", "/auth/password-reset", {"email": ""}),
    *EVALUATOR_REFUSALS,
    ("newcomer", "/applicant/organisation/join-requests", {"organisation_name": "Nowhere Ltd", "country": "BE"}),
    ("newcomer", "/applicant/organisation/new", {"organisation_name": "", "country": ""}),
    ("applicant", "/applicant/organisation/invitations", {"email": "not-an-address"}),
    ("applicant", "/account/name", {"name-full_name": ""}),
    ("applicant", "/account/email", {"email-new_email": "applicant1@example.test", "email-password": "wrong"}),
    ("applicant", "/account/password", {"current_password": "wrong", "password": "short", "confirm": "other"}),
    ("admin", "/manage/users", {"email": "not-an-address", "password": "short", "confirm": "other"}),
    ("admin", "/manage/users/{officer_id}/roles", {}),
    ("officer", "/manage/calls/ZV-EVAL/screening/{pending}", {"reason": "short"}),
    ("officer", "/manage/calls/ZV-EVAL/evaluators", {"email": "", "max_load": "0"}),
    ("officer", "/manage/proposals/{submitted}/extension", {"deadline": "2020-01-01T10:00", "reason": "Too late."}),
    ("officer", "/manage/personal-data/people/{applicant.id}/export", {"request_reference": ""}),
    ("officer", "/manage/calls/{mission}/assessment/{to_assess}", {}),
    ("officer", "/manage/calls/ZV-EVAL-1/evaluation/{reported}/reopen", {"reason": "short"}),
    ("applicant", "/applicant/letters/{contest}/review", {"ground": "incoherence", "grounds_text": "Too short."}),
    ("applicant", "/applicant/letters/{contest}/review", {"ground": "eligibility_check", "grounds_text": ""}),
    ("officer", "/manage/calls/SMP-COSME-2021-CLUSTER-01/redress/{review}", {"assessment": "Too short."}),
    # The selection pages' forms and the refusals of the selection, promotion and transfer services they show.
    ("officer", "/manage/calls/ZV-SEL/ties/resolve?refs={tie_refs}", {"order": "", "justification": "Zeta."}),
    ("officer", "/manage/calls/ZV-SEL/ties/resolve?refs={tie_refs}",
     {"order": "ZV-SEL-0001\nZV-SEL-0004", "justification": "Zeta Kappa Lambda Sigma Orbis Vega."}),
    ("officer", "/manage/calls/ZV-SEL/ties/resolve?refs=ZV-SEL-0001,ZV-SEL-0004", {}),
    ("officer", "/manage/calls/ZV-SEL/ties/{tie_resolution}/revoke", {}),
    ("officer", "/manage/calls/ZV-SEL/runs/1/promote", {"note": "Zeta."}),
    ("officer", "/manage/calls/ZV-SEL/runs/2/promote", {}),
    ("officer", "/manage/calls/ZV-SEL/offers", {}),
    # The proposal service's refusals a page flashes: a withdrawal after the deadline, a proposal started in a closed
    # call or by an applicant with no organisation yet.
    ("applicant", "/applicant/proposals/{closed}/withdraw", {"confirm": "y"}),
    ("applicant", "/applicant/calls/{mission}/proposals", {}),
    ("newcomer", "/applicant/calls/{call}/proposals", {}),
    # The evaluation review's re-evaluation steps, asked of a request the committee has not upheld.
    *[("officer", f"/manage/calls/SMP-COSME-2021-CLUSTER-01/redress/{{review}}/{step}", data)
      for step, data in (("reevaluators", {}), ("rerun", {}), ("outcome", {"token": "stale"}))],
    ("officer", "/manage/calls/{call}/texts", {"fr-title": "Zeta " * 61, "de-criteria-0-key": "relevance",
                                               "de-criteria-0-name": "Kappa " * 34}),
    # A call's configuration: a deadline before the opening, a budget that is not a number, a code and criteria
    # that cannot be, a threshold off the scale; the settings' own page likewise.
    ("officer", "/manage/calls/new", {
        "code": "zv open", "title": "Zeta", "programme": "Zeta", "kind": "grant", "time_zone": "Europe/Brussels",
        "opens_at": "2026-03-01T12:00", "deadline": "2020-01-01T12:00", "budget": "lots", "min_partners": "1",
        "min_countries": "1", "evaluators_per_proposal": "3", "evaluation_mode": "experts",
        "criteria-0-key": "Kappa Key", "criteria-0-name": "Kappa", "criteria-0-max": "5", "criteria-0-weight": "0",
        "criteria-0-threshold": "9", "tie_break": "sigma"}),
    ("officer", "/manage/calls/new", {
        "code": "ZV-NEW-1", "title": "Zeta", "programme": "Zeta", "kind": "grant", "time_zone": "Europe/Brussels",
        "opens_at": "2026-03-01T12:00", "deadline": "2020-01-01T12:00", "min_partners": "1", "min_countries": "2",
        "evaluators_per_proposal": "3", "evaluation_mode": "experts", "criteria-0-key": "kappa",
        "criteria-0-name": "Kappa", "criteria-0-max": "5", "criteria-0-weight": "1", "tie_break": "sigma"}),
    ("officer", "/manage/calls/{call}/settings", {
        "opens_at": "2026-03-01T12:00", "deadline": "2020-01-01T12:00", "budget": "lots", "min_partners": "1",
        "min_countries": "1"}),
    ("officer", "/manage/calls/{call}/settings", {
        "opens_at": "2026-03-01T12:00", "deadline": "2020-01-01T12:00", "budget": "1000", "min_partners": "1",
        "min_countries": "3", "max_grant_per_proposal": "2000", "eligible_countries": "XX"}),
    ("applicant", "/account/erasure", {"password": "wrong-password", "confirm": "y"}),
    ("applicant", "/account/erasure", {"password": ""}),
    ("admin", "/manage/personal-data/people/{applicant.id}/erasure", {"request_reference": ""}),
    # The assignments: a conflicted evaluator assigned by hand, too few evaluators per proposal, a country rule
    # neither soft nor hard, a publication without its deadline, a published evaluator withdrawn without a reason.
    ("officer", "/manage/calls/ZV-EVAL/assignments/{eligible}/add", {"evaluator": "{conflicted_evaluator}"}),
    ("officer", "/manage/calls/ZV-EVAL/assignments/settings", {"evaluators_per_proposal": "0",
                                                               "nationality_rule": "off"}),
    ("officer", "/manage/calls/ZV-EVAL/assignments/settings", {"evaluators_per_proposal": "3",
                                                               "nationality_rule": "off", "country_strength": "off"}),
    ("officer", "/manage/calls/ZV-EVAL/assignments/publish", {"evaluation_deadline": ""}),
    ("officer", "/manage/calls/ZV-EVAL/assignment/{published_assignment}/withdraw", {"reason": ""}),
]


@pytest.fixture
def world(app: Flask, make_user: Callable[..., User]) -> dict[str, Any]:
    owner = make_user(Role.APPLICANT)
    newcomer = make_user(Role.APPLICANT, organisation=None, full_name="Nora Neu")
    asking = make_user(Role.APPLICANT, organisation=None, full_name="Anton Asker")
    officer = make_user(Role.OFFICER, email="officer@example.test")
    admin = make_user(Role.ADMIN, email="admin@example.test")
    with app.app_context():
        call = make_open_call("ZV-OPEN-1", criteria=CRITERIA, budget=Decimal("42000000"), page_limit=10,
                              max_grant_per_proposal=Decimal("500000"), duration_min_months=24,
                              duration_max_months=36, min_partners=3, min_countries=3,
                              eligible_countries=["BE", "DE", "FR"], **CALL)
        applicant = db.session.merge(owner)
        draft = make_proposal(call, applicant, acronym="ZVDRAFT", submitted=False, partners=[("Kappa Lab", "CH")])
        draft.duration_months = None
        ready = make_ready_proposal(call, applicant, acronym="ZVREADY", requested=Decimal("400000.00"))
        ready.strand = "Alpha"
        proposal_service.submit_proposal(ready, actor=applicant, base_version=None,
                                         declaration_version=current_text(ConsentKind.SUBMISSION_DECLARATION).version)
        rules = make_proposal(
            make_open_call("ZV-OPEN-2", criteria=CRITERIA, organisation_types=["cluster_organisation", "sme"],
                           required_annexes=["part_b", "support_letter"], optional_annexes=[], **CALL),
            applicant, acronym="ZVRULES", submitted=False, partners=[("Kappa Lab", "CH")])
        rules.partners[1].organisation_type = OrganisationType.LARGE_COMPANY
        data = make_letter_scenario(applicant)
        make_mission_call("ZV-MISSION-1", title="Zeta Vega Orbis", programme="Zeta",
                          description="Lorem ipsum dolor.", strands=[])
        db.session.commit()
        letter_service.start_letter_batch(data["run"], actor=None)
        db.session.commit()
        letter_service.publish_letters(data["run"], actor=None)
        db.session.commit()
        award = db.session.scalar(sa.select(Letter).where(Letter.proposal_id == data["proposals"]["selected"].id))
        assert award is not None
        # Evaluation reviews: the rejection letter may still be contested, the reserve list letter's review is filed.
        contest, contested = (
            db.session.scalar(sa.select(Letter).where(Letter.proposal_id == data["proposals"][status].id))
            for status in ("not_funded", "reserve"))
        assert contest is not None
        assert contested is not None
        review = redress_service.file_redress_request(contested.proposal, actor=applicant, stage=LetterKind.RESERVE,
                                                      ground=RedressGround.SCORE_COMMENT_INCOHERENCE,
                                                      grounds_text=GROUNDS)
        evaluation = _evaluation_world()
        organisation = applicant.organisation
        assert organisation is not None
        membership.request_to_join(db.session.merge(asking), organisation, message="Zeta team")
        _, token = membership.invite_member(organisation, actor=applicant, email=newcomer.email)
        account_service.issue_token(db.session.merge(officer), label="Zeta")
        # A call in evaluation: two eligible proposals with their evaluators, and one proposal still to screen.
        officer_eval = make_evaluation_setup(code="ZV-EVAL", title="Zeta Vega Eval", programme="Zeta",
                                             strands=["Alpha", "Beta"], strand_label="Strand", evaluators=5)
        assigning = _assignment_world(officer_eval)
        pending = make_proposal(db.session.get(Call, officer_eval.call_id),
                                db.session.get(User, officer_eval.applicant_id), acronym="ZVPEND", strand="Alpha")
        mission_call = db.session.scalar(sa.select(Call).where(Call.code == "ZV-MISSION-1"))
        assert mission_call is not None
        # The call for expression of interest: one proposal to assess, one assessed suitable.
        to_assess, assessed = (submitted_proposal(mission_call, applicant, acronym, mission_call.deadline - timedelta(
            hours=hours)) for acronym, hours in (("ACR1", 2), ("ACR2", 1)))
        to_assess.title = assessed.title = "Zeta Vega Orbis"
        db.session.add(Assessment(proposal_id=assessed.id, assessor_id=officer.id, verdict=Verdict.SUITABLE, fit=4,
                                  note="Lorem ipsum dolor."))
        db.session.commit()
        selection = _selection_world(applicant, db.session.merge(officer))
        return {"call": "ZV-OPEN-1", "mission": "ZV-MISSION-1", "code": award.verification_code, "applicant": owner,
                "draft": draft.id, "rules": rules.id, "closed": data["proposals"]["selected"].id, "submitted": ready.id,
                **evaluation, "newcomer": newcomer, "invitation": token,
                "officer": officer, "officer_id": officer.id, "admin": admin, "admin_id": admin.id,
                "batch": db.session.scalar(sa.select(LetterBatch.id)), "pending": pending.id,
                "eligible": officer_eval.proposal_ids[0], "member": officer_eval.member_ids[0],
                "proposals": [p.acronym for p in data["proposals"].values()] + [
                    "ZVDRAFT", "ZVREADY", "ZVRULES", "Kappa Lab", "part-b.pdf", "Nora Neu", "Anton Asker", "Zeta team",
                    "Nowhere Ltd", *EVALUATION_CONTENT, owner.email,
                    "officer@example.test", "admin@example.test", "Call SMP-COSME-2021-CLUSTER-01",
                    "Zeta Vega Eval", "Olivia Officer", "European Commission", "Expert Office",
                    *officer_eval.evaluator_emails, officer_eval.officer_email, officer_eval.applicant_email,
                    "All checks passed.", *SELECTION_CONTENT, *ASSIGNMENT_CONTENT,
                    # The controller and the data protection officer, as the instance's operator configured them.
                    app.config["PRIVACY_CONTROLLER"], app.config["PRIVACY_DPO"],
                    # The notification e-mails the outbox shows are written in their recipient's language.
                    *[" ".join(text.split()) for message in db.session.scalars(sa.select(OutboxMessage))
                      for text in (message.subject, message.body)]],
                "to_assess": to_assess.id,
                "reported": db.session.scalar(sa.select(Assignment.proposal_id)
                                              .where(Assignment.id == evaluation["submitted_report"])),
                "contest": contest.id, "contested": contested.id, "award_letter": award.id, "review": review.id,
                **selection, **assigning}


# What the assignment world's officers and evaluators wrote.
ASSIGNMENT_CONTENT = ["Zeta Kappa withdrawal", "Zeta Kappa note", "Zeta Kappa waiver", "Evaluator 4", "Evaluator 5",
                      "lithium", "Expert Office 4", "Expert Office 5"]


def _assignment_world(setup: EvaluationWorld) -> dict[str, int]:
    """ZV-EVAL's panel rules on, all soft (the country rule over the whole consortium, 40 % of each gender), kept and
    broken: evaluators 2 and 3 share a nationality, evaluator 3 is from a partner's country, evaluator 4 works for a
    partner (a conflict of interest), evaluator 5 is free; on the first proposal a conflict declared and judged not
    material and a match's terms; on the second a withdrawn evaluator, a declared conflict still open and a proposed
    assignment. Returns the second proposal's, evaluator 4's and a published assignment's ids."""
    call = db.session.get(Call, setup.call_id)
    assert call is not None
    call.nationality_rule = call.gender_rule = call.country_conflict_strength = RuleStrength.SOFT
    call.country_conflict_scope = CountryScope.CONSORTIUM
    members = [db.session.get(PoolMember, member_id) for member_id in setup.member_ids]
    for member, nationality, gender in zip(members, ("LT", "FI", "FI", "PT", "IE"),
                                           (Gender.WOMAN, Gender.MAN, Gender.PREFER_NOT_TO_SAY, None, None),
                                           strict=True):
        assert member is not None
        member.nationality, member.gender = nationality, gender
    members[2].country = "DE"  # type: ignore[union-attr]
    members[3].organisation_name = "Partner A"  # type: ignore[union-attr]
    first, second = setup.proposal_ids
    ids = setup.evaluator_ids

    def assignment(proposal_id: int, evaluator_id: int) -> Assignment:
        found = db.session.get(Assignment, setup.assignments[(proposal_id, evaluator_id)])
        assert found is not None
        return found

    waived = assignment(first, ids[2])
    waived.conflict, waived.conflict_note = ConflictDeclaration.CONFLICT, "Zeta Kappa note"
    waived.conflict_waived_reason = "Zeta Kappa waiver"
    matched = assignment(first, ids[1])
    matched.shared_terms, matched.affinity = ["lithium"], 0.42
    db.session.add(Assignment(call_id=call.id, proposal_id=second, evaluator_id=ids[0],
                              state=AssignmentState.WITHDRAWN, withdrawn_reason="Zeta Kappa withdrawal",
                              withdrawn_at=call.deadline + timedelta(days=3)))
    assignment(second, ids[1]).conflict = ConflictDeclaration.CONFLICT
    proposed = assignment(second, ids[2])
    proposed.state, proposed.published_at = AssignmentState.PROPOSED, None
    db.session.flush()
    return {"conflicted": second, "conflicted_evaluator": ids[3], "published_assignment": matched.id}


# The coordinator's grounds for the evaluation review the world files (user content).
GROUNDS = ("Zeta Kappa Lambda Sigma Orbis Vega: Zeta Kappa Lambda Sigma Orbis Vega Zeta Kappa Lambda Sigma.")


# What the evaluation world's people typed or were named.
EVALUATION_CONTENT = ["A comment long enough to justify the score given here.",
                      "An overall comment that is long enough to count.", "Baltic Cluster Alliance",
                      "Lukas Applicant", "Expert Office 1", "Expert Office 2", "Expert Office 3", "Evaluator 1",
                      "Evaluator 2", "Evaluator 3", "ACR1", "ACR2", "ACR3", "Partner A", "Partner B", "Proposal 1",
                      "Proposal 2", "Proposal 3", "ZV-EVAL-1", "ZV-EVAL-2"]


def _evaluation_world() -> dict[str, Any]:
    """Evaluator 1 of a closed call: rapporteur of ACR1, whose three reports are in; ACR2 to declare; a draft report
    on ACR3. Evaluator 2 reads ACR1's consensus. Evaluator 1 is also invited to a second call, not accepted yet."""
    setup = make_evaluation_setup(code="ZV-EVAL-1", proposals=3, evaluators=3, declared=False, criteria=CRITERIA,
                                  title="Zeta Vega Orbis", programme="Zeta", strands=["Alpha", "Beta"])
    first, second = setup.evaluator_ids[0], setup.evaluator_ids[1]
    for proposal_id in (setup.proposal_ids[0], setup.proposal_ids[2]):
        for assignment in db.session.scalars(sa.select(Assignment).where(Assignment.proposal_id == proposal_id)):
            assignment.conflict = ConflictDeclaration.NO_CONFLICT
    for index, values in enumerate([("4", "4", "3"), ("5", "3.5", "3"), ("2", "4", "3.5")]):
        assignment = db.session.get(Assignment, setup.assignment_id(0, index))
        assert assignment is not None
        make_report(assignment, dict(zip(("relevance", "quality", "impact"), values, strict=True)))
    draft = db.session.get(Assignment, setup.assignments[(setup.proposal_ids[2], first)])
    assert draft is not None
    make_report(draft, {"relevance": "3.5"}, submitted=False)
    invited = make_call("ZV-EVAL-2", title="Zeta Vega Orbis", programme="Zeta", strands=["Alpha", "Beta"],
                        criteria=CRITERIA)
    evaluator = db.session.get(User, first)
    assert evaluator is not None
    make_pool_member(invited, evaluator, accepted=False)
    return {"evaluator": SimpleNamespace(email=setup.evaluator_emails[0]),
            "peer": SimpleNamespace(email=setup.evaluator_emails[1]),
            "eval_call": setup.code, "invited_call": invited.code,
            "submitted_report": setup.assignment_id(0, 0),
            "to_declare": setup.assignments[(setup.proposal_ids[1], first)],
            "draft_report": draft.id, "peer_report": setup.assignment_id(0, 1),
            # An assignment of the same call that is not the peer's: it does not exist for them.
            "no_such_report": setup.assignments[(setup.proposal_ids[2], first)] if second else 0}


# What the selection world's people typed (the runs' notes) and its proposals' names.
SELECTION_CONTENT = ["Zeta Kappa Lambda", "ZVTOP", "ZVTIEA", "ZVTIEB", "ZVFOURTH", "ZVWEAK", "ZVS1", "ZVS2", "ZVT1",
                     "ZVT2", "ZVT3", "Zeta Vega Local"]


def _selection_world(applicant: User, officer: User) -> dict[str, Any]:
    """A grant call with a residual tie (ZV-SEL): run 1 final, run 2 promotes after its first selected consortium
    declined, run 3 a what-if with the stop policy, no reserve list and the tie in the officer's order (a resolution
    revoked before it, another in force). Two event calls offering a place in a third: ZV-SESS-1 has sent its offers,
    ZV-SESS-2 not yet."""
    call = make_call("ZV-SEL", criteria=CRITERIA, title="Zeta Vega Orbis", programme="Zeta", strands=["Alpha"],
                     budget=Decimal("3000000.00"), max_awards=2, reserve_size=2)
    scored = [("ZVTOP", ("5", "4.5", "4.5"), "1000000.00"), ("ZVTIEA", ("4", "4", "4"), "1500000.00"),
              ("ZVTIEB", ("4", "4", "4"), "900000.00"), ("ZVFOURTH", ("3.5", "3.5", "3.5"), "400000.00"),
              ("ZVWEAK", ("2.5", "4", "4"), "1000000.00")]
    references = {}
    for acronym, scores, requested in scored:
        proposal = make_proposal(call, applicant, acronym=acronym, strand="Alpha", requested=Decimal(requested))
        proposal.title = "Zeta Vega Orbis"
        make_approved_consensus(proposal, dict(zip(("relevance", "quality", "impact"), scores, strict=True)))
        references[acronym] = proposal.reference
    first = run_selection(call, actor=officer, note="Zeta Kappa Lambda")
    finalise_run(first, actor=officer, token=finalise_preview(first).token)
    promote_from_reserve(first, actor=officer, reference=references["ZVTOP"], reason="declined",
                         note="Zeta Kappa Lambda")
    tie = [references["ZVTIEB"], references["ZVTIEA"]]
    revoked = resolve_tie(call, actor=officer, ordered_references=tie, justification=GROUNDS)
    revoke_tie_resolution(revoked, actor=officer)
    resolve_tie(call, actor=officer, ordered_references=tie, justification=GROUNDS)
    run_selection(call, actor=officer, note="Zeta Kappa Lambda",
                  options=SelectionOptions.from_values(call, budget_policy="stop", reserve_size=0))
    local = make_call("ZV-LOCAL", kind=CallKind.EVENT, budget=None, max_awards=5, reserve_size=0,
                      title="Zeta Vega Local", programme="Zeta", description="Lorem ipsum dolor.", strands=["Alpha"])
    for code, acronyms in (("ZV-SESS-1", ("ZVS1", "ZVS2")), ("ZV-SESS-2", ("ZVT1", "ZVT2", "ZVT3"))):
        sessions = make_call(code, kind=CallKind.EVENT, budget=None, max_awards=1, reserve_size=0,
                             transfer_to_call_id=local.id, criteria=CRITERIA, title="Zeta Vega Orbis",
                             programme="Zeta", strands=["Alpha"])
        for number, acronym in enumerate(acronyms):
            proposal = make_proposal(sessions, applicant, acronym=acronym, strand="Alpha", requested=None)
            proposal.title = "Zeta Vega Orbis"
            score = "5" if number == 0 else "4"
            make_approved_consensus(proposal, dict.fromkeys(("relevance", "quality", "impact"), score))
        run = run_selection(sessions, actor=officer)
        finalise_run(run, actor=officer, token=finalise_preview(run).token)
        if code == "ZV-SESS-1":
            offers = offer_transfers(sessions, actor=officer)
    db.session.commit()
    return {"tie_refs": ",".join(sorted(tie)), "tie_resolution": revoked.id, "offer": offers[0].id}


def _client(app: Flask, who: str, world: dict[str, Any], login: Callable[..., FlaskClient],
            language: str) -> FlaskClient:
    client = app.test_client()
    if who != "anonymous":
        login(client, world[who])
    client.set_cookie(LANGUAGE_COOKIE, language)
    return client


@pytest.mark.parametrize("language", ["fr", "de"])
@pytest.mark.parametrize(("who", "address", "status"), COVERED_PAGES)
def test_the_page_has_no_english_left(app: Flask, world: dict[str, Any], login: Callable[..., FlaskClient],
                                      who: str, address: str, status: int, language: str) -> None:
    client = _client(app, who, world, login, language)
    response = client.get(address.format(**world))
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert f'<html lang="{language}">' in html
    assert english_left(html, language, user_content=USER_CONTENT + world["proposals"]) == []


@pytest.mark.parametrize("language", ["fr", "de"])
@pytest.mark.parametrize(("who", "address", "data"), COVERED_REFUSALS)
def test_the_refusal_has_no_english_left(app: Flask, world: dict[str, Any], login: Callable[..., FlaskClient],
                                         who: str, address: str, data: dict[str, str], language: str) -> None:
    client = _client(app, who, world, login, language)
    data = {name: value.format(**world) for name, value in data.items()}  # an id of the world, as "{member}"
    response = client.post(address.format(**world), data=data, follow_redirects=True)
    assert response.status_code in (200, 422), response.status_code
    html = response.get_data(as_text=True)
    assert 'class="error' in html or 'flash-error' in html
    assert english_left(html, language, user_content=USER_CONTENT + world["proposals"] + list(data.values())) == []


@pytest.mark.parametrize("language", ["fr", "de"])
@pytest.mark.parametrize("answer", ["accept", "decline"])
def test_an_offer_is_answered_and_answered_again_in_the_language(
        app: Flask, world: dict[str, Any], login: Callable[..., FlaskClient], answer: str, language: str) -> None:
    """The applicant answers the world's offer (its message, the accepted copy or the declined state) and then tries
    to answer it the other way (the refusal): no English left on either page."""
    client = _client(app, "applicant", world, login, language)
    answered = client.post(f"/applicant/offers/{world['offer']}/{answer}", follow_redirects=True)
    html = answered.get_data(as_text=True)
    assert "flash-success" in html
    assert english_left(html, language, user_content=USER_CONTENT + world["proposals"]) == []
    other = "decline" if answer == "accept" else "accept"
    refused = client.post(f"/applicant/offers/{world['offer']}/{other}", follow_redirects=True)
    html = refused.get_data(as_text=True)
    assert "flash-error" in html
    assert english_left(html, language, user_content=USER_CONTENT + world["proposals"]) == []
