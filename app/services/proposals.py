"""Proposal intake: drafts, saves with optimistic locking, annexes, submission, withdrawal, extensions.

Every function takes the proposal first and the acting user as `actor`; it checks permission, the allowed
transition and the deadline, changes state, writes an audit event and flushes. The caller commits once.

The deadline
------------
A submission is accepted if and only if the server's clock at the moment it is committed is strictly before
the proposal's effective deadline (the later of the call's and an officer's extension for this proposal,
`Proposal.effective_deadline`). Three layers:

1. `submit_proposal` locks the proposal row (PostgreSQL: SELECT ... FOR NO KEY UPDATE), so submissions, saves
   and uploads of one proposal happen one after the other and the snapshot sees exactly what is committed.
2. With every lock held and the checklist passed, it reads the clock once, `submitted_at = utcnow()`, refuses
   when `submitted_at >= deadline`, and writes the snapshot, the Submission row, the status and the audit
   event with that time.
3. It registers a commit guard on the session: a `before_commit` hook reads the clock again immediately
   before COMMIT is sent and refuses (raising DeadlinePassed, so nothing is written) when the deadline has been
   reached meanwhile. The time printed on the receipt (2) is never after the acceptance decision (3), and both
   are before the deadline. Two requests at 16:59:59.9 and 17:00:00.1 therefore get different answers, and a
   refused submission leaves no row behind: the transaction is rolled back as a whole.

One clock, `app.clock.utcnow`, which tests replace with `set_clock`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from app.clock import utcnow
from app.countries import is_country_code
from app.enums import CallState, ConsentKind, DocumentKind, OrganisationType, ProposalStatus, Role
from app.extensions import db
from app.formatting import format_local
from app.inputs import PartnerInput
from app.models import Call, Document, Partner, Proposal, Submission, User
from app.models.limits import MAX_ABSTRACT, MAX_ACRONYM, MAX_AMOUNT, MAX_DURATION_MONTHS, MAX_PARTNERS, MAX_TITLE
from app.queries.access import can_edit_proposal, require_officer
from app.queries.eligibility import check_proposal
from app.services import documents as document_service
from app.services.audit import record_event
from app.services.consents import check_text_version, record_consent
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

SUMMARY_FIELDS = ("acronym", "title", "abstract", "strand", "duration_months")
SECTIONS = ("summary", "consortium", "budget", "annexes")



# -- guards ----------------------------------------------------------------------------------------------------

def _is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _deadline_text(proposal: Proposal) -> str:
    return format_local(proposal.effective_deadline, proposal.call.time_zone)


def deadline_passed_error(proposal: Proposal) -> DeadlinePassed:
    return DeadlinePassed(
        f"The deadline ({_deadline_text(proposal)}) has passed: the proposal can no longer be changed or "
        "submitted.", details={"deadline": proposal.effective_deadline.isoformat()})


def _require_member(proposal: Proposal, actor: User) -> None:
    if not can_edit_proposal(actor, proposal):
        raise NotAllowed("Only applicants of the proposal's organisation can change it.")


def _require_editable(proposal: Proposal, actor: User, now: datetime | None = None) -> None:
    _require_member(proposal, actor)
    if proposal.is_withdrawn:
        raise InvalidTransition("This proposal was withdrawn; withdrawal is final.")
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
        raise NotFound("There is no such proposal.")
    return row[0], int(row[1])


# -- the commit guard ------------------------------------------------------------------------------------------

_GUARDS = "eurogrants_deadline_guards"


def _guard_commit(proposal: Proposal) -> None:
    db.session.info.setdefault(_GUARDS, []).append(
        (proposal.effective_deadline, proposal.reference, proposal.call.time_zone))


@event.listens_for(Session, "before_commit")
def _refuse_commit_after_deadline(session: Session) -> None:
    """The last look at the clock before COMMIT: a submission whose deadline passed meanwhile is refused."""
    guards = session.info.get(_GUARDS)
    if not guards:
        return
    now = utcnow()
    for deadline, reference, time_zone in guards:
        if now >= deadline:
            session.info.pop(_GUARDS, None)
            raise DeadlinePassed(
                f"The deadline ({format_local(deadline, time_zone)}) passed while the submission of {reference} was "
                "being recorded: it was not submitted.", details={"deadline": deadline.isoformat()})


@event.listens_for(Session, "after_transaction_end")
def _forget_guards(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_GUARDS, None)


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
        raise NotAllowed("Only applicants start proposals.")
    organisation = actor.organisation
    if organisation is None:
        raise NotAllowed("Your account does not belong to an organisation yet: register yours, or ask to join it, "
                         "under My organisation.")
    state = call.state()
    if state is CallState.UPCOMING:
        raise InvalidTransition(f"The call {call.code} is not open yet.")
    if state is CallState.CLOSED:
        raise DeadlinePassed(f"The call {call.code} closed on {format_local(call.deadline, call.time_zone)}.")
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


def _text(value: Any, field: str, limit: int, errors: dict[str, str]) -> str:
    text = " ".join(str(value or "").split()) if field != "abstract" else str(value or "").strip()
    if len(text) > limit:
        errors[field] = f"At most {limit} characters (this has {len(text)})."
    return text


def parse_amount(value: Any) -> Decimal | None:
    """A non-negative amount in euros with at most two decimals, or None for an empty value."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation as error:
        raise ValueError("Write the amount in euros, e.g. 1400000.00.") from error
    if not amount.is_finite():
        raise ValueError("Write the amount in euros, e.g. 1400000.00.")
    if amount < 0:
        raise ValueError("The amount cannot be negative.")
    if amount > MAX_AMOUNT:  # before quantize: 1e999999 has too many digits to quantize (InvalidOperation)
        raise ValueError("The amount is too large.")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError("Use at most two decimals (cents).")
    return amount.quantize(Decimal("0.01"))


def _amount(value: Any, field: str, errors: dict[str, str]) -> Decimal | None:
    try:
        return parse_amount(value)
    except ValueError as error:
        errors[field] = str(error)
        return None


def _validated(proposal: Proposal, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Normalised values, or InvalidInput naming each field that cannot be stored at all.

    Half-filled, or filled but not yet right (a strand the call does not have, a mistyped e-mail address),
    is stored as typed: the checklist says what to fix, and nothing the user wrote is lost.
    """
    known = {*SUMMARY_FIELDS, "requested_grant", "coordinator_contact_email", "partners", "amounts"}
    unknown = set(changes) - known
    if unknown:
        raise InvalidInput(f"Unknown fields: {', '.join(sorted(unknown))}.",
                           details={"fields": {name: "Unknown field." for name in sorted(unknown)}})
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    limits = {"acronym": MAX_ACRONYM, "title": MAX_TITLE, "abstract": MAX_ABSTRACT}
    for field, limit in limits.items():
        if field in changes:
            clean[field] = _text(changes[field], field, limit, errors)
    if "strand" in changes:
        # Kept as given (the checklist says when it is not one of the call's): a save never loses input.
        strand = " ".join(str(changes["strand"] or "").split()) or None
        if strand is not None and len(strand) > 100:
            errors["strand"] = "At most 100 characters."
        clean["strand"] = strand
    if "duration_months" in changes:
        months = changes["duration_months"]
        if months in (None, ""):
            clean["duration_months"] = None
        else:
            try:
                months = int(months)
            except (TypeError, ValueError):
                errors["duration_months"] = "Give a whole number of months."
            else:
                if not 1 <= months <= MAX_DURATION_MONTHS:
                    errors["duration_months"] = f"Between 1 and {MAX_DURATION_MONTHS} months."
                clean["duration_months"] = months
    if "requested_grant" in changes:
        clean["requested_grant"] = _amount(changes["requested_grant"], "requested_grant", errors)
    if "coordinator_contact_email" in changes:
        email = (changes["coordinator_contact_email"] or "").strip()
        if len(email) > 254:
            errors["coordinator_contact_email"] = "At most 254 characters."
        clean["coordinator_contact_email"] = email
    if "partners" in changes:
        partners: Sequence[PartnerInput] = changes["partners"]
        if len(partners) + 1 > MAX_PARTNERS:
            errors["partners"] = f"At most {MAX_PARTNERS} partners."
        cleaned = []
        for index, partner in enumerate(partners, start=1):
            prefix = f"partners.{index}"
            name = " ".join((partner.name or "").split())
            if not name:
                errors[f"{prefix}.name"] = "Give the partner's name."
            elif len(name) > 200:
                errors[f"{prefix}.name"] = "At most 200 characters."
            country = (partner.country or "").strip().upper()
            if not is_country_code(country):
                errors[f"{prefix}.country"] = "Choose the partner's country."
            email = (partner.contact_email or "").strip()
            if len(email) > 254:
                errors[f"{prefix}.contact_email"] = "At most 254 characters."
            amount = _amount(partner.requested_amount, f"{prefix}.requested_amount", errors)
            cleaned.append(PartnerInput(name=name, country=country,
                                        organisation_type=OrganisationType(partner.organisation_type),
                                        contact_email=email, requested_amount=amount))
        clean["partners"] = cleaned
    if "amounts" in changes:
        amounts = [_amount(value, f"amounts.{i}", errors) for i, value in enumerate(changes["amounts"])]
        expected = len(clean["partners"]) + 1 if "partners" in clean else len(proposal.partners)
        if len(amounts) != expected:
            errors["amounts"] = f"Give one amount per partner ({expected})."
        clean["amounts"] = amounts
    if errors:
        first_field, first = next(iter(errors.items()))
        details: dict[str, Any] = {"fields": errors}
        if len(errors) == 1:
            details["field"] = first_field
        raise InvalidInput(first if len(errors) == 1 else f"{len(errors)} fields cannot be saved: {first}",
                           details=details)
    return clean


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
    if result.rowcount != 1:  # type: ignore[attr-defined]
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
    return EditConflict(
        f"{current.full_name or 'Someone'} saved this proposal at "
        f"{format_local(current.updated_at, proposal.call.time_zone)}, after you opened it. Nothing was "
        "overwritten: compare both versions and save yours again if it should replace theirs.",
        details={"your_version": base_version, "current_version": current.edit_version,
                 "saved_by": current.full_name, "saved_at": current.updated_at.isoformat()})


def save_proposal(proposal: Proposal, *, actor: User, base_version: int, changes: Mapping[str, Any],
                  section: str = "api") -> Proposal:
    """Save some fields of a draft (or of a submitted proposal before the deadline).

    `base_version` is the edit_version the user's form was based on: EditConflict when someone saved since.
    `changes` keys: acronym, title, abstract, strand, duration_months, requested_grant,
    coordinator_contact_email, partners (list of PartnerInput: replaces every partner but the coordinator),
    amounts (one requested amount per partner in order, the coordinator first).
    Side effects: the proposal's fields and partners, edit_version + 1, an audit event.
    """
    _require_editable(proposal, actor)
    if base_version != proposal.edit_version:
        raise _conflict(proposal, base_version)  # before validating: the form may describe an older consortium
    clean = _validated(proposal, changes)
    version = _claim_version(proposal, base_version, actor)
    changed: list[str] = []
    for field in (*SUMMARY_FIELDS, "requested_grant"):
        if field in clean and getattr(proposal, field) != clean[field]:
            setattr(proposal, field, clean[field])
            changed.append(field)
    coordinator = proposal.coordinator
    if "coordinator_contact_email" in clean and coordinator is not None \
            and coordinator.contact_email != clean["coordinator_contact_email"]:
        coordinator.contact_email = clean["coordinator_contact_email"]
        changed.append("coordinator_contact_email")
    if "partners" in clean:
        before = [(p.name, p.country, p.organisation_type, p.contact_email, p.requested_amount)
                  for p in proposal.partners if not p.is_coordinator]
        after = [(p.name, p.country, p.organisation_type, p.contact_email, p.requested_amount)
                 for p in clean["partners"]]
        if before != after:
            for partner in [p for p in proposal.partners if not p.is_coordinator]:
                proposal.partners.remove(partner)
            db.session.flush()  # free the positions before reusing them
            for position, item in enumerate(clean["partners"], start=1):
                proposal.partners.append(Partner(
                    position=position, is_coordinator=False, name=item.name, country=item.country,
                    organisation_type=item.organisation_type, contact_email=item.contact_email,
                    requested_amount=item.requested_amount))
            changed.append("partners")
    if "amounts" in clean:
        ordered = sorted(proposal.partners, key=lambda p: p.position)
        if [p.requested_amount for p in ordered] != clean["amounts"]:
            for partner, amount in zip(ordered, clean["amounts"], strict=True):
                partner.requested_amount = amount
            changed.append("amounts")
    db.session.flush()
    record_event(actor, "proposal.saved", object_type="proposal", object_id=proposal.id, section=section,
                 version=version, fields=changed)
    return proposal


# -- annexes ---------------------------------------------------------------------------------------------------

def upload_annex(proposal: Proposal, *, actor: User, kind: DocumentKind, stream: Any,
                 filename: str | None) -> Document:
    """Add an annex (a new Part B replaces the previous one) while the proposal can still change.

    Side effects: see `documents.upload_document`.
    """
    _require_editable(proposal, actor)
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
        raise NotFound("There is no such proposal.")
    _require_editable(proposal, actor)
    check_text_version(ConsentKind.SUBMISSION_DECLARATION, declaration_version, field="confirm")
    if base_version is not None and base_version != proposal.edit_version:
        raise EditConflict(
            "The proposal changed since you opened it (another tab or a colleague saved it). Review it, then "
            "submit again.", details={"your_version": base_version, "current_version": proposal.edit_version})
    checklist = check_proposal(proposal)
    if not checklist.ok:
        failures = checklist.failures
        raise IneligibleProposal(
            f"The proposal cannot be submitted yet: {len(failures)} check{'s' if len(failures) != 1 else ''} "
            "failed.", details={"failures": [check.as_dict() for check in failures]})
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
    _guard_commit(proposal)
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
    require_officer(actor, to="grant extensions")
    reason = reason.strip()
    if len(reason) < 10:
        raise InvalidInput("Explain the extension in a sentence (at least 10 characters): the applicant sees it "
                           "and it stays in the audit trail.", details={"field": "reason"})
    if len(reason) > 2000:
        raise InvalidInput("At most 2000 characters.", details={"field": "reason"})
    if deadline.tzinfo is None:
        raise InvalidInput("Give the new deadline with its time zone.", details={"field": "deadline"})
    if proposal.is_withdrawn:
        raise InvalidTransition("This proposal was withdrawn; an extension would change nothing.")
    call = proposal.call
    if deadline <= call.deadline:
        raise InvalidInput(f"The new deadline must be later than the call's "
                           f"({format_local(call.deadline, call.time_zone)}).", details={"field": "deadline"})
    if deadline <= utcnow():
        raise InvalidInput("The new deadline must be in the future.", details={"field": "deadline"})
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
