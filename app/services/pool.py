"""The evaluator pool of a call: invitations, the code of conduct, the evaluator's profile, loads and withdrawals
(read in app.queries.pool)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from app.clock import utcnow
from app.countries import is_country_code
from app.enums import AssignmentState, ConsentKind, Gender, ReportStatus, Role
from app.extensions import db
from app.languages import N_
from app.models import Assignment, Call, IndividualReport, PoolMember, User
from app.models.limits import (
    MAX_AFFILIATION,
    MAX_EXPERTISE_KEYWORD,
    MAX_EXPERTISE_KEYWORDS,
    MAX_EXPERTISE_STATEMENT,
    MAX_LOAD_LIMIT,
    MIN_WITHDRAWAL_REASON,
)
from app.privacy.texts import current_text
from app.queries.access import require_officer
from app.queries.pool import current_loads
from app.services.audit import record_event
from app.services.consents import check_text_version, record_consent
from app.services.errors import AlreadyExists, InvalidInput, InvalidTransition, NotAllowed


def _clean_expertise(call: Call, expertise: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(e.strip() for e in expertise if e and e.strip()))
    if call.strands:
        unknown = [e for e in chosen if e not in call.strands]
        if unknown:
            raise InvalidInput(N_("Not a %(strand_label)s of this call: %(unknown)s."), details={"field": "expertise"},
                               strand_label=call.strand_label.lower(), unknown=", ".join(unknown))
    return chosen


def _clean_affiliation(organisation_name: str | None, country: str | None, user: User) -> tuple[str, str]:
    name = " ".join((organisation_name or "").split()) or (user.organisation.name if user.organisation else "")
    code = (country or "").strip().upper() or (user.organisation.country if user.organisation else "")
    if not name:
        raise InvalidInput(N_("Give the evaluator's organisation (conflicts of interest are checked against it)."),
                           details={"field": "organisation_name"})
    if not code or not is_country_code(code):
        raise InvalidInput(N_("Give the country of the evaluator's organisation as an ISO code (e.g. BE)."),
                           details={"field": "country"})
    return name[:MAX_AFFILIATION], code


def _check_load(max_load: int) -> int:
    if not isinstance(max_load, int) or max_load < 1 or max_load > MAX_LOAD_LIMIT:
        raise InvalidInput(N_("The maximum load is a number of proposals from 1 to %(limit)d."),
                           details={"field": "max_load"}, limit=MAX_LOAD_LIMIT)
    return max_load


def invite_evaluator(call: Call, *, actor: User, user: User, expertise: Iterable[str], max_load: int,
                     organisation_name: str | None = None, country: str | None = None) -> PoolMember:
    """Add an evaluator account to the call's pool with their affiliation, expertise and maximum load.

    The affiliation defaults to the account's organisation. An evaluator who had withdrawn is invited again
    (they accept the code of conduct again). Side effects: the pool member, an audit event.
    """
    require_officer(actor)
    if not user.has_role(Role.EVALUATOR):
        raise InvalidInput(N_("%(email)s is not an evaluator account."), details={"field": "email"}, email=user.email)
    chosen = _clean_expertise(call, expertise)
    name, code = _clean_affiliation(organisation_name, country, user)
    _check_load(max_load)
    member = db.session.scalar(sa.select(PoolMember).where(PoolMember.call_id == call.id,
                                                           PoolMember.user_id == user.id))
    if member is not None and member.withdrawn_at is None:
        raise AlreadyExists(N_("%(name)s is already in the pool of this call."), details={"field": "email"},
                            name=user.full_name)
    now = utcnow()
    if member is None:
        member = PoolMember(call_id=call.id, user_id=user.id)
        db.session.add(member)
    member.organisation_name, member.country = name, code
    member.expertise, member.max_load = chosen, max_load
    member.invited_at, member.withdrawn_at, member.withdrawn_reason = now, None, None
    member.code_of_conduct_accepted_at = None
    db.session.flush()
    record_event(actor, "pool.invited", object_type="pool_member", object_id=member.id, call=call.code,
                 evaluator_id=user.id, email=user.email, organisation=name, country=code, expertise=chosen,
                 max_load=max_load)
    return member


def update_pool_member(member: PoolMember, *, actor: User, expertise: Iterable[str], max_load: int,
                       organisation_name: str | None = None, country: str | None = None) -> PoolMember:
    """Change an evaluator's affiliation, expertise or maximum load (never below their current load)."""
    require_officer(actor)
    if member.withdrawn_at is not None:
        raise InvalidTransition(N_("This evaluator withdrew; invite them again instead."))
    call = member.call
    chosen = _clean_expertise(call, expertise)
    name, code = _clean_affiliation(organisation_name or member.organisation_name, country or member.country,
                                    member.user)
    _check_load(max_load)
    load = current_loads(call).get(member.user_id, 0)
    if max_load < load:
        raise InvalidInput(N_("%(name)s already has %(load)d proposals; the maximum load cannot be lower."),
                           details={"field": "max_load"}, name=member.user.full_name, load=load)
    before = {"organisation": member.organisation_name, "country": member.country, "expertise": member.expertise,
              "max_load": member.max_load}
    member.organisation_name, member.country, member.expertise, member.max_load = name, code, chosen, max_load
    db.session.flush()
    record_event(actor, "pool.updated", object_type="pool_member", object_id=member.id, call=call.code,
                 before=before, after={"organisation": name, "country": code, "expertise": chosen,
                                       "max_load": max_load})
    return member


def accept_code_of_conduct(member: PoolMember, *, actor: User, now: datetime | None = None,
                           text_version: str | None = None) -> PoolMember:
    """The evaluator accepts the call's code of conduct and confidentiality; until then they see nothing of its
    proposals.

    `text_version` is the version of the text the evaluator was shown (None: the current one); an older one is
    refused (InvalidInput), so nobody accepts a text they did not read.
    Side effects: accepted at, a Consent with the text's version and hash, an audit event.
    """
    if member.user_id != actor.id:
        raise NotAllowed(N_("Only the evaluator accepts their code of conduct."))
    if member.withdrawn_at is not None:
        raise InvalidTransition(N_("You are no longer in the pool of this call."))
    if member.code_of_conduct_accepted_at is not None:
        return member
    check_text_version(ConsentKind.CODE_OF_CONDUCT, text_version, field="accept")
    member.code_of_conduct_accepted_at = now or utcnow()
    consent = record_consent(actor, ConsentKind.CODE_OF_CONDUCT, call=member.call,
                             at=member.code_of_conduct_accepted_at)
    record_event(actor, "pool.code_of_conduct_accepted", object_type="pool_member", object_id=member.id,
                 call=member.call.code, text=list(current_text(ConsentKind.CODE_OF_CONDUCT).lines),
                 text_version=consent.text_version)
    return member


def _clean_keywords(keywords: Iterable[str]) -> list[str]:
    chosen: dict[str, str] = {}
    for keyword in keywords:
        cleaned = " ".join((keyword or "").split())
        if cleaned:
            chosen.setdefault(cleaned.casefold(), cleaned)
    too_long = [k for k in chosen.values() if len(k) > MAX_EXPERTISE_KEYWORD]
    if too_long:
        raise InvalidInput(N_("A keyword has at most %(count)d characters: %(keyword)s…."),
                           details={"field": "expertise_keywords"}, count=MAX_EXPERTISE_KEYWORD,
                           keyword=too_long[0][:40])
    if len(chosen) > MAX_EXPERTISE_KEYWORDS:
        raise InvalidInput(N_("Give at most %(count)d keywords (%(given)d given)."),
                           details={"field": "expertise_keywords"}, count=MAX_EXPERTISE_KEYWORDS, given=len(chosen))
    return list(chosen.values())


def update_evaluator_profile(member: PoolMember, *, actor: User, nationality: str, gender: str | None,
                             keywords: Iterable[str], statement: str) -> PoolMember:
    """The evaluator's own profile in the call's pool: nationality, gender, expertise keywords and statement.

    Panels are balanced on nationality and gender (the call's panel rules) and proposals matched on the keywords
    and the statement (`matching.affinity`). Gender is optional: None is no answer, "prefer not to say" an answer.
    Only the evaluator edits it; officers read it. Side effects: the member, an audit event that names the fields
    changed but never their values (gender is sensitive, and the audit trail is kept as long as the system runs).
    """
    if member.user_id != actor.id:
        raise NotAllowed(N_("Only the evaluator keeps their profile."))
    if member.withdrawn_at is not None:
        raise InvalidTransition(N_("You are no longer in the pool of this call."))
    code = (nationality or "").strip().upper()
    if not code or not is_country_code(code):
        raise InvalidInput(N_("Choose your nationality."), details={"field": "nationality"})
    declared: Gender | None = None
    if gender:
        try:
            declared = Gender(gender)
        except ValueError:
            raise InvalidInput(N_("Choose one of the answers offered, or none."), details={"field": "gender"}) from None
    chosen = _clean_keywords(keywords)
    text = (statement or "").strip()
    if len(text) > MAX_EXPERTISE_STATEMENT:
        raise InvalidInput(N_("The statement has at most %(count)d characters (%(given)d given)."),
                           details={"field": "expertise_statement"}, count=MAX_EXPERTISE_STATEMENT, given=len(text))
    after = {"nationality": code, "gender": declared, "expertise_keywords": chosen, "expertise_statement": text}
    changed = [name for name, value in after.items() if getattr(member, name) != value]
    member.nationality, member.gender = code, declared
    member.expertise_keywords, member.expertise_statement = chosen, text
    db.session.flush()
    record_event(actor, "pool.profile_updated", object_type="pool_member", object_id=member.id,
                 call=member.call.code, changed=changed)
    return member


def withdraw_pool_member(member: PoolMember, *, actor: User, reason: str,
                         now: datetime | None = None) -> list[Assignment]:
    """Take an evaluator out of the call's pool (the officer, or the evaluator declining).

    Their assignments whose report is not submitted are withdrawn (submitted reports stay: the work is done);
    the officer then fills the gaps with `assignment.fill_gaps`, which keeps every other assignment.
    Side effects: the member's withdrawal, withdrawn assignments, an audit event. Returns those assignments.
    """
    if actor.id != member.user_id:
        require_officer(actor)
    if member.withdrawn_at is not None:
        raise InvalidTransition(N_("This evaluator has already left the pool."))
    reason = (reason or "").strip()
    if len(reason) < MIN_WITHDRAWAL_REASON:
        raise InvalidInput(N_("Give a reason."), details={"field": "reason"})
    now = now or utcnow()
    member.withdrawn_at, member.withdrawn_reason = now, reason
    withdrawn = []
    assignments = db.session.scalars(
        sa.select(Assignment).outerjoin(IndividualReport, IndividualReport.assignment_id == Assignment.id)
        .where(Assignment.call_id == member.call_id, Assignment.evaluator_id == member.user_id,
               Assignment.state != AssignmentState.WITHDRAWN,
               sa.or_(IndividualReport.id.is_(None), IndividualReport.status == ReportStatus.DRAFT))
    )
    for assignment in assignments:
        assignment.state = AssignmentState.WITHDRAWN
        assignment.withdrawn_at, assignment.withdrawn_reason = now, f"The evaluator left the pool: {reason}"
        assignment.is_rapporteur = False
        withdrawn.append(assignment)
    db.session.flush()
    record_event(actor, "pool.withdrawn", object_type="pool_member", object_id=member.id, call=member.call.code,
                 evaluator_id=member.user_id, reason=reason, withdrawn_assignments=[a.id for a in withdrawn])
    return withdrawn
