"""What an erasure request erases now and what must wait for its retention rule, the pseudonym that replaces a
person, and the erasure register's reads (an erased proposal's entry, an erased letter's 410)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from app.enums import ErasureKind, Role
from app.extensions import db
from app.formatting import format_day
from app.languages import N_
from app.models import Assignment, Erasure, Letter, PoolMember, Proposal, Submission, User, UserRole
from app.privacy import map as privacy_map
from app.queries.personal_data import known_emails, proposals_touched
from app.queries.retention import call_decided_at, evaluator_expiry, proposal_expiry
from app.services.errors import ContentErased, NotFound
from app.storage import get_storage
from app.translation import current_language, gettext, pgettext


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

    what: str  # in English: the erasure register keeps it
    rule: privacy_map.Rule | None = None
    until: datetime | None = None
    said: str = ""  # `what` in the language being spoken, for the person reading the assessment
    rule_name: str = ""  # the rule's name and how long it keeps, in the language being spoken
    kept_for: str = ""

    @property
    def shown(self) -> str:
        return self.said or self.what


def _item(message: str, rule: privacy_map.Rule | None = None, until: datetime | None = None,
          **values: str) -> ErasureItem:
    """An item worded by a catalogue message: in English for the register, in the reader's language to show."""
    return ErasureItem(message % values if values else message, rule, until, said=gettext(message, **values))


@dataclass
class ErasureAssessment:
    """An erasure request assessed against the record of processing."""

    person: User
    pseudonym: str
    now: list[ErasureItem]
    waiting: list[ErasureItem]

    def summary(self) -> list[dict[str, Any]]:
        """What waits, without personal data: kept in the erasure register's entry."""
        return [{"what": item.what, "rule": item.rule.key if item.rule else None,
                 "until": None if item.until is None else item.until.isoformat()} for item in self.waiting]


def assess_erasure(person: User, config: Mapping[str, Any]) -> ErasureAssessment:
    """What erasing `person` erases now, and what must wait for its retention rule (with the date it ends)."""
    pseudonym = person_pseudonym(person.id)
    emails = known_emails(person)
    now = [_item(N_("Your name and e-mail address, replaced everywhere by “%(pseudonym)s”"), pseudonym=pseudonym),
           _item(N_("Your password, API tokens, log-in history, corrections and requests to join an organisation")),
           _item(N_("Invitations and e-mails sent to your address: they keep the pseudonym instead"))]
    if person.organisation is not None:
        now.append(_item(N_("Your membership of %(organisation)s"), organisation=person.organisation.name))
    drafts = drafts_erased_with(person)
    if drafts:
        message = N_("Drafts never submitted of your organisation, of which you are the only member: %(drafts)s — "
                     "deleted with their annexes")
        now.append(ErasureItem(
            message % {"drafts": ", ".join(f"{p.acronym or 'untitled'} ({p.reference})" for p in drafts)},
            said=gettext(message, drafts=", ".join(
                f"{p.acronym or pgettext('proposal', 'untitled')} ({p.reference})" for p in drafts))))
    waiting = []
    for proposal in proposals_touched(person, emails):
        if not proposal.submissions:
            continue
        expiry = proposal_expiry(proposal, config)
        waiting.append(ErasureItem(
            f"{proposal.acronym or 'Untitled'} ({proposal.reference}): its submitted versions, annexes and letters, "
            "where your name or address appears", expiry.rule, expiry.until,
            said=gettext("%(proposal)s (%(reference)s): its submitted versions, annexes and letters, where your name "
                         "or address appears", proposal=proposal.acronym or gettext("Untitled"),
                         reference=proposal.reference)))
    members = list(db.session.scalars(sa.select(PoolMember).where(PoolMember.user_id == person.id)
                                      .options(selectinload(PoolMember.call)).order_by(PoolMember.id)))
    decided = call_decided_at([m.call_id for m in members])
    for member in members:
        expiry = evaluator_expiry(decided.get(member.call_id), config)
        waiting.append(_item(N_("Your affiliation, expertise and declarations as an evaluator of %(call)s, under the "
                                "pseudonym"), expiry.rule, expiry.until, call=member.call.code))
    assessed = db.session.scalars(sa.select(Proposal).join(Assignment, Assignment.proposal_id == Proposal.id)
                                  .where(Assignment.evaluator_id == person.id)
                                  .options(selectinload(Proposal.submissions)).order_by(Proposal.id)).unique()
    for proposal in assessed:
        expiry = proposal_expiry(proposal, config)
        waiting.append(_item(N_("Your evaluation of %(reference)s, under the pseudonym, with that proposal's file"),
                             expiry.rule, expiry.until, reference=proposal.reference))
    waiting.append(_item(N_("The audit trail of what you did: kept, naming the pseudonym instead of you"),
                         privacy_map.AUDIT, None))
    waiting = [replace(item, rule_name=gettext(item.rule.name), kept_for=item.rule.describe(config, gettext))
               if item.rule is not None else item for item in waiting]
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
        raise ContentErased(N_("This letter's content was erased on %(day)s under the rule “%(rule)s”; its hash "
                               "(%(sha256)s) stays on record."),
                            day=format_day(entry.erased_at.date(), locale=current_language()),
                            rule=gettext(erasure_rule_name(entry)), sha256=letter.sha256)
    raise NotFound(N_("This letter's file is missing: tell the programme officer."))
