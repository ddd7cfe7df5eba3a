"""Proposal intake: drafts, saves with optimistic locking, annexes, submission, withdrawal, extensions.

Every function takes the proposal first and the acting user as `actor`; it checks permission, the allowed
transition and the deadline, changes state, writes an audit event and flushes. The caller commits once.

A submission is accepted if and only if the server's clock at the moment it is committed is strictly before the
proposal's effective deadline: `submit_proposal` locks the proposal's row, reads the clock once with every check
passed, and leaves a guard that reads it again just before COMMIT (app/services/deadline.py says how).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from app.clock import utcnow
from app.enums import CallState, ConsentKind, DocumentKind, ProposalStatus, Role
from app.extensions import db
from app.formatting import format_local
from app.inputs import UNSET, PartnerInput, ProposalChanges
from app.languages import N_
from app.models import Call, Document, Partner, Proposal, Submission, User
from app.queries.access import can_edit_proposal, require_officer
from app.queries.eligibility import check_proposal
from app.services import documents as document_service
from app.services.audit import record_event
from app.services.consents import check_text_version, record_consent
from app.services.deadline import deadline_passed_error, guard_commit
from app.services.errors import (
    DeadlinePassed,
    EditConflict,
    IneligibleProposal,
    InvalidInput,
    InvalidTransition,
    NotAllowed,
    NotFound,
)
from app.services.receipts import freeze_submission
from app.translation import current_language, gettext, ngettext

# -- guards ----------------------------------------------------------------------------------------------------

def _is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _require_member(proposal: Proposal, actor: User) -> None:
    if not can_edit_proposal(actor, proposal):
        raise NotAllowed(N_("Only applicants of the proposal's organisation can change it."))


def _require_editable(proposal: Proposal, actor: User, now: datetime | None = None) -> None:
    _require_member(proposal, actor)
    if proposal.is_withdrawn:
        raise InvalidTransition(N_("This proposal was withdrawn; withdrawal is final."))
    if proposal.is_past_deadline(now):
        raise deadline_passed_error(proposal)


def _lock_proposal(proposal: Proposal | int) -> tuple[Proposal, int]:
    """Lock the proposal's row until commit (PostgreSQL), then load what a submission needs, fresh.

    Returns the proposal (with its call, partners and annexes) and its last submitted version (0 if none).
    Two statements, in this order on purpose: the lock first, then one SELECT of the proposal, its call,
    partners, annexes and last version. Under READ COMMITTED a statement sees what was committed before it
    started, so the second one sees a save or a submission that held the lock a moment ago; read in the locking
    statement itself, the joined rows and the version could be from before the wait.
    """
    proposal_id = proposal if isinstance(proposal, int) else proposal.id
    if _is_postgresql():
        # NO KEY UPDATE: other rows may still reference this one (an annex insert takes KEY SHARE).
        db.session.execute(sa.select(Proposal.id).where(Proposal.id == proposal_id).with_for_update(key_share=True))
    last_version = (
        sa.select(sa.func.coalesce(sa.func.max(Submission.version), 0))
        .where(Submission.proposal_id == Proposal.id).correlate(Proposal).scalar_subquery()
    )
    row = db.session.execute(
        sa.select(Proposal, last_version).where(Proposal.id == proposal_id)
        .options(joinedload(Proposal.call).lazyload(Call.criteria), joinedload(Proposal.partners),
                 joinedload(Proposal.documents))
        .execution_options(populate_existing=True)
    ).unique().first()
    if row is None:
        raise NotFound(N_("There is no such proposal."))
    return row[0], int(row[1])


# -- drafts ----------------------------------------------------------------------------------------------------

def _next_number(call: Call) -> int:
    if _is_postgresql():
        # Serialise numbering within one call; KEY SHARE locks from inserts elsewhere are not blocked.
        db.session.execute(sa.select(Call.id).where(Call.id == call.id).with_for_update(key_share=True))
    highest = db.session.scalar(sa.select(sa.func.max(Proposal.number)).where(Proposal.call_id == call.id))
    return (highest or 0) + 1


def create_proposal(call: Call, *, actor: User) -> Proposal:
    """Start a draft for the actor's organisation in an open call, the organisation as coordinator.

    Side effects: the proposal and its coordinator row, an audit event.
    """
    if not actor.has_role(Role.APPLICANT):
        raise NotAllowed(N_("Only applicants start proposals."))
    organisation = actor.organisation
    if organisation is None:
        raise NotAllowed(N_("Your account does not belong to an organisation yet: register yours, or ask to join "
                            "it, under My organisation."))
    state = call.state()
    if state is CallState.UPCOMING:
        raise InvalidTransition(N_("The call %(code)s is not open yet."), code=call.code)
    if state is CallState.CLOSED:
        raise DeadlinePassed(N_("The call %(code)s closed on %(deadline)s."), code=call.code,
                             deadline=format_local(call.deadline, call.time_zone, locale=current_language()))
    number = _next_number(call)
    proposal = Proposal(
        call=call, number=number, reference=f"{call.code}-{number:04d}", organisation=organisation,
        created_by=actor, updated_by_id=actor.id, status=ProposalStatus.DRAFT, edit_version=1,
        partners=[Partner(position=0, is_coordinator=True, name=organisation.name, country=organisation.country,
                          organisation_type=organisation.type, contact_email=actor.email)],
    )
    db.session.add(proposal)
    db.session.flush()
    record_event(actor, "proposal.created", object_type="proposal", object_id=proposal.id,
                 reference=proposal.reference, call=call.code)
    return proposal


def _refuse_what_cannot_be_stored(proposal: Proposal, changes: ProposalChanges) -> None:
    """InvalidInput naming every field of `changes` that cannot be stored (app.inputs found them, but for the
    number of amounts, which depends on the consortium this save leaves)."""
    # Written in the language of the request that asked: the API's (the pages' forms send no unknown field).
    if changes.unknown:
        raise InvalidInput(ngettext("Unknown field: %(names)s.", "Unknown fields: %(names)s.", len(changes.unknown),
                                    names=", ".join(changes.unknown)),
                           details={"fields": {name: gettext("Unknown field.") for name in changes.unknown}})
    problems = dict(changes.problems)
    if changes.amounts is not UNSET:
        expected = len(changes.partners) + 1 if changes.partners is not UNSET else len(proposal.partners)
        if len(changes.amounts) != expected:
            problems["amounts"] = gettext("Give one amount per partner (%(count)d).", count=expected)
    if problems:
        raise InvalidInput.naming(problems, several="fields cannot be saved", summary=ngettext(
            "%(num)d field cannot be saved: %(first)s", "%(num)d fields cannot be saved: %(first)s", len(problems),
            first=next(iter(problems.values()))))


def _claim_version(proposal: Proposal, base_version: int, actor: User) -> int:
    """Move edit_version from `base_version` to the next one, or EditConflict when someone saved meanwhile.

    One conditional UPDATE: on PostgreSQL it waits for a concurrent save of the same row and then matches
    nothing, on SQLite it takes the write lock; either way, of two saves based on one version only one wins.
    """
    result = db.session.execute(
        sa.update(Proposal)
        .where(Proposal.id == proposal.id, Proposal.edit_version == base_version)
        .values(edit_version=base_version + 1, updated_by_id=actor.id, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if cast("sa.CursorResult[Any]", result).rowcount != 1:  # an UPDATE answers a CursorResult
        raise _conflict(proposal, base_version)
    set_committed_value(proposal, "edit_version", base_version + 1)
    set_committed_value(proposal, "updated_by_id", actor.id)
    return base_version + 1


def _conflict(proposal: Proposal, base_version: int) -> EditConflict:
    """The refusal of a save based on an old version, naming who saved since and when."""
    current = db.session.execute(
        sa.select(Proposal.edit_version, Proposal.updated_at, User.full_name)
        .outerjoin(User, User.id == Proposal.updated_by_id).where(Proposal.id == proposal.id)
    ).one()
    saved_at = format_local(current.updated_at, proposal.call.time_zone, locale=current_language())
    if current.full_name:
        message = N_("%(name)s saved this proposal at %(saved_at)s, after you opened it. Nothing was overwritten: "
                     "compare both versions and save yours again if it should replace theirs.")
    else:
        message = N_("Someone saved this proposal at %(saved_at)s, after you opened it. Nothing was overwritten: "
                     "compare both versions and save yours again if it should replace theirs.")
    return EditConflict(
        message, name=current.full_name, saved_at=saved_at,
        details={"your_version": base_version, "current_version": current.edit_version,
                 "saved_by": current.full_name, "saved_at": current.updated_at.isoformat()})


def save_proposal(proposal: Proposal, *, actor: User, base_version: int, changes: ProposalChanges,
                  section: str = "api") -> Proposal:
    """Save some fields of a draft (or of a submitted proposal before the deadline).

    `base_version` is the edit_version the user's form was based on: EditConflict when someone saved since.
    `changes` is parsed at the edge (`ProposalChanges.parse`); what it found unstorable is refused here, after the
    permission, deadline and version checks, with InvalidInput naming each field.
    Side effects: the proposal's fields and partners, edit_version + 1, an audit event naming the fields changed.
    """
    _require_editable(proposal, actor)
    if base_version != proposal.edit_version:
        raise _conflict(proposal, base_version)  # before the input: the form may describe an older consortium
    _refuse_what_cannot_be_stored(proposal, changes)
    version = _claim_version(proposal, base_version, actor)
    columns = changes.columns()
    changed = [name for name, value in columns.items() if getattr(proposal, name) != value]
    for name in changed:
        setattr(proposal, name, columns[name])
    coordinator = proposal.coordinator
    if changes.coordinator_contact_email is not UNSET and coordinator is not None \
            and coordinator.contact_email != changes.coordinator_contact_email:
        coordinator.contact_email = changes.coordinator_contact_email
        changed.append("coordinator_contact_email")
    if changes.partners is not UNSET and _replace_partners(proposal, changes.partners):
        changed.append("partners")
    if changes.amounts is not UNSET and _split_budget(proposal, changes.amounts):
        changed.append("amounts")
    db.session.flush()
    record_event(actor, "proposal.saved", object_type="proposal", object_id=proposal.id, section=section,
                 version=version, fields=changed)
    return proposal


def _replace_partners(proposal: Proposal, partners: tuple[PartnerInput, ...]) -> bool:
    """Every partner but the coordinator becomes `partners`, in order; False when they are those already."""
    def described(partner: Partner | PartnerInput) -> tuple[object, ...]:
        return (partner.name, partner.country, partner.organisation_type, partner.contact_email,
                partner.requested_amount)

    if [described(p) for p in proposal.partners if not p.is_coordinator] == [described(p) for p in partners]:
        return False
    for partner in [p for p in proposal.partners if not p.is_coordinator]:
        proposal.partners.remove(partner)
    db.session.flush()  # free the positions before reusing them
    for position, item in enumerate(partners, start=1):
        proposal.partners.append(Partner(
            position=position, is_coordinator=False, name=item.name, country=item.country,
            organisation_type=item.organisation_type, contact_email=item.contact_email,
            requested_amount=item.requested_amount))
    return True


def _split_budget(proposal: Proposal, amounts: tuple[Decimal | None, ...]) -> bool:
    """One requested amount per partner in order, the coordinator first; False when they are those already."""
    ordered = sorted(proposal.partners, key=lambda p: p.position)
    if [p.requested_amount for p in ordered] == list(amounts):
        return False
    for partner, amount in zip(ordered, amounts, strict=True):
        partner.requested_amount = amount
    return True


# -- annexes ---------------------------------------------------------------------------------------------------

def upload_annex(proposal: Proposal, *, actor: User, kind: DocumentKind, stream: Any,
                 filename: str | None) -> Document:
    """Add an annex (a new Part B replaces the previous one) while the proposal can still change.

    Side effects: see `documents.upload_document`.
    """
    _require_editable(proposal, actor)
    document_service.require_accepted_kind(proposal, kind)
    # The slow part (parse, hash, store) before the row lock, so that saves and submissions of the same
    # proposal do not wait behind it; the lock covers only the row changes.
    stored = document_service.store_upload(stream, page_limit=proposal.call.page_limit)
    proposal, _ = _lock_proposal(proposal)
    _require_editable(proposal, actor)
    return document_service.upload_document(proposal, actor=actor, kind=kind, stored=stored, filename=filename)


def remove_annex(proposal: Proposal, document: Document, *, actor: User) -> None:
    """Take an annex off the proposal while it can still change. Side effects: see `documents.remove_document`."""
    _require_editable(proposal, actor)
    document_service.remove_document(proposal, document, actor=actor)


# -- submission, withdrawal ------------------------------------------------------------------------------------

def submit_proposal(proposal: Proposal, *, actor: User, base_version: int | None = None,
                    declaration_version: str | None = None) -> Submission:
    """Freeze the proposal as a new submitted version, strictly before its deadline (see the module docstring).

    `base_version`, when given, is the edit_version the user looked at: EditConflict if it changed since.
    Refused with DeadlinePassed (409), IneligibleProposal (422, the failed checks in details["failures"]),
    InvalidTransition (withdrawn) or EditConflict.
    Side effects: a Submission (snapshot, SHA-256, receipt number, server time), status SUBMITTED, an audit
    event, the submitter's declaration (a Consent with the version of its text: `declaration_version` is the one
    they were shown, None for the current one, an older one is refused with InvalidInput), and a commit guard that
    refuses the COMMIT if it would land at or after the deadline.
    """
    _require_member(proposal, actor)
    return submit_proposal_id(proposal.id, actor=actor, base_version=base_version,
                              declaration_version=declaration_version)


def submit_proposal_id(proposal_id: int, *, actor: User, base_version: int | None = None,
                       declaration_version: str | None = None) -> Submission:
    """`submit_proposal` for a caller that has not loaded the proposal (the API): one statement fewer.

    The permission check happens on the locked row; a proposal the actor may not change answers NotFound,
    exactly as the loader would, and the lock goes with the rollback.
    """
    proposal, last_version = _lock_proposal(proposal_id)
    if not can_edit_proposal(actor, proposal):
        raise NotFound(N_("There is no such proposal."))
    _require_editable(proposal, actor)
    check_text_version(ConsentKind.SUBMISSION_DECLARATION, declaration_version, field="confirm")
    if base_version is not None and base_version != proposal.edit_version:
        raise EditConflict(N_(
            "The proposal changed since you opened it (another tab or a colleague saved it). Review it, then "
            "submit again."), details={"your_version": base_version, "current_version": proposal.edit_version})
    checklist = check_proposal(proposal)
    if not checklist.ok:
        failures = checklist.failures
        # Counted in the language of the request that asked (a page's or the API's).
        raise IneligibleProposal(ngettext(
            "The proposal cannot be submitted yet: %(num)d check failed.",
            "The proposal cannot be submitted yet: %(num)d checks failed.", len(failures)),
            details={"failures": [check.as_dict() for check in failures]})
    version = last_version + 1  # read after the lock: a resubmission committed while we waited is counted
    # The server time of the submission: every lock is held and every check passed.
    submitted_at = utcnow()
    if submitted_at >= proposal.effective_deadline:
        raise deadline_passed_error(proposal)
    submission = freeze_submission(proposal, version=version, submitted_at=submitted_at, submitted_by=actor)
    _fault_test_delay()
    db.session.add(submission)
    if proposal.status is not ProposalStatus.SUBMITTED:
        proposal.status = ProposalStatus.SUBMITTED
    db.session.flush()  # the declaration names the submission's id
    declaration = record_consent(actor, ConsentKind.SUBMISSION_DECLARATION, call=proposal.call,
                                 submission=submission, at=submitted_at)
    record_event(actor, "proposal.submitted", object_type="proposal", object_id=proposal.id,
                 reference=proposal.reference, version=version, receipt_number=submission.receipt_number,
                 sha256=submission.sha256, submitted_at=submitted_at.isoformat(),
                 declaration_version=declaration.text_version)
    db.session.flush()
    guard_commit(proposal)
    return submission


def _fault_test_delay() -> None:
    """SUBMIT_DELAY_SECONDS (default 0): widens the window between snapshot and commit, for the fault tests
    (tests/server/) that kill a worker in the middle of a submission. Never set in production."""
    from flask import current_app

    delay = float(current_app.config.get("SUBMIT_DELAY_SECONDS") or 0)
    if delay > 0:
        import time

        time.sleep(delay)


def withdraw_proposal(proposal: Proposal, *, actor: User, reason: str = "") -> Proposal:
    """Withdraw the proposal from the call before the deadline; final (it cannot be resubmitted).

    Side effects: status WITHDRAWN, withdrawn_at/by, an audit event.
    """
    _require_member(proposal, actor)
    proposal, _ = _lock_proposal(proposal)
    _require_editable(proposal, actor)
    proposal.status = ProposalStatus.WITHDRAWN
    proposal.withdrawn_at = utcnow()
    proposal.withdrawn_by_id = actor.id
    db.session.flush()
    record_event(actor, "proposal.withdrawn", object_type="proposal", object_id=proposal.id,
                 reference=proposal.reference, reason=reason.strip()[:1000],
                 submitted_versions=len(proposal.submissions))
    return proposal


# -- officer: extensions ---------------------------------------------------------------------------------------

def grant_extension(proposal: Proposal, *, actor: User, deadline: datetime, reason: str) -> Proposal:
    """Give one proposal a later deadline than the call's, with a written reason shown to the applicant.

    Side effects: extended_deadline, extension_reason, granted at/by, an audit event with the old deadline.
    """
    require_officer(actor, to=N_("grant extensions"))
    reason = reason.strip()
    if len(reason) < 10:
        raise InvalidInput(N_("Explain the extension in a sentence (at least 10 characters): the applicant sees it "
                              "and it stays in the audit trail."), details={"field": "reason"})
    if len(reason) > 2000:
        raise InvalidInput(N_("At most 2000 characters."), details={"field": "reason"})
    if deadline.tzinfo is None:
        raise InvalidInput(N_("Give the new deadline with its time zone."), details={"field": "deadline"})
    if proposal.is_withdrawn:
        raise InvalidTransition(N_("This proposal was withdrawn; an extension would change nothing."))
    call = proposal.call
    if deadline <= call.deadline:
        raise InvalidInput(N_("The new deadline must be later than the call's (%(deadline)s)."),
                           deadline=format_local(call.deadline, call.time_zone, locale=current_language()),
                           details={"field": "deadline"})
    if deadline <= utcnow():
        raise InvalidInput(N_("The new deadline must be in the future."), details={"field": "deadline"})
    previous = proposal.extended_deadline
    proposal.extended_deadline = deadline
    proposal.extension_reason = reason
    proposal.extension_granted_at = utcnow()
    proposal.extension_granted_by_id = actor.id
    db.session.flush()
    record_event(actor, "proposal.extension_granted", object_type="proposal", object_id=proposal.id,
                 reference=proposal.reference, deadline=deadline.isoformat(), reason=reason,
                 previous=previous.isoformat() if previous else None, call_deadline=call.deadline.isoformat())
    return proposal
