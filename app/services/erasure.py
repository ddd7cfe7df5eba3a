"""Erasing personal data as the record of processing (app/privacy/map.py) declares it: the one engine behind an
erasure on request (app/services/personal_data.py), the retention job (app/services/retention.py) and the erasure
applied again after a backup is restored.

- `erase_rows(rule, subject)` empties (CLEAR) or deletes (DELETE_ROW) exactly the columns the map puts under `rule`,
  in the rows of the subject (a proposal's file, a call's evaluators, an account, or rows older than a cutoff), and
  deletes the stored files of those rows that no other record refers to, once the erasure commits. A column gains its
  erasure by its line in the map; the rows a rule reaches are in SUBJECT_ROWS (tests/privacy/test_map.py checks both
  agree).
- `erase_proposal_content`, `delete_drafts` and `erase_evaluator_declarations` apply a proposal's or a call's rule.
- Erasing a person (their pseudonym everywhere) is app/services/pseudonymisation.py, on this engine.

Each writes an entry of the erasure register (`register_erasure`: the table, and the file ERASURE_REGISTER once
committed) and an audit event that holds no personal data. Submissions refuse changes through the ORM; the erasure
changes them with bulk statements, the one path around that guard, and only ever the columns the map declares
personal.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.clock import utcnow
from app.enums import ErasureKind, ProposalStatus
from app.extensions import db
from app.models import (
    ApiToken,
    Assessment,
    Assignment,
    AttemptCounter,
    Call,
    ConsensusReport,
    ConsensusScore,
    Correction,
    Document,
    EmailChange,
    Erasure,
    IndividualReport,
    IndividualScore,
    JoinRequest,
    Letter,
    LoginAttempt,
    OutboxMessage,
    Partner,
    PersonalDataAccess,
    PoolMember,
    Proposal,
    RecoveryCode,
    RedressRequest,
    Submission,
    User,
    UserSession,
)
from app.privacy import register
from app.privacy.map import (
    ACCESS_LOG,
    ACCOUNT,
    EVALUATOR,
    PROPOSAL_FILE,
    SHORT,
    STORED_FILES,
    Erase,
    Rule,
    columns_of,
)
from app.queries.erasure import erasure_of
from app.queries.retention import invitation_ended_before
from app.services.audit import record_event
from app.storage import get_storage

log = logging.getLogger(__name__)

Selector = Callable[[Any], sa.ColumnElement[bool]]


def _of_proposals(ids: list[int]) -> sa.ColumnElement[bool]:
    return Proposal.id.in_(ids)


# The rows each rule reaches, per table: from the subject's ids (a proposal file, a call's evaluators, an account)
# or from a cutoff time (short-lived rows, the access log).
SUBJECT_ROWS: dict[str, dict[str, Selector]] = {
    PROPOSAL_FILE.key: {
        "proposals": _of_proposals,
        "partners": lambda ids: Partner.proposal_id.in_(ids),
        "documents": lambda ids: Document.proposal_id.in_(ids),
        "submissions": lambda ids: Submission.proposal_id.in_(ids),
        "letters": lambda ids: Letter.proposal_id.in_(ids),
        "outbox_messages": lambda ids: OutboxMessage.letter_id.in_(
            sa.select(Letter.id).where(Letter.proposal_id.in_(ids))),
        "individual_reports": lambda ids: IndividualReport.assignment_id.in_(
            sa.select(Assignment.id).where(Assignment.proposal_id.in_(ids))),
        "individual_scores": lambda ids: IndividualScore.report_id.in_(
            sa.select(IndividualReport.id).join(Assignment, Assignment.id == IndividualReport.assignment_id)
            .where(Assignment.proposal_id.in_(ids))),
        "consensus_reports": lambda ids: ConsensusReport.proposal_id.in_(ids),
        "consensus_scores": lambda ids: ConsensusScore.report_id.in_(
            sa.select(ConsensusReport.id).where(ConsensusReport.proposal_id.in_(ids))),
        "redress_requests": lambda ids: RedressRequest.proposal_id.in_(ids),
        "assessments": lambda ids: Assessment.proposal_id.in_(ids),
    },
    EVALUATOR.key: {
        "pool_members": lambda ids: PoolMember.call_id.in_(ids),
        "assignments": lambda ids: Assignment.call_id.in_(ids),
    },
    ACCOUNT.key: {
        "users": lambda ids: User.id.in_(ids),
        "api_tokens": lambda ids: ApiToken.user_id.in_(ids),
        "user_sessions": lambda ids: UserSession.user_id.in_(ids),
        "recovery_codes": lambda ids: RecoveryCode.user_id.in_(ids),
        "organisation_join_requests": lambda ids: JoinRequest.user_id.in_(ids),
        "personal_data_corrections": lambda ids: Correction.user_id.in_(ids),
    },
    SHORT.key: {
        "login_attempts": lambda cutoff: LoginAttempt.at < cutoff,
        "attempt_counters": lambda cutoff: AttemptCounter.expires_at < int(cutoff.timestamp()),
        "email_changes": lambda cutoff: EmailChange.requested_at < cutoff,
        "organisation_invitations": invitation_ended_before,
    },
    ACCESS_LOG.key: {
        "personal_data_access": lambda cutoff: PersonalDataAccess.at < cutoff,
    },
}


def _empty(column: sa.Column[Any]) -> Any:
    """The value of an emptied column: NULL where allowed, else an empty list (JSON) or an empty string."""
    if column.nullable:
        return None
    if isinstance(column.type, sa.JSON):
        return []
    return ""


def erase_rows(rule: Rule, subject: Any) -> dict[str, int]:
    """Empty or delete what the map puts under `rule` in the rows SUBJECT_ROWS[rule] selects for `subject`, and delete
    the stored files of those rows that nothing else refers to. Returns the number of rows changed per table."""
    db.session.flush()  # the bulk statements below must see, and must not be overwritten by, pending changes
    selectors = SUBJECT_ROWS[rule.key]
    keys = _file_keys(rule, subject)
    counts: dict[str, int] = {}
    for table_name, select_rows in selectors.items():
        table = db.metadata.tables[table_name]
        condition = select_rows(subject)
        if columns_of(table_name, rule, Erase.DELETE_ROW):
            result = db.session.execute(sa.delete(table).where(condition))
        elif cleared := columns_of(table_name, rule, Erase.CLEAR):
            result = db.session.execute(
                sa.update(table).where(condition).values({name: _empty(table.c[name]) for name in cleared}))
        else:
            continue  # reached for its stored files only (letters)
        counts[table_name] = int(getattr(result, "rowcount", 0) or 0)
    files = release_files(keys, rule, subject)
    if files:
        counts["stored_files"] = files
    db.session.expire_all()  # what the session holds was changed under it
    return counts


def _file_keys(rule: Rule, subject: Any) -> set[str]:
    keys: set[str] = set()
    for stored in STORED_FILES:
        if stored.classification.rule is rule and stored.table in SUBJECT_ROWS[rule.key]:
            table = db.metadata.tables[stored.table]
            keys.update(db.session.scalars(sa.select(table.c[stored.key_column]).where(
                SUBJECT_ROWS[rule.key][stored.table](subject))))
    return keys


def release_files(keys: set[str], rule: Rule, subject: Any) -> int:
    """Delete the stored files among `keys` that no record outside the erased rows refers to (files are stored by
    content, so a transferred proposal's copy shares its annexes with the original)."""
    if not keys:
        return 0
    still_used: set[str] = set()
    for stored in STORED_FILES:
        table = db.metadata.tables[stored.table]
        column = table.c[stored.key_column]
        query = sa.select(column).where(column.in_(keys))
        selector = SUBJECT_ROWS[rule.key].get(stored.table)
        if selector is not None and stored.classification.rule is rule:
            query = query.where(sa.not_(selector(subject)))
        still_used.update(db.session.scalars(query))
    return _delete_files(keys - still_used)


# --- the register ----------------------------------------------------------------------------------------------------

def register_erasure(kind: ErasureKind, subject_id: int, label: str, rule: str, *, actor: User | None,
              request_reference: str = "", summary: dict[str, Any], erased_at: datetime | None = None,
              remember: bool = True) -> Erasure:
    entry = Erasure(kind=kind, subject_id=subject_id, label=label[:80], rule=rule, erased_at=erased_at or utcnow(),
                    erased_by_id=actor.id if actor is not None else None, request_reference=request_reference,
                    summary=summary)
    db.session.add(entry)
    db.session.flush()
    if remember:
        register.remember(db.session(), entry.register_entry())
    return entry


# --- a proposal's file, drafts, a call's evaluators ------------------------------------------------------------------

def erase_proposal_content(proposals: Iterable[Proposal], *, rule: Rule, actor: User | None,
                           erased_at: datetime | None = None, remember: bool = True) -> list[Erasure]:
    """Erase the personal content of submitted proposals whose rule ran out: the submitted versions' text, annexes
    and letters (rows and files), contact addresses, texts that may name people, e-mails sent, evaluators'
    comments. The reference, title, scores, decision and every hash stay. Side effects: a register entry and an
    audit event per proposal."""
    entries = []
    for proposal in list(proposals):
        if erasure_of(ErasureKind.PROPOSAL, proposal.id) is not None:
            continue
        proposal_id, reference = proposal.id, proposal.reference
        counts = erase_rows(PROPOSAL_FILE, [proposal_id])
        entry = register_erasure(ErasureKind.PROPOSAL, proposal_id, reference, rule.key, actor=actor,
                                 summary=counts, erased_at=erased_at, remember=remember)
        record_event(actor, "personal_data.proposal_erased", object_type="proposal", object_id=proposal_id,
                     reference=reference, rule=rule.key, counts=counts)
        entries.append(entry)
    return entries


def delete_drafts(proposals: Iterable[Proposal], *, rule: str, actor: User | None, request_reference: str = "",
                  erased_at: datetime | None = None, remember: bool = True) -> list[Erasure]:
    """Delete drafts never submitted, with their partners, annexes and files (nothing requires keeping them).
    Side effects: a register entry and an audit event per draft."""
    entries = []
    for proposal in list(proposals):
        if proposal.submissions or proposal.status is ProposalStatus.SUBMITTED:
            continue  # submitted meanwhile: the proposal's rule applies, not the draft's
        proposal_id, reference = proposal.id, proposal.reference
        keys = {document.sha256 for document in proposal.documents}
        db.session.delete(proposal)
        db.session.flush()
        files = _release_annexes(keys)
        entry = register_erasure(ErasureKind.DRAFT, proposal_id, reference, rule, actor=actor,
                                 request_reference=request_reference, summary={"stored_files": files},
                                 erased_at=erased_at, remember=remember)
        record_event(actor, "personal_data.draft_deleted", object_type="proposal", object_id=proposal_id,
                     reference=reference, rule=rule)
        entries.append(entry)
    return entries


def _release_annexes(keys: set[str]) -> int:
    referenced = set(db.session.scalars(sa.select(Document.sha256).where(Document.sha256.in_(keys))))
    referenced |= set(db.session.scalars(sa.select(Letter.sha256).where(Letter.sha256.in_(keys))))
    return _delete_files(keys - referenced)


def _delete_files(keys: set[str]) -> int:
    """Delete stored files through the storage backend (a folder or S3) once the erasure commits; how many there are.

    Deleting waits for the commit: an erasure rolled back (a refusal later in the request, a job whose write phase
    lost to another delivery) must leave every file its records still point to.
    """
    storage = get_storage()
    present = sorted(key for key in keys if storage.exists(key))
    db.session().info.setdefault(_FILES_TO_DELETE, set()).update(present)
    return len(present)


_FILES_TO_DELETE = "eurogrants.files_to_delete"


@event.listens_for(Session, "after_commit")
def _delete_files_after_commit(session: Session) -> None:
    keys = session.info.pop(_FILES_TO_DELETE, None)
    if not keys:
        return
    storage = get_storage()
    for key in sorted(keys):
        try:
            storage.delete(key)
        except Exception:  # the erasure stands; the file is logged for the operator to remove
            log.exception("an erased file could not be deleted from storage: %s", key)


@event.listens_for(Session, "after_rollback")
def _keep_files_after_rollback(session: Session) -> None:
    session.info.pop(_FILES_TO_DELETE, None)


def erase_evaluator_declarations(calls: Iterable[Call], *, actor: User | None, erased_at: datetime | None = None,
                                 remember: bool = True) -> list[Erasure]:
    """Erase the evaluators' affiliations, expertise and written declarations of calls whose rule ran out.
    Side effects: a register entry and an audit event per call."""
    entries = []
    for call in list(calls):
        if erasure_of(ErasureKind.EVALUATORS, call.id) is not None:
            continue
        call_id, code = call.id, call.code
        counts = erase_rows(EVALUATOR, [call_id])
        entries.append(register_erasure(ErasureKind.EVALUATORS, call_id, code, EVALUATOR.key, actor=actor,
                                        summary=counts, erased_at=erased_at, remember=remember))
        record_event(actor, "personal_data.evaluators_erased", object_type="call", object_id=code,
                     rule=EVALUATOR.key, counts=counts)
    return entries
