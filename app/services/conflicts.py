"""Conflicts of interest: detected from the pool member's affiliation, and declared by the evaluator.

Detected automatically (the evaluator cannot see the proposal at all, not even its title):
- the evaluator's organisation is in the consortium (names compared without case, punctuation or legal form);
- the evaluator's country is the coordinator's country, when the call's `country_conflict` switch is on.

Declared by the evaluator on each assigned proposal, before its content opens (they see only the acronym, the
title and the consortium). A declared conflict hides the proposal from them until an officer records it as not
material, with a reason; an automatic one cannot be waived.
"""

from __future__ import annotations

import re
import unicodedata

from app.clock import utcnow
from app.countries import country_name
from app.enums import AssignmentState, ConflictDeclaration, Role
from app.extensions import db
from app.models import Assignment, Call, PoolMember, User
from app.queries.submitted import SubmittedVersion
from app.services.audit import record_event
from app.services.errors import InvalidInput, InvalidTransition, NotAllowed

MIN_NOTE_LENGTH = 10

# Legal forms dropped before comparing names: "Cluster Alliance GmbH" is "Cluster Alliance".
_LEGAL_FORMS = {
    "ab", "ag", "as", "asbl", "bv", "bvba", "co", "corp", "eg", "ev", "gmbh", "inc", "kft", "llc", "ltd", "nv",
    "oy", "oyj", "plc", "sa", "sarl", "sas", "sl", "spa", "sro", "srl", "vzw", "zrt", "limited", "ou", "uab",
}


def normalise_organisation(name: str | None) -> str:
    """Lower case, no accents, no punctuation, no legal form: how organisation names are compared."""
    if not name:
        return ""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    text = re.sub(r"[.'\u2019]", "", text)  # "e.V." is "ev", "Jacob's" is "jacobs"
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    while len(words) > 1 and words[-1] in _LEGAL_FORMS:
        words.pop()
    return " ".join(words)


def affiliations(member: PoolMember, user: User | None = None) -> set[str]:
    """The normalised organisation names an evaluator is affiliated with (pool entry and account)."""
    names = {normalise_organisation(member.organisation_name)}
    account = user if user is not None else member.user
    if account is not None and account.organisation is not None:
        names.add(normalise_organisation(account.organisation.name))
    names.discard("")
    return names


def detected_conflicts(call: Call, member: PoolMember, version: SubmittedVersion,
                       member_affiliations: set[str] | None = None) -> list[str]:
    """The automatic conflict rules `member` breaks on this proposal, as sentences for the officer."""
    reasons = []
    names = member_affiliations if member_affiliations is not None else affiliations(member)
    for name, _country in version.consortium:
        if normalise_organisation(name) in names:
            reasons.append(f"their organisation ({name}) is in the consortium")
            break
    if call.country_conflict and member.country and member.country == version.coordinator_country:
        reasons.append(f"they are from the coordinator's country ({country_name(member.country)})")
    return reasons


class ConflictIndex:
    """Automatic conflicts of a whole pool against many proposals, without comparing every pair by hand."""

    def __init__(self, call: Call, members: list[PoolMember], versions: list[SubmittedVersion]) -> None:
        self.call = call
        self._by_name: dict[str, set[int]] = {}
        self._by_country: dict[str, set[int]] = {}
        for member in members:
            for name in affiliations(member):
                self._by_name.setdefault(name, set()).add(member.user_id)
            if call.country_conflict and member.country:
                self._by_country.setdefault(member.country, set()).add(member.user_id)
        self._conflicts: dict[int, dict[int, list[str]]] = {}
        for version in versions:
            found: dict[int, list[str]] = {}
            for name, _country in version.consortium:
                for user_id in self._by_name.get(normalise_organisation(name), ()):
                    found.setdefault(user_id, [f"their organisation ({name}) is in the consortium"])
            country = version.coordinator_country
            for user_id in self._by_country.get(country, ()):
                found.setdefault(user_id, []).append(
                    f"they are from the coordinator's country ({country_name(country)})")
            self._conflicts[version.id] = found

    def for_proposal(self, proposal_id: int) -> dict[int, list[str]]:
        """Evaluator user id → reasons, for the evaluators conflicted with this proposal."""
        return self._conflicts.get(proposal_id, {})

    def reasons(self, proposal_id: int, user_id: int) -> list[str]:
        return self._conflicts.get(proposal_id, {}).get(user_id, [])


def has_open_declared_conflict(assignment: Assignment) -> bool:
    """A conflict the evaluator declared and no officer judged not material."""
    return assignment.conflict is ConflictDeclaration.CONFLICT and not assignment.conflict_waived_reason


def declare_conflict(assignment: Assignment, *, actor: User, conflict: bool, note: str = "") -> Assignment:
    """The evaluator's declaration on one assigned proposal.

    "No conflict" opens the proposal's content; "conflict" (with a note saying what it is) hides the proposal
    from them for good unless an officer records it as not material. A "no conflict" may later become a
    conflict (something came to light); a declared conflict cannot be taken back by the evaluator.
    Side effects: the assignment's declaration, an audit event.
    """
    if assignment.evaluator_id != actor.id:
        raise NotAllowed("Only the assigned evaluator declares their conflicts of interest.")
    if assignment.state is not AssignmentState.PUBLISHED:
        raise InvalidTransition("This assignment is not active.")
    note = (note or "").strip()
    if assignment.conflict is ConflictDeclaration.CONFLICT:
        raise InvalidTransition("You already declared a conflict of interest on this proposal.")
    if not conflict:
        if assignment.conflict is ConflictDeclaration.NO_CONFLICT:
            return assignment
        assignment.conflict = ConflictDeclaration.NO_CONFLICT
    else:
        if len(note) < MIN_NOTE_LENGTH:
            raise InvalidInput(f"Say what the conflict is (at least {MIN_NOTE_LENGTH} characters).",
                               details={"field": "note"})
        assignment.conflict = ConflictDeclaration.CONFLICT
    assignment.conflict_note = note or None
    assignment.declared_at = utcnow()
    db.session.flush()
    record_event(actor, "assignment.conflict_declared", object_type="assignment", object_id=assignment.id,
                 proposal_id=assignment.proposal_id, conflict=assignment.conflict.value, note=note)
    return assignment


def waive_conflict(assignment: Assignment, *, actor: User, reason: str) -> Assignment:
    """An officer records a declared conflict as not material: the evaluator may evaluate the proposal.

    Side effects: the waiver (reason, who), an audit event.
    """
    if not actor.has_role(Role.OFFICER, Role.ADMIN):
        raise NotAllowed("Only programme officers judge conflicts of interest.")
    if assignment.state is AssignmentState.WITHDRAWN:
        raise InvalidTransition("This assignment was withdrawn; assign the evaluator again instead.")
    if assignment.conflict is not ConflictDeclaration.CONFLICT:
        raise InvalidTransition("The evaluator declared no conflict on this proposal.")
    if assignment.conflict_waived_reason:
        raise InvalidTransition("This conflict was already recorded as not material.")
    reason = (reason or "").strip()
    if len(reason) < MIN_NOTE_LENGTH:
        raise InvalidInput(f"Give the reason the conflict is not material (at least {MIN_NOTE_LENGTH} characters).",
                           details={"field": "reason"})
    assignment.conflict_waived_reason = reason
    assignment.conflict_waived_by_id = actor.id
    db.session.flush()
    record_event(actor, "assignment.conflict_waived", object_type="assignment", object_id=assignment.id,
                 proposal_id=assignment.proposal_id, evaluator_id=assignment.evaluator_id, reason=reason)
    return assignment
