"""Reads about personal data: the privacy statements generated from the record of processing (app/privacy/map.py),
what is held about a person (the export), what an erasure request can erase now and what must wait, and the log of
officers' access to personal data."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload
from werkzeug.utils import secure_filename

from app.clock import utcnow
from app.enums import ErasureKind, OutboxStatus, Role
from app.extensions import db
from app.models import (
    ApiToken,
    Assignment,
    AuditEvent,
    Call,
    ConsensusReport,
    ConsensusScore,
    Consent,
    Correction,
    Document,
    EmailChange,
    Erasure,
    IndividualReport,
    IndividualScore,
    Invitation,
    JoinRequest,
    Letter,
    OutboxMessage,
    Partner,
    PersonalDataAccess,
    PoolMember,
    Proposal,
    Submission,
    User,
    UserRole,
)
from app.privacy import map as privacy_map
from app.privacy.map import PURPOSES, Purpose, SummaryRow
from app.privacy.texts import find_text
from app.queries.retention import call_decided_at, evaluator_expiry, proposal_expiry
from app.services.errors import ContentErased, NotFound
from app.storage import get_storage

# --- privacy statements --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementRow:
    """One kind of personal data in a privacy statement."""

    category: str
    basis: privacy_map.LegalBasis
    kept: str  # how long, with the configured periods
    then: str
    files: bool


@dataclass(frozen=True)
class StatementSection:
    purpose: Purpose
    rows: list[StatementRow]


@dataclass(frozen=True)
class PrivacyStatement:
    """A privacy statement: the instance's, or a call's (with its own controller and DPO when it names them)."""

    call: Call | None
    controller: str
    dpo: str
    sections: list[StatementSection]


def _row(row: SummaryRow, config: Mapping[str, Any]) -> StatementRow:
    return StatementRow(category=row.category, basis=row.basis, kept=row.rule.describe(config), then=row.rule.then,
                        files=any(name.startswith("files: ") for name in row.columns))


def privacy_statement(call: Call | None, config: Mapping[str, Any]) -> PrivacyStatement:
    """The statement for `call` (or the instance), generated from the map: by purpose, what is kept, on which legal
    basis, for how long and what happens then."""
    rows = privacy_map.summary()
    sections = [StatementSection(purpose, [_row(row, config) for row in rows if row.purpose is purpose])
                for purpose in PURPOSES]
    return PrivacyStatement(
        call=call,
        controller=(call.privacy_controller if call is not None else "") or str(config["PRIVACY_CONTROLLER"]),
        dpo=(call.privacy_dpo if call is not None else "") or str(config["PRIVACY_DPO"]),
        sections=[section for section in sections if section.rows],
    )


# --- officers' access to personal data -----------------------------------------------------------------------------

ACCESS_LOG_PAGE = 200


def access_log(*, officer_email: str = "", reference: str = "",
               limit: int = ACCESS_LOG_PAGE) -> list[PersonalDataAccess]:
    """The latest officers' accesses to personal data, newest first, optionally of one officer (by e-mail address)
    or about one proposal (by reference): two queries whatever the number of rows."""
    query = (sa.select(PersonalDataAccess)
             .options(selectinload(PersonalDataAccess.user), selectinload(PersonalDataAccess.subject))
             .order_by(PersonalDataAccess.at.desc(), PersonalDataAccess.id.desc()).limit(limit))
    if officer_email.strip():
        query = query.join(User, User.id == PersonalDataAccess.user_id).where(
            User.email == officer_email.strip().lower())
    if reference.strip():
        query = query.where(PersonalDataAccess.proposal_reference == reference.strip().upper())
    return list(db.session.scalars(query))


def find_person(email: str) -> User | None:
    """The account with this e-mail address (as typed: case and spaces do not matter)."""
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


# --- what is held about a person (access and portability) ------------------------------------------------------------

EXPORT_FORMAT = "eurogrants/personal-data-1"
_EMAIL = re.compile(r"[^\s@\"'<>,;]+@[^\s@\"'<>,;]+\.[A-Za-z]{2,}")
ANOTHER_PERSON = "(another person)"


@dataclass(frozen=True)
class ExportFile:
    """A file of the export: a stored file (`key`) or bytes made for it (`data`), at `path` in the ZIP."""

    path: str
    key: str | None = None
    data: bytes | None = None


@dataclass
class PersonalDataExport:
    """Everything held about one person: a machine-readable document and the files it names."""

    subject: User
    document: dict[str, Any]
    files: list[ExportFile] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """How many of each kind of record: what the person's page summarises."""
        proposals = self.document["proposals"]
        evaluation = self.document["evaluation"]
        return {
            "proposals": len(proposals),
            "versions": sum(len(p.get("submitted_versions", [])) for p in proposals),
            "annexes": sum(len(p.get("annexes", [])) for p in proposals),
            "letters": sum(len(p.get("letters", [])) for p in proposals),
            "emails": len(self.document["emails_sent_to_you"]),
            "evaluations": len(evaluation["assignments"]),
            "consents": len(self.document["consents"]),
            "audit_events": len(self.document["your_actions_in_the_audit_trail"]),
        }


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{amount:.2f}"


def _without_others(value: Any, own: set[str]) -> Any:
    """`value` with every e-mail address that is not the person's own replaced: an export must not disclose other
    people's data (Art. 15(4) GDPR)."""
    if isinstance(value, str):
        return _EMAIL.sub(lambda m: m.group(0) if m.group(0).lower() in own else ANOTHER_PERSON, value)
    if isinstance(value, list):
        return [_without_others(item, own) for item in value]
    if isinstance(value, dict):
        return {key: _without_others(item, own) for key, item in value.items()}
    return value


def _safe_name(text: str, fallback: str) -> str:
    return secure_filename(text) or fallback


def known_emails(person: User) -> set[str]:
    """Every e-mail address the person has had here: the current one and those they corrected."""
    emails = {person.email.lower()}
    emails.update(value.lower() for value in db.session.scalars(
        sa.select(Correction.old_value).where(Correction.user_id == person.id, Correction.field == "email")) if value)
    return emails


def _proposals_touched(person: User, emails: set[str]) -> list[Proposal]:
    """The proposals of the person's organisation, and any other proposal that records them: created, saved,
    submitted or withdrew it, uploaded an annex, or is named as a partner's contact."""
    touched = sa.or_(
        Proposal.created_by_id == person.id, Proposal.updated_by_id == person.id,
        Proposal.withdrawn_by_id == person.id,
        Proposal.id.in_(sa.select(Submission.proposal_id).where(Submission.submitted_by_id == person.id)),
        Proposal.id.in_(sa.select(Document.proposal_id).where(Document.uploaded_by_id == person.id)),
        Proposal.id.in_(sa.select(Partner.proposal_id).where(sa.func.lower(Partner.contact_email).in_(emails))),
    )
    if person.organisation_id is not None and person.has_role(Role.APPLICANT):
        touched = sa.or_(touched, Proposal.organisation_id == person.organisation_id)
    return list(db.session.scalars(
        sa.select(Proposal).where(touched)
        .options(selectinload(Proposal.call), selectinload(Proposal.organisation), selectinload(Proposal.partners),
                 selectinload(Proposal.documents), selectinload(Proposal.submissions))
        .order_by(Proposal.created_at, Proposal.id)))


def _proposal_record(proposal: Proposal, person: User, emails: set[str], *, member: bool,
                     letters: list[Letter], files: list[ExportFile]) -> dict[str, Any]:
    base = f"proposals/{_safe_name(proposal.reference, str(proposal.id))}"
    your_part = [part for part, applies in (
        ("created it", proposal.created_by_id == person.id),
        ("saved it last", proposal.updated_by_id == person.id),
        ("withdrew it", proposal.withdrawn_by_id == person.id),
        ("uploaded annexes", any(d.uploaded_by_id == person.id for d in proposal.documents)),
        ("submitted versions", any(s.submitted_by_id == person.id for s in proposal.submissions)),
        ("named as a contact", any(p.contact_email.lower() in emails for p in proposal.partners if p.contact_email)),
        ("member of its organisation", member),
    ) if applies]
    record: dict[str, Any] = {
        "reference": proposal.reference, "call": proposal.call.code, "acronym": proposal.acronym,
        "title": proposal.title, "status": proposal.status.value, "your_part": your_part,
    }
    if not member:
        # Not the person's organisation (any more): only what records them, none of the organisation's content.
        record["versions_you_submitted"] = [
            {"version": s.version, "receipt_number": s.receipt_number, "submitted_at": _time(s.submitted_at)}
            for s in proposal.submissions if s.submitted_by_id == person.id]
        record["contacts_with_your_address"] = [
            {"partner": p.name, "contact_email": p.contact_email} for p in proposal.partners
            if p.contact_email and p.contact_email.lower() in emails]
        return record
    record.update({
        "organisation": proposal.organisation.name, "abstract": proposal.abstract, "strand": proposal.strand,
        "duration_months": proposal.duration_months, "requested_grant": _money(proposal.requested_grant),
        "decision": proposal.decision.value if proposal.decision else None, "decided_at": _time(proposal.decided_at),
        "created_at": _time(proposal.created_at),
        "partners": [{"position": p.position, "coordinator": p.is_coordinator, "name": p.name, "country": p.country,
                      "organisation_type": p.organisation_type.value, "contact_email": p.contact_email,
                      "requested_amount": _money(p.requested_amount)} for p in proposal.partners],
        "annexes": [], "submitted_versions": [], "letters": [],
    })
    for document in proposal.documents:
        path = f"{base}/annexes/{document.id}-{_safe_name(document.filename, 'annex.pdf')}"
        record["annexes"].append({"kind": document.kind.value, "filename": document.filename,
                                  "sha256": document.sha256, "pages": document.page_count,
                                  "uploaded_at": _time(document.uploaded_at), "removed_at": _time(document.removed_at),
                                  "uploaded_by_you": document.uploaded_by_id == person.id, "file": path})
        files.append(ExportFile(path, key=document.sha256))
    for submission in proposal.submissions:
        path = f"{base}/submitted/v{submission.version}-{_safe_name(submission.receipt_number, 'receipt')}.json"
        entry = {"version": submission.version, "receipt_number": submission.receipt_number,
                 "sha256": submission.sha256, "submitted_at": _time(submission.submitted_at),
                 "submitted_by_you": submission.submitted_by_id == person.id}
        if submission.snapshot:
            entry["snapshot_file"] = path  # the exact text that was hashed: sha256sum of the file is `sha256`
            files.append(ExportFile(path, data=submission.snapshot.encode("utf-8")))
        record["submitted_versions"].append(entry)
    for letter in letters:
        path = f"{base}/letters/{_safe_name(letter.reference, str(letter.id))}.pdf"
        record["letters"].append({"reference": letter.reference, "kind": letter.kind.value,
                                  "decision_date": _time(letter.decision_date), "sha256": letter.sha256,
                                  "verification_code": letter.verification_code, "file": path})
        files.append(ExportFile(path, key=letter.sha256))
    return record


def _evaluation_records(person: User) -> dict[str, Any]:
    """The evaluator's pools, declarations and own reports; never another evaluator's name or report."""
    members = db.session.scalars(
        sa.select(PoolMember).where(PoolMember.user_id == person.id).options(selectinload(PoolMember.call))
        .order_by(PoolMember.id))
    assignments = db.session.scalars(
        sa.select(Assignment).where(Assignment.evaluator_id == person.id)
        .options(selectinload(Assignment.proposal).selectinload(Proposal.call),
                 selectinload(Assignment.report).selectinload(IndividualReport.scores)
                 .selectinload(IndividualScore.criterion))
        .order_by(Assignment.id))
    consensus = db.session.scalars(
        sa.select(ConsensusReport).where(ConsensusReport.rapporteur_id == person.id)
        .options(selectinload(ConsensusReport.proposal), selectinload(ConsensusReport.scores)
                 .selectinload(ConsensusScore.criterion)).order_by(ConsensusReport.id))

    def scores(rows: Any) -> list[dict[str, Any]]:
        return [{"criterion": s.criterion.name, "score": None if s.score is None else str(s.score),
                 "comment": s.comment} for s in sorted(rows, key=lambda s: s.criterion.position)]

    return {
        "pools": [{"call": m.call.code, "organisation": m.organisation_name, "country": m.country,
                   "expertise": list(m.expertise or []), "max_load": m.max_load, "invited_at": _time(m.invited_at),
                   "code_of_conduct_accepted_at": _time(m.code_of_conduct_accepted_at),
                   "withdrawn_at": _time(m.withdrawn_at), "withdrawn_reason": m.withdrawn_reason} for m in members],
        "assignments": [{
            "call": a.proposal.call.code, "proposal": a.proposal.reference, "acronym": a.proposal.acronym,
            "state": a.state.value, "rapporteur": a.is_rapporteur, "conflict": a.conflict.value,
            "conflict_note": a.conflict_note, "declared_at": _time(a.declared_at),
            "withdrawn_at": _time(a.withdrawn_at), "withdrawn_reason": a.withdrawn_reason,
            "your_report": None if a.report is None else {
                "status": a.report.status.value, "submitted_at": _time(a.report.submitted_at),
                "overall_comment": a.report.overall_comment, "scores": scores(a.report.scores)},
        } for a in assignments],
        "consensus_reports_you_drafted": [{
            "proposal": c.proposal.reference, "status": c.status.value, "submitted_at": _time(c.submitted_at),
            "overall_comment": c.overall_comment, "scores": scores(c.scores)} for c in consensus],
    }


def personal_data_export(person: User, *, now: datetime | None = None) -> PersonalDataExport:
    """Everything Eurogrants holds about `person` (Art. 15 and 20 GDPR, Art. 17 and 22 of Regulation (EU) 2018/1725):
    their account, organisation, the proposals they belong to with versions, annexes and letters, the e-mails sent
    to them, their declarations and consents, their own evaluation reports, and what they did in the audit trail —
    never another evaluator's name or report, nor another person's e-mail address."""
    emails = known_emails(person)
    files: list[ExportFile] = []
    proposals = _proposals_touched(person, emails)
    member_ids = {p.id for p in proposals if person.organisation_id is not None
                  and p.organisation_id == person.organisation_id and person.has_role(Role.APPLICANT)}
    letters: dict[int, list[Letter]] = {}
    for letter in db.session.scalars(
            sa.select(Letter).where(Letter.proposal_id.in_(member_ids), Letter.published_at.is_not(None))
            .order_by(Letter.decision_date, Letter.id)):
        letters.setdefault(letter.proposal_id, []).append(letter)
    organisation = person.organisation
    join_requests = db.session.scalars(sa.select(JoinRequest).where(JoinRequest.user_id == person.id)
                                       .options(selectinload(JoinRequest.organisation)).order_by(JoinRequest.id))
    invitations = db.session.scalars(sa.select(Invitation).where(sa.func.lower(Invitation.email).in_(emails))
                                     .options(selectinload(Invitation.organisation)).order_by(Invitation.id))
    document: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "generated_at": _time(now or utcnow()),
        "about": "Everything Eurogrants holds about you. Files named here are in this ZIP; each submitted version's "
                 "file is the exact text that was hashed (sha256sum it to check its receipt).",
        "account": {
            "id": person.id, "full_name": person.full_name, "email": person.email,
            "roles": sorted(role.value for role in person.roles), "created_at": _time(person.created_at),
            "last_login_at": _time(person.last_login_at), "active": person.is_active_account,
            "organisation": None if organisation is None else {
                "name": organisation.name, "country": organisation.country, "type": organisation.type.value},
        },
        "api_tokens": [{"label": t.label, "created_at": _time(t.created_at), "last_used_at": _time(t.last_used_at),
                        "revoked_at": _time(t.revoked_at)}
                       for t in db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == person.id)
                                                   .order_by(ApiToken.id))],
        "email_changes": [{"new_email": c.new_email, "requested_at": _time(c.requested_at),
                           "confirmed_at": _time(c.confirmed_at), "cancelled_at": _time(c.cancelled_at)}
                          for c in db.session.scalars(sa.select(EmailChange).where(EmailChange.user_id == person.id)
                                                      .order_by(EmailChange.id))],
        "corrections": [{"field": c.field, "old_value": c.old_value, "new_value": c.new_value,
                         "corrected_at": _time(c.corrected_at)}
                        for c in db.session.scalars(sa.select(Correction).where(Correction.user_id == person.id)
                                                    .order_by(Correction.id))],
        "consents": [{"kind": c.kind.value, "text_version": c.text_version, "text_sha256": c.text_sha256,
                      "text": list(text.lines) if (text := find_text(c.kind, c.text_version)) else None,
                      "given_at": _time(c.given_at), "call_id": c.call_id, "submission_id": c.submission_id}
                     for c in db.session.scalars(sa.select(Consent).where(Consent.user_id == person.id)
                                                 .order_by(Consent.id))],
        "organisation_requests": [{"organisation": r.organisation.name, "message": r.message,
                                   "status": r.status.value, "created_at": _time(r.created_at),
                                   "decided_at": _time(r.decided_at)} for r in join_requests],
        "invitations_to_you": [{"organisation": i.organisation.name, "status": i.status.value,
                                "created_at": _time(i.created_at), "expires_at": _time(i.expires_at)}
                               for i in invitations],
        "proposals": [_proposal_record(p, person, emails, member=p.id in member_ids, letters=letters.get(p.id, []),
                                       files=files) for p in proposals],
        "emails_sent_to_you": _emails_to(emails),
        "evaluation": _evaluation_records(person),
        "your_actions_in_the_audit_trail": [
            {"at": _time(e.at), "action": e.action, "object_type": e.object_type, "object_id": e.object_id,
             "data": _without_others(e.data, emails)}
            for e in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.actor_id == person.id)
                                        .order_by(AuditEvent.at, AuditEvent.id))],
    }
    return PersonalDataExport(subject=person, document=document, files=files)


def _emails_to(emails: set[str]) -> list[dict[str, Any]]:
    """The notification e-mails sent to any of the person's addresses, with only their own address as recipient."""
    found = []
    matches = sa.or_(*(sa.func.lower(sa.cast(OutboxMessage.recipients, sa.Text)).contains(email)
                       for email in sorted(emails)))
    for message in db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.SENT,
                                                                     matches).order_by(OutboxMessage.id)):
        mine = [address for address in message.recipients if address.lower() in emails]
        if mine:
            found.append({"to": mine, "subject": message.subject, "sent_at": _time(message.sent_at),
                          "body": message.body})
    return found


README_TEXT = """Your personal data held by Eurogrants
=======================================

personal-data.json   everything held about you, machine-readable (format {format}).
proposals/           for each proposal of your organisation: its annexes, the exact text of each submitted version
                     (sha256sum a file to check it against its receipt) and its published letters.

Generated {generated_at} (UTC). The privacy statement explains why each item is kept and for how long.
"""


def export_zip(export: PersonalDataExport) -> bytes:
    """The export as a ZIP: personal-data.json, README.txt and the files (a stored file no longer there is left
    out: its record says so)."""
    storage = get_storage()
    document = export.document
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", README_TEXT.format(format=document["format"],
                                                          generated_at=document["generated_at"]))
        missing = []
        for item in export.files:
            if item.data is not None:
                archive.writestr(item.path, item.data)
            elif item.key is not None and storage.exists(item.key):
                with storage.open(item.key) as stream:
                    archive.writestr(item.path, stream.read())
            else:
                missing.append(item.path)
        archive.writestr("personal-data.json", json.dumps({**document, "files_no_longer_stored": missing},
                                                          indent=2, ensure_ascii=False, sort_keys=True))
    return buffer.getvalue()


def export_filename(person: User, now: datetime | None = None) -> str:
    return f"eurogrants-personal-data-{person.id}-{(now or utcnow()):%Y%m%d}.zip"


def open_email_change(person: User) -> EmailChange | None:
    """The person's change of e-mail address still waiting for its link, if any."""
    change = db.session.scalar(sa.select(EmailChange).where(
        EmailChange.user_id == person.id, EmailChange.confirmed_at.is_(None), EmailChange.cancelled_at.is_(None))
        .order_by(EmailChange.id.desc()).limit(1))
    return change if change is not None and change.is_open() else None


def corrections_since(submission: Submission) -> list[Correction]:
    """Corrections of the submitter's name or address, or of the organisation's details, made after `submission`:
    shown beside its receipt, whose snapshot and hash stand as submitted."""
    proposal = submission.proposal
    return list(db.session.scalars(
        sa.select(Correction).where(
            sa.or_(Correction.user_id == submission.submitted_by_id,
                   Correction.organisation_id == proposal.organisation_id),
            Correction.corrected_at > submission.submitted_at)
        .order_by(Correction.corrected_at, Correction.id)))


def email_change_token(change: EmailChange) -> str:
    """The secret of the link that confirms `change`: an HMAC of the row with the server's key (nothing stored)."""
    message = f"email-change:{change.id}:{change.user_id}:{change.new_email}:{change.requested_at.isoformat()}"
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def email_link_matches(change: EmailChange, token: str) -> bool:
    """Whether a link's token is the one sent for `change` (compared in constant time)."""
    return hmac.compare_digest(token.encode()[:200], email_change_token(change).encode())


# --- erasure: what may go now, what must wait ------------------------------------------------------------------------

def person_pseudonym(user_id: int) -> str:
    """"Person 7f3a9c2e01": the same for the same account, and meaningless without the server's key."""
    key = str(current_app.config.get("PSEUDONYM_KEY") or current_app.config["SECRET_KEY"]).encode()
    return "Person " + hmac.new(key, f"person:{user_id}".encode(), hashlib.sha256).hexdigest()[:10]


def drafts_erased_with(person: User) -> list[Proposal]:
    """Drafts never submitted of an organisation whose only member is `person`: nobody else needs them."""
    organisation_id = person.organisation_id
    if organisation_id is None or not person.has_role(Role.APPLICANT):
        return []
    members = db.session.scalar(
        sa.select(sa.func.count()).select_from(User).join(UserRole, UserRole.user_id == User.id)
        .where(User.organisation_id == organisation_id, UserRole.role == Role.APPLICANT))
    if members != 1:
        return []
    return list(db.session.scalars(
        sa.select(Proposal).where(Proposal.organisation_id == organisation_id,
                                  Proposal.id.not_in(sa.select(Submission.proposal_id)))
        .order_by(Proposal.id)))


@dataclass(frozen=True)
class ErasureItem:
    """Something an erasure request reaches: it goes now (no `rule`), or waits for its rule (`until`, None while
    the event the rule runs from has not happened)."""

    what: str
    rule: privacy_map.Rule | None = None
    until: datetime | None = None


@dataclass
class ErasureAssessment:
    """An erasure request assessed against the record of processing."""

    person: User
    pseudonym: str
    now: list[ErasureItem]
    waiting: list[ErasureItem]

    def summary(self) -> list[dict[str, Any]]:
        """What waits, without personal data: kept in the erasure register's entry."""
        return [{"what": item.what, "rule": item.rule.key if item.rule else None, "until": _time(item.until)}
                for item in self.waiting]


def assess_erasure(person: User, config: Mapping[str, Any]) -> ErasureAssessment:
    """What erasing `person` erases now, and what must wait for its retention rule (with the date it ends)."""
    pseudonym = person_pseudonym(person.id)
    emails = known_emails(person)
    now = [ErasureItem(f"Your name and e-mail address, replaced everywhere by “{pseudonym}”"),
           ErasureItem("Your password, API tokens, log-in history, corrections and requests to join an organisation"),
           ErasureItem("Invitations and e-mails sent to your address: they keep the pseudonym instead")]
    if person.organisation is not None:
        now.append(ErasureItem(f"Your membership of {person.organisation.name}"))
    drafts = drafts_erased_with(person)
    if drafts:
        now.append(ErasureItem("Drafts never submitted of your organisation, of which you are the only member: "
                               + ", ".join(f"{p.acronym or 'untitled'} ({p.reference})" for p in drafts)
                               + " — deleted with their annexes"))
    waiting = []
    for proposal in _proposals_touched(person, emails):
        if not proposal.submissions:
            continue
        expiry = proposal_expiry(proposal, config)
        waiting.append(ErasureItem(
            f"{proposal.acronym or 'Untitled'} ({proposal.reference}): its submitted versions, annexes and letters, "
            "where your name or address appears", expiry.rule, expiry.until))
    members = list(db.session.scalars(sa.select(PoolMember).where(PoolMember.user_id == person.id)
                                      .options(selectinload(PoolMember.call)).order_by(PoolMember.id)))
    decided = call_decided_at([m.call_id for m in members])
    for member in members:
        expiry = evaluator_expiry(decided.get(member.call_id), config)
        waiting.append(ErasureItem(f"Your affiliation, expertise and declarations as an evaluator of "
                                   f"{member.call.code}, under the pseudonym", expiry.rule, expiry.until))
    assessed = db.session.scalars(sa.select(Proposal).join(Assignment, Assignment.proposal_id == Proposal.id)
                                  .where(Assignment.evaluator_id == person.id)
                                  .options(selectinload(Proposal.submissions)).order_by(Proposal.id)).unique()
    for proposal in assessed:
        expiry = proposal_expiry(proposal, config)
        waiting.append(ErasureItem(f"Your evaluation of {proposal.reference}, under the pseudonym, with that "
                                   "proposal's file", expiry.rule, expiry.until))
    waiting.append(ErasureItem("The audit trail of what you did: kept, naming the pseudonym instead of you",
                               privacy_map.AUDIT, None))
    return ErasureAssessment(person=person, pseudonym=pseudonym, now=now, waiting=waiting)


def erasure_of(kind: ErasureKind, subject_id: int) -> Erasure | None:
    """The register's entry for a subject, if it was erased."""
    return db.session.scalar(sa.select(Erasure).where(Erasure.kind == kind, Erasure.subject_id == subject_id)
                             .order_by(Erasure.id).limit(1))


def proposal_erasure(proposal_id: int) -> Erasure | None:
    """The register's entry of a proposal whose personal content was erased (its snapshots, annexes, letters)."""
    return erasure_of(ErasureKind.PROPOSAL, proposal_id)


def erasure_rule_name(entry: Erasure) -> str:
    rule = privacy_map.RULES.get(entry.rule)
    return rule.name if rule is not None else entry.rule


def require_letter_file(letter: Letter) -> None:
    """ContentErased (410) when the letter's file went with its proposal's personal content under a rule; NotFound
    when it is missing otherwise. Nothing when the file is there."""
    if get_storage().exists(letter.sha256):
        return
    entry = proposal_erasure(letter.proposal_id)
    if entry is not None:
        raise ContentErased(f"This letter's content was erased on {entry.erased_at:%d %B %Y} under the rule "
                            f"“{erasure_rule_name(entry)}”; its hash ({letter.sha256}) stays on record.")
    raise NotFound("This letter's file is missing: tell the programme officer.")
