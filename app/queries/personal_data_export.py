"""What is held about a person (access and portability, Art. 15 and 20 GDPR): the machine-readable document, the
files it names and the ZIP they are downloaded in."""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from werkzeug.utils import secure_filename

from app.clock import utcnow
from app.enums import OutboxStatus, Role
from app.extensions import db
from app.models import (
    ApiToken,
    Assignment,
    AuditEvent,
    ConsensusReport,
    ConsensusScore,
    Consent,
    Correction,
    EmailChange,
    IndividualReport,
    IndividualScore,
    Invitation,
    JoinRequest,
    Letter,
    OutboxMessage,
    PoolMember,
    Proposal,
    User,
)
from app.privacy.texts import find_text
from app.queries.personal_data import known_emails, proposals_touched
from app.storage import get_storage

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
    document: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "generated_at": _time(now or utcnow()),
        "about": "Everything Eurogrants holds about you. Files named here are in this ZIP; each submitted version's "
                 "file is the exact text that was hashed (sha256sum it to check its receipt).",
        "account": _account_record(person),
        **_account_history(person, emails),
        "proposals": _proposal_records(person, emails, files),
        "emails_sent_to_you": _emails_to(emails),
        "evaluation": _evaluation_records(person),
        "your_actions_in_the_audit_trail": _audit_actions(person, emails),
    }
    return PersonalDataExport(subject=person, document=document, files=files)


def _account_record(person: User) -> dict[str, Any]:
    organisation = person.organisation
    return {
        "id": person.id, "full_name": person.full_name, "email": person.email,
        "roles": sorted(role.value for role in person.roles), "created_at": _time(person.created_at),
        "last_login_at": _time(person.last_login_at), "active": person.is_active_account,
        "organisation": None if organisation is None else {
            "name": organisation.name, "country": organisation.country, "type": organisation.type.value},
    }


def _account_history(person: User, emails: set[str]) -> dict[str, Any]:
    """The account's tokens, changes of address, corrections and consents (with the text accepted), and its requests
    to join an organisation and invitations to one."""
    join_requests = db.session.scalars(sa.select(JoinRequest).where(JoinRequest.user_id == person.id)
                                       .options(selectinload(JoinRequest.organisation)).order_by(JoinRequest.id))
    invitations = db.session.scalars(sa.select(Invitation).where(sa.func.lower(Invitation.email).in_(emails))
                                     .options(selectinload(Invitation.organisation)).order_by(Invitation.id))
    return {
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
    }


def _proposal_records(person: User, emails: set[str], files: list[ExportFile]) -> list[dict[str, Any]]:
    """The proposals that record the person; those of their organisation in full with their published letters (whose
    files, like the annexes' and versions', are added to `files`)."""
    proposals = proposals_touched(person, emails)
    member_ids = {p.id for p in proposals if person.organisation_id is not None
                  and p.organisation_id == person.organisation_id and person.has_role(Role.APPLICANT)}
    letters: dict[int, list[Letter]] = {}
    for letter in db.session.scalars(
            sa.select(Letter).where(Letter.proposal_id.in_(member_ids), Letter.published_at.is_not(None))
            .order_by(Letter.decision_date, Letter.id)):
        letters.setdefault(letter.proposal_id, []).append(letter)
    return [_proposal_record(p, person, emails, member=p.id in member_ids, letters=letters.get(p.id, []),
                             files=files) for p in proposals]


def _audit_actions(person: User, emails: set[str]) -> list[dict[str, Any]]:
    """What the person did in the audit trail, with other people's addresses in its data replaced."""
    return [{"at": _time(e.at), "action": e.action, "object_type": e.object_type, "object_id": e.object_id,
             "data": _without_others(e.data, emails)}
            for e in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.actor_id == person.id)
                                        .order_by(AuditEvent.at, AuditEvent.id))]


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

