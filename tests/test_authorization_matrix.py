"""Every route of the app is classified here, and every route × persona × own/foreign object is checked.

A route that is added without a line in `RULES` fails `test_every_route_is_classified`. Personas:
anonymous, applicant A (owns the objects), applicant B (another consortium), applicant N (a newcomer who
registered with the name and country of A's organisation: its request to join waits, so it must see nothing of
A's), evaluator E (assigned, no conflict), evaluator C (assigned, conflict declared), officer, admin. Expected statuses:
allowed → < 400; anonymous → login redirect (pages) or 401 (API); role allowed but object not theirs → 404;
wrong role → 403. Non-GET routes are only sent by personas that must be refused (empty bodies): never 2xx,
and refused with 401/403/404 (422 for an API body validated before the permission check — the body is
checked before the object is loaded, so it says nothing about the object).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.clock import utcnow
from app.enums import ConflictDeclaration, DocumentKind, LetterKind, RedressGround, Role
from app.extensions import db
from app.models import (
    ApiToken,
    Assignment,
    Call,
    Document,
    EmailChange,
    Letter,
    LetterBatch,
    OutboxMessage,
    PoolMember,
    Proposal,
    SelectionRun,
    TieResolution,
    User,
    UserSession,
)
from app.models.selection import TransferOffer
from app.queries.personal_data import email_change_token
from app.services.passwords import reset_link_token
from app.services.redress import file_redress_request
from app.web.headers import SHARED_ENDPOINTS
from tests.assessment_worlds import make_mission_call
from tests.conftest import PASSWORD, _empty_all_tables, api_token
from tests.factories import (
    make_assignment,
    make_evaluation_setup,
    make_letter_scenario,
    make_pool_member,
    make_report,
    make_staff,
    pdf_bytes,
)
from tests.registering import confirmation_path, register_and_confirm
from tests.two_factor import sign_in

ANON, APP_A, APP_B, EVAL_E, EVAL_C, OFFICER, ADMIN = ("anonymous", "applicant_a", "applicant_b", "evaluator_e",
                                                       "evaluator_c", "officer", "admin")
APP_SAME_NAME = "applicant_registered_with_the_same_name"
PERSONAS = (ANON, APP_A, APP_B, APP_SAME_NAME, EVAL_E, EVAL_C, OFFICER, ADMIN)
USERS = frozenset(PERSONAS) - {ANON}
APPLICANTS = frozenset({APP_A, APP_B, APP_SAME_NAME})
EVALUATORS = frozenset({EVAL_E, EVAL_C})
STAFF = frozenset({OFFICER, ADMIN})
VIEWERS_OF_A = frozenset({APP_A, EVAL_E, OFFICER, ADMIN})  # who may read consortium A's proposal


@dataclass(frozen=True)
class Rule:
    """Who passes: `allowed` personas succeed; `reach` personas hold the role but not the object (404)."""

    allowed: frozenset[str]
    reach: frozenset[str] = field(default_factory=frozenset)
    scoped: str | None = None  # the kind of object in the URL the access depends on

    def expected(self, persona: str, *, api: bool) -> str:
        if persona in self.allowed:
            return "ok"
        if persona == ANON:
            return "login"
        if persona in self.reach:
            return "404"
        return "403"


PUBLIC = Rule(frozenset(PERSONAS))


def role(group: frozenset[str]) -> Rule:
    return Rule(group, group)


def scoped(kind: str, allowed: frozenset[str], reach: frozenset[str]) -> Rule:
    return Rule(allowed, reach, kind)


OWN_PROPOSAL = scoped("proposal", frozenset({APP_A}), APPLICANTS)
EVALUATION = scoped("assignment", frozenset({EVAL_E}), EVALUATORS)
API_VIEW = scoped("proposal", VIEWERS_OF_A, USERS)      # load_proposal_for_viewer: no role check, 404 for others
API_EDIT = scoped("proposal", frozenset({APP_A}), USERS)

RULES: dict[str, Rule] = {
    # --- public ---
    "static": PUBLIC, "health.healthz": PUBLIC,
    "public.index": PUBLIC, "public.favicon": PUBLIC, "public.call_detail": PUBLIC, "public.verify": PUBLIC,
    "public.privacy": PUBLIC, "public.call_privacy": PUBLIC, "public.accessibility": PUBLIC,
    "public.verify_letter": PUBLIC, "auth.login": PUBLIC, "auth.register": PUBLIC, "auth.logout": PUBLIC,
    "public.choose_page_language": PUBLIC,
    "auth.password_reset": PUBLIC, "auth.password_reset_link": PUBLIC,
    # Registration's confirmation link (anyone holding it, with the password chosen) and its re-sending (for whoever
    # just gave the right password of an unconfirmed account; anyone else is sent back to the log-in).
    "auth.confirm": PUBLIC, "auth.resend_confirmation_link": PUBLIC,
    "api-docs.openapi_json": PUBLIC, "api.letters_verify": PUBLIC, "api.create_token": PUBLIC,
    # --- API: any token ---
    "api.me": role(USERS), "api.list_calls": role(USERS), "api.get_call": role(USERS),
    "api.list_my_proposals": role(USERS), "api.get_text": role(USERS), "api.export_my_data": role(USERS),
    # --- a person's own data, for every signed-in person ---
    "account.personal_data": role(USERS), "account.download": role(USERS), "account.name": role(USERS),
    "account.erasure": role(USERS),
    "account.email": role(USERS), "account.organisation": role(USERS),
    "account.sessions": role(USERS), "account.end_other_sessions": role(USERS), "account.password": role(USERS),
    # A session is its owner's only (applicant A's session of the scenario).
    "account.end_one_session": scoped("user_session", frozenset({APP_A}), USERS),
    # Two-factor sign-in: one's own, offered to everyone (required of staff); the log-in's code step is public.
    **{f"account.{name}": role(USERS) for name in (
        "two_factor", "two_factor_start", "two_factor_confirm", "two_factor_recovery_codes", "two_factor_disable")},
    "auth.second_factor": PUBLIC,
    # API tokens: one's own list; revoking is its owner's only (applicant A's token in the scenario).
    "account.tokens": role(USERS), "api.list_tokens": role(USERS),
    "account.revoke": scoped("token", frozenset({APP_A}), USERS),
    "api.revoke_own_token": scoped("token", frozenset({APP_A, ADMIN}), USERS),  # an administrator revokes anyone's
    # An account's tokens, for administrators only (an unknown account is 404 for them).
    "manage.user_tokens": Rule(frozenset({ADMIN}), frozenset({ADMIN}), "person"),
    "manage.revoke_user_token": Rule(frozenset({ADMIN}), frozenset({ADMIN}), "person"),
    "api.user_tokens": Rule(frozenset({ADMIN}), frozenset({ADMIN}), "person"),
    # A change of e-mail address is its owner's only (applicant A asked for one in the scenario).
    "account.cancel_email": scoped("email_change", frozenset({APP_A}), USERS),
    "account.confirm_email": scoped("email_change", frozenset({APP_A}), USERS),
    # --- API: proposals ---
    "api.create_call_proposal": role(APPLICANTS),
    "api.get_proposal": API_VIEW, "api.list_submissions": API_VIEW, "api.get_submission": API_VIEW,
    "api.submission_receipt_pdf": API_VIEW, "api.download_document": API_VIEW, "api.get_eligibility": API_VIEW,
    "api.patch_proposal": API_EDIT, "api.upload_document": API_EDIT, "api.delete_document": API_EDIT,
    "api.submit": API_EDIT, "api.withdraw": API_EDIT,
    # Evaluators cannot view the proposal at all, so they are told it does not exist (404) before any role check.
    "api.letters_proposal_pdf": scoped("proposal", frozenset({APP_A, OFFICER, ADMIN}), USERS),
    # Evaluation reviews: the coordinator's applicants and the officers; the proposal's evaluator sees the proposal
    # but not its reviews (403); everyone else is told it does not exist. Filing is refused to all but applicant A.
    **{f"api.{name}": scoped("proposal", frozenset({APP_A, OFFICER, ADMIN}), USERS - {EVAL_E})
       for name in ("list_redress_requests", "file_redress")},
    # --- API: evaluations ---
    "api.my_evaluations": role(EVALUATORS),
    "api.get_evaluation": EVALUATION, "api.save_evaluation": EVALUATION, "api.submit_evaluation": EVALUATION,
    "api.declare": EVALUATION,
    "api.get_consensus": scoped("proposal", frozenset({EVAL_E, OFFICER, ADMIN}), EVALUATORS),
    "api.save_consensus": scoped("proposal", frozenset({EVAL_E}), EVALUATORS),
    # --- API: officers ---
    **{f"api.{name}": role(STAFF) for name in (
        "patch_call", "create_call_operation", "publish_call_operation", "archive_call_operation",
        "list_call_proposals", "extend", "decide_eligibility", "approve_consensus", "reopen_consensus",
        "invite_evaluator", "list_evaluators", "auto_assign", "list_assignments", "publish_assignments",
        "evaluation_progress", "selection_ranking", "selection_ranking_csv", "selection_ranking_xlsx",
        "selection_list", "selection_create", "selection_get", "selection_finalise_preview", "selection_finalise",
        "selection_promote", "letters_start_batch", "letters_batch_progress", "letters_run_zip",
        "run_list", "run_create", "run_get", "run_finalise_preview", "run_finalise", "run_promote",
        "run_letters_start", "run_letters_zip", "list_ties", "resolve_tie_operation", "revoke_tie_operation",
        "list_offers", "send_offers", "redress_call_queue", "redress_get", "redress_decide",
        "redress_assign_reevaluators", "redress_rerun_operation", "redress_outcome_read", "redress_outcome_confirm",
        "assessment_list", "assessment_put", "call_texts_get", "call_texts_put")},
    # --- applicant pages ---
    "applicant.dashboard": role(APPLICANTS), "applicant.start_proposal": role(APPLICANTS),
    "applicant.my_letters": role(APPLICANTS), "applicant.transfer_offers": role(APPLICANTS),
    "applicant.letter_pdf": scoped("letter", frozenset({APP_A}), APPLICANTS),
    "applicant.redress_request": scoped("letter", frozenset({APP_A}), APPLICANTS),
    "applicant.transfer_offer": scoped("offer", frozenset({APP_A}), APPLICANTS),
    "applicant.transfer_answer": scoped("offer", frozenset({APP_A}), APPLICANTS),
    # --- organisation membership: only a member answers requests, invites and removes; the newcomer waits ---
    **{f"applicant.{name}": role(APPLICANTS) for name in (
        "organisation", "register_organisation", "request_to_join", "cancel_join_request", "invite_member",
        "leave_organisation")},
    "applicant.decide_join_request": scoped("join_request", frozenset({APP_A}), APPLICANTS),
    "applicant.revoke_invitation": scoped("invitation", frozenset({APP_A}), APPLICANTS),
    "applicant.remove_member": scoped("member", frozenset({APP_A}), APPLICANTS),
    # The invitation in the scenario is addressed to the newcomer: anybody else holding the link is refused.
    "applicant.invitation": Rule(frozenset({APP_SAME_NAME})),
    "applicant.answer_invitation": Rule(frozenset({APP_SAME_NAME})),
    "auth.invitation": PUBLIC,
    **{f"applicant.{name}": OWN_PROPOSAL for name in (
        "proposal_overview", "proposal_annexes", "download_annex", "remove_proposal_annex", "proposal_budget",
        "proposal_consortium", "receipt", "receipt_pdf", "snapshot", "submit", "proposal_summary", "withdraw")},
    # --- evaluator pages ---
    "review.dashboard": role(EVALUATORS), "review.code_of_conduct": role(EVALUATORS),
    "review.evaluator_profile": role(EVALUATORS),
    "review.decline": role(EVALUATORS),
    **{f"review.{name}": EVALUATION for name in ("evaluation", "save_evaluation", "annex", "consensus",
                                                 "declaration")},
    # --- officer pages (every manage route; the users page is for administrators only) ---
    "manage.users": role(frozenset({ADMIN})), "manage.personal_data_access_log": role(frozenset({ADMIN})),
    # An officer answering a request by post may reach any account (an unknown id is 404 for them).
    "manage.personal_data_export_for": Rule(STAFF, STAFF, "person"),
    "manage.personal_data_erase_for": Rule(frozenset({ADMIN}), frozenset({ADMIN}), "person"),
    **{f"manage.{name}": Rule(frozenset({ADMIN}), frozenset({ADMIN}), "person")
       for name in ("account", "account_roles", "deactivate", "reactivate", "reset_authenticator")},
}
MANAGE_DEFAULT = role(STAFF)

# The call each route's <code> means (the evaluation call by default).
LETTER_CALL_PREFIXES = ("manage.selection_", "manage.call_letters", "manage.call_outbox", "manage.cancel_outbox",
                        "manage.send_outbox", "manage.letter", "manage.generate_letters", "manage.publish_letters",
                        "manage.run_letters", "api.selection_", "api.letters_", "api.run_", "api.list_ties",
                        "api.resolve_tie_operation", "api.revoke_tie_operation", "api.list_offers", "api.send_offers",
                        "manage.redress_", "api.redress_")


# Routes of a call selected by the officer's assessment (a call for expression of interest): their <code> is the
# scenario's mission call (a call scored by experts answers them 409).
MISSION_ENDPOINTS = frozenset({"manage.assessment", "manage.assess_proposal", "api.assessment_list",
                               "api.assessment_put"})


def rule_for(endpoint: str) -> Rule | None:
    if endpoint in RULES:
        return RULES[endpoint]
    if endpoint.startswith("manage."):
        return MANAGE_DEFAULT
    return None


def test_every_route_is_classified(app: Flask) -> None:
    missing = sorted(r.endpoint for r in app.url_map.iter_rules() if rule_for(r.endpoint) is None)
    assert not missing, f"classify these routes in tests/test_authorization_matrix.py RULES: {missing}"
    stale = sorted(set(RULES) - {r.endpoint for r in app.url_map.iter_rules()})
    assert not stale, f"RULES names routes that no longer exist: {stale}"


# --- the scenario ------------------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _clean_database() -> None:
    """Overrides the suite's per-test emptying: the scenario is built once for the module (see `world`)."""


@dataclass
class World:
    params: dict[str, Any]
    clients: dict[str, FlaskClient]
    tokens: dict[str, str]
    checked: list[int] = field(default_factory=lambda: [0])


@pytest.fixture(scope="module")
def world(app: Flask) -> Iterator[World]:
    from app.services import letters as letter_service

    with app.app_context():
        _empty_all_tables()
        setup = make_evaluation_setup(code="AUTHZ-EVAL", proposals=1, evaluators=1)
        call = db.session.get(Call, setup.call_id)
        applicant_a = db.session.get(User, setup.applicant_id)
        proposal = db.session.get(Proposal, setup.proposal_ids[0])
        evaluator_e = db.session.get(User, setup.evaluator_ids[0])
        applicant_b = make_staff(Role.APPLICANT, "applicant-b@authz.test", organisation="Iberian Cluster",
                                 country="ES")
        evaluator_c = make_staff(Role.EVALUATOR, "evaluator-c@authz.test", organisation="Conflicted Office",
                                 country="SE")
        officer = db.session.get(User, setup.officer_id)
        admin = make_staff(Role.ADMIN, "admin@authz.test", organisation="European Commission", country="BE")
        make_pool_member(call, evaluator_c)
        conflicted = make_assignment(proposal, evaluator_c)
        conflicted.conflict = ConflictDeclaration.CONFLICT
        conflicted.published_at = call.deadline + timedelta(days=2)
        data = pdf_bytes(1)
        from app.storage import get_storage

        document = Document(kind=DocumentKind.PART_B, sha256=get_storage().put_bytes(data), filename="part-b.pdf",
                            size_bytes=len(data), page_count=1, uploaded_by_id=applicant_a.id)
        proposal.documents.append(document)
        make_report(db.session.get(Assignment, setup.assignments[(proposal.id, evaluator_e.id)]),
                    {"relevance": "4", "quality": "4", "impact": "4"})
        letters = make_letter_scenario(applicant_a, code="AUTHZ-SEL")
        mission = make_mission_call("AUTHZ-MISSION")
        db.session.flush()
        _make_records_complete(proposal, letters["run"], applicant_a)
        db.session.commit()
        run = letters["run"]
        batch = letter_service.start_letter_batch(run, actor=officer)
        db.session.commit()
        letter_service.publish_letters(run, actor=officer)
        db.session.commit()
        award = db.session.scalar(sa.select(Letter).where(Letter.proposal_id == letters["proposals"]["selected"].id))
        offer = TransferOffer(proposal_id=letters["proposals"]["not_funded"].id, target_call_id=call.id,
                              run_id=run.id, offered_by_id=officer.id)
        message = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.letter_id == award.id))
        assert message is not None, "publishing the letters queues their notifications"
        tie = TieResolution(call_id=run.call_id, ordered_references=[], justification="Equal on every key.",
                            created_by_id=officer.id)
        db.session.add_all([offer, tie])
        db.session.commit()
        redress = file_redress_request(letters["proposals"]["reserve"], actor=applicant_a, stage=LetterKind.RESERVE,
                                       ground=RedressGround.EVALUATION_PROCEDURE, grounds_text="The consensus "
                                       "report was approved before the third individual report was submitted.")
        db.session.commit()
        assignment_e = db.session.scalar(sa.select(Assignment).where(Assignment.evaluator_id == evaluator_e.id))
        member_e = db.session.scalar(sa.select(PoolMember).where(PoolMember.user_id == evaluator_e.id))
        users = {APP_A: applicant_a, APP_B: applicant_b, EVAL_E: evaluator_e, EVAL_C: evaluator_c,
                 OFFICER: officer, ADMIN: admin}
        emails = {name: user.email for name, user in users.items()}
        params = {
            "eval_code": call.code, "letter_code": run.call.code, "mission_code": mission.code,
            "verification_code": award.verification_code,
            "proposal_id": proposal.id, "letter_proposal_id": award.proposal_id, "version": 1,
            "document_id": document.id, "assignment_id": assignment_e.id, "evaluation_id": assignment_e.id,
            "member_id": member_e.id, "letter_id": award.id, "batch_id": batch.id, "run_id": run.id,
            "number": run.number, "offer_id": offer.id, "message_id": message.id, "resolution_id": tie.id,
            "redress_id": redress.id,
            "answer": "decline", "decision": "refuse", "part": "input", "extension": "csv", "filename": "css/app.css",
            "kind": "submission_declaration", "language": "fr",
        }
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LetterBatch)) == 1
        assert db.session.get(SelectionRun, run.id).is_in_force
    with app.app_context():  # applicant A waits for the link that confirms a new e-mail address
        change = EmailChange(user_id=setup.applicant_id, new_email="a-new@authz.test", requested_at=utcnow(),
                             expires_at=utcnow() + timedelta(days=365))
        db.session.add(change)
        db.session.commit()
        params.update(change_id=change.id, link_token=email_change_token(change))
    clients = {ANON: app.test_client()}
    for name, email in emails.items():
        client = app.test_client()
        response = sign_in(app, client, email, PASSWORD)
        assert response.status_code == 302, (name, response.status_code)
        clients[name] = client
    clients[APP_SAME_NAME], newcomer_id = _register_with_the_name_of(app, applicant_a.id, params)
    with app.app_context():  # applicant A's session, and a link that resets A's password
        params["session_id"] = db.session.scalars(sa.select(UserSession.id).where(
            UserSession.user_id == setup.applicant_id).order_by(UserSession.id)).first()
        params["reset_token"] = reset_link_token(db.session.get(User, setup.applicant_id),
                                                 made_at=int(utcnow().timestamp()))
    # Someone registered and waits for the confirmation of the address: the link's route has an object.
    assert app.test_client().post("/auth/register", data={**NEWCOMER, "email": "waiting@newcomer.example",
                                                          "organisation_name": "Waiting Ltd", "country": "MT"}
                                  ).status_code == 302
    params["confirmation_token"] = confirmation_path(app, "waiting@newcomer.example").rsplit("/", 1)[1]
    users[APP_SAME_NAME] = _Ref(newcomer_id)  # type: ignore[assignment]
    tokens = {name: api_token(app, _Ref(user.id)) for name, user in users.items()}  # type: ignore[arg-type]
    with app.app_context():
        params["token_id"] = db.session.scalar(sa.select(ApiToken.id).where(ApiToken.user_id == setup.applicant_id))
    built = World(params, clients, tokens)
    yield built
    print(f"\nauthorisation matrix: {built.checked[0]} route × persona cases checked")
    with app.app_context():
        _empty_all_tables()


NEWCOMER = {"full_name": "Nina Newcomer", "email": "nina@newcomer.example", "password": PASSWORD, "confirm": PASSWORD,
            "organisation_type": "cluster_organisation"}


def _register_with_the_name_of(app: Flask, member_id: int, params: dict[str, Any]) -> tuple[FlaskClient, int]:
    """The newcomer registers through the real form, naming A's organisation (in other case and spacing); A then
    invites the newcomer's address, so that the invitation routes have an object. Returns its signed-in client."""
    from app.queries.membership import pending_join_request
    from app.services import membership

    with app.app_context():
        organisation = db.session.get(User, member_id).organisation
        name, country = organisation.name, organisation.country
    client = app.test_client()
    response = register_and_confirm(app, client, {**NEWCOMER, "organisation_name": f" {name.upper()} ",
                                                  "country": country})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    with app.app_context():
        newcomer = db.session.scalar(sa.select(User).where(User.email == NEWCOMER["email"]))
        assert newcomer.organisation_id is None
        join_request = pending_join_request(newcomer)
        member = db.session.get(User, member_id)
        assert join_request.organisation_id == member.organisation_id
        invitation, token = membership.invite_member(member.organisation, actor=member, email=newcomer.email)
        db.session.commit()
        params.update(request_id=join_request.id, invitation_id=invitation.id, token=token, user_id=member_id)
        return client, newcomer.id


def _make_records_complete(proposal: Proposal, run: SelectionRun, applicant: User) -> None:
    """The factories write placeholder JSON: give the submission its real snapshot and the run its real rules.

    Core UPDATEs on purpose: submissions and finalised runs refuse ORM changes (they are immutable records).
    """
    from app.models import Submission
    from app.queries.receipts import sha256_text
    from app.queries.selection import build_selection_input
    from app.services.receipts import build_snapshot

    submission = proposal.submissions[0]
    snapshot = build_snapshot(proposal, version=1, submitted_at=submission.submitted_at, submitted_by=applicant)
    db.session.execute(sa.update(Submission).where(Submission.id == submission.id)
                       .values(snapshot=snapshot, sha256=sha256_text(snapshot)))
    document = json.loads(run.input_json)
    document["rules"] = build_selection_input(run.call)["rules"]
    db.session.execute(sa.update(SelectionRun).where(SelectionRun.id == run.id)
                       .values(input_json=json.dumps(document, sort_keys=True)))
    db.session.expire_all()


@dataclass
class _Ref:
    id: int


def url_for_rule(rule: Any, params: dict[str, Any]) -> str:
    values: dict[str, Any] = {}
    for argument in rule.arguments:
        if argument == "code":
            if rule.endpoint in ("public.verify_letter", "api.letters_verify"):
                values["code"] = params["verification_code"]
            elif rule.endpoint in MISSION_ENDPOINTS:
                values["code"] = params["mission_code"]
            elif rule.endpoint.startswith(LETTER_CALL_PREFIXES):
                values["code"] = params["letter_code"]
            else:
                values["code"] = params["eval_code"]
        elif argument == "proposal_id" and rule.endpoint == "api.letters_proposal_pdf":
            values["proposal_id"] = params["letter_proposal_id"]
        else:
            values[argument] = params[argument]
    # Build without a request: the rule's own builder (no SERVER_NAME needed).
    _, path = rule.build(values, append_unknown=False)
    return path


def _cases(app_rules: list[Any]) -> list[Any]:
    return [pytest.param(r.endpoint, id=r.endpoint) for r in app_rules]


def _all_rules() -> list[Any]:
    from app import create_app
    from config import TestingConfig

    # The route table does not depend on the database: build it from a throwaway app at collection time.
    config = type("CollectConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted(create_app(config).url_map.iter_rules(), key=lambda r: r.endpoint)


ALL_RULES = _all_rules()


def _send(world: World, persona: str, method: str, path: str, api: bool) -> Any:
    client = world.clients[ANON] if api else world.clients[persona]
    headers = {}
    if api and persona != ANON:
        headers["Authorization"] = f"Bearer {world.tokens[persona]}"
    kwargs: dict[str, Any] = {"headers": headers}
    if method != "GET":
        kwargs["json" if api else "data"] = {}
    response = client.open(path, method=method, **kwargs)
    response.get_data()
    response.close()  # file responses (annexes, PDFs) hold their file open until closed
    return response


def _check(world: World, endpoint: str, rule: Any, persona: str, method: str) -> None:
    classification = rule_for(endpoint)
    assert classification is not None
    api = endpoint.startswith("api.") or endpoint.startswith("api-docs.")
    path = url_for_rule(rule, world.params)
    expected = classification.expected(persona, api=api)
    if method != "GET" and expected == "ok":
        return  # allowed writes are the feature tests' business; here they would change the scenario
    response = _send(world, persona, method, path, api)
    status = response.status_code
    where = f"{method} {path} as {persona}: {status} {response.get_data()[:200]!r}"
    world.checked[0] += 1
    assert status < 500, where
    if persona != ANON and endpoint not in SHARED_ENDPOINTS:  # whatever a signed-in user is answered stays private
        assert "no-store" in response.headers.get("Cache-Control", ""), where
    if expected == "ok":
        assert status < 400, where
        if status in (301, 302, 303):
            assert "/auth/login" not in response.headers["Location"], where
        return
    assert not 200 <= status < 300, where
    if method != "GET" and classification is not PUBLIC:
        allowed_refusals = {expected_status(expected, api)}
        if api:
            allowed_refusals |= {403, 404, 422}
        assert status in allowed_refusals, where
        return
    if expected == "login":
        if api:
            assert status == 401, where
            assert response.json["error"]["code"], where
        else:
            assert status == 302, where
            assert response.headers["Location"].startswith("/auth/login"), where
        return
    assert status == int(expected), where
    if api:
        assert "error" in response.json, where


def expected_status(expected: str, api: bool) -> int:
    if expected == "login":
        return 401 if api else 302
    return int(expected)


@pytest.mark.parametrize("endpoint", [p for p in _cases(ALL_RULES)])
def test_route_answers_each_persona_as_classified(world: World, endpoint: str) -> None:
    rules = [r for r in ALL_RULES if r.endpoint == endpoint]
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for persona in PERSONAS:
                _check(world, endpoint, rule, persona, method)


def test_missing_objects_are_404_even_for_staff(world: World) -> None:
    """An id that does not exist answers 404 (never 500) to the most privileged persona of the route."""
    missing = {**world.params, **{k: 2_000_000_000 for k in ("proposal_id", "letter_proposal_id", "document_id",
                                                              "assignment_id", "evaluation_id", "member_id",
                                                              "letter_id", "batch_id", "run_id", "number",
                                                              "offer_id", "message_id", "resolution_id",
                                                              "change_id", "user_id", "session_id",
                                                              "token_id", "redress_id")}}
    checked = 0
    for rule in ALL_RULES:
        classification = rule_for(rule.endpoint)
        if classification is None or classification.scoped is None and not any(
                a.endswith("_id") or a == "number" for a in rule.arguments):
            continue
        if "GET" not in rule.methods or not classification.allowed - {ANON}:
            continue
        persona = next(p for p in (ADMIN, OFFICER, EVAL_E, APP_A) if p in classification.allowed)
        api = rule.endpoint.startswith("api.")
        response = _send(world, persona, "GET", url_for_rule(rule, missing), api)
        assert response.status_code == 404, (rule.endpoint, persona, response.status_code)
        checked += 1
    world.checked[0] += checked
    assert checked > 30


def test_a_token_for_an_unknown_or_malformed_bearer_is_401(world: World) -> None:
    client = world.clients[ANON]
    for header in ("Bearer nope", "Bearer " + "x" * 5000, "Basic abc", "Bearer \u202e"):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.json["error"]["code"]


def test_an_upload_by_another_consortium_is_404_and_stores_nothing(world: World, app: Flask) -> None:
    path = f"/api/v1/proposals/{world.params['proposal_id']}/documents"
    response = world.clients[ANON].post(
        path, headers={"Authorization": f"Bearer {world.tokens[APP_B]}"},
        data={"kind": "annex", "file": (io.BytesIO(pdf_bytes(1)), "x.pdf")}, content_type="multipart/form-data")
    assert response.status_code in (404, 422)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Document)) == 1
