"""Who may see and do what: the one place the access rules live, and one loader per object.

A loader answers NotFound (404) for an object the user may not know about, whether or not it exists, and
NotAllowed (403) when the user's role has no business with that kind of object at all. Pages and the API load
through these loaders; services check the same predicates again (`require_officer`, `can_edit_proposal` …).

- Calls are public.
- Proposals: applicants see and edit the proposals of their own organisation (any member, not only the creator);
  programme officers and administrators see every proposal, read-only; an evaluator sees one through a published
  assignment, under the evaluation rule of `app.queries.evaluation` (`load_evaluation` loads the evaluator's
  assignment); everybody else is told the proposal does not exist (404, never 403).
- Selection runs, tie resolutions, letter batches, pool members, assignments and outbox messages are the officers'.
- A letter is read by officers, and by the applicants of the proposal's organisation once it is published.
- A transfer offer is answered by the applicants of the proposal's organisation; requests to join an organisation,
  its invitations and its members are seen by its members (its applicant accounts) only.

Acting without a user (`actor=None`)
------------------------------------
The command line (`flask …`) and background jobs act without a user. Whoever runs them already holds the
server's keys, so the system may read what officers read and *deliver* what officers decided: render and publish a
finalised run's letters, send the outbox, seed data, create accounts from the command line. It never takes a
*decision* that the rules attribute to a person — running, finalising or promoting a selection, resolving a tie,
screening, assigning, approving a consensus, granting an extension, changing a call's settings: those refuse
`actor=None` (`require_officer(None)` is NotAllowed unless the caller declares the action `unattended`), so every
decision in the audit trail names its officer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.enums import ProposalStatus, Role
from app.extensions import db
from app.languages import N_
from app.models import (
    Assignment,
    Call,
    EmailChange,
    Invitation,
    JoinRequest,
    Letter,
    LetterBatch,
    Organisation,
    OutboxMessage,
    PoolMember,
    Proposal,
    RedressRequest,
    SelectionRun,
    Submission,
    TieResolution,
    User,
)
from app.models.selection import TransferOffer
from app.privacy.access_log import note_access
from app.queries.calls import get_call
from app.queries.evaluation import Access, EvaluatorView, evaluator_can_view, load_evaluation
from app.services.errors import NotAllowed, NotFound
from app.translation import gettext

__all__ = ["Access", "EvaluatorView", "load_evaluation"]  # the evaluator's assignment: app.queries.evaluation

NOT_FOUND_MESSAGE = N_("There is no such proposal.")
T = TypeVar("T")


# --- roles ---------------------------------------------------------------------------------------------------------

def is_officer(user: User | None) -> bool:
    """A programme officer or an administrator."""
    return user is not None and user.has_role(Role.OFFICER, Role.ADMIN)


def require_officer(actor: User | None, *, to: str = N_("do this"), unattended: bool = False) -> None:
    """NotAllowed (403) unless `actor` is a programme officer or an administrator.

    `actor=None` (the command line, a background job) passes only when the caller declares the action
    `unattended`: reading, or delivering what officers decided (see the module docstring).
    """
    if actor is None and unattended:
        return
    if not is_officer(actor):
        # The action is a catalogue message of its own (an infinitive phrase), said in the reader's language.
        raise NotAllowed(N_("Only programme officers and administrators %(action)s."), action=gettext(to))


# --- proposals -----------------------------------------------------------------------------------------------------

def is_member_of_proposal_organisation(user: User | None, proposal: Proposal) -> bool:
    """An applicant of the organisation that owns the proposal (the people who edit and submit it)."""
    return (
        user is not None
        and user.has_role(Role.APPLICANT)
        and user.organisation_id is not None
        and user.organisation_id == proposal.organisation_id
    )


def can_view_proposal(user: User | None, proposal: Proposal) -> bool:
    """True when `user` may read `proposal` and download its annexes and receipts."""
    if user is None:
        return False
    if is_member_of_proposal_organisation(user, proposal):
        return True
    if user.has_role(Role.OFFICER, Role.ADMIN):
        return True
    if user.has_role(Role.EVALUATOR):
        # The evaluation stage's one rule: published assignment, code of conduct accepted, no conflict of
        # interest (detected or declared), "no conflict" declared (app/queries/evaluation.py).
        return evaluator_can_view(user, proposal)
    return False


def can_edit_proposal(user: User | None, proposal: Proposal) -> bool:
    """True when `user` may save, upload, submit or withdraw (whether the deadline allows it is separate)."""
    return is_member_of_proposal_organisation(user, proposal)


def _proposal_query(proposal_id: int, *, full: bool) -> sa.Select[Proposal]:
    query = sa.select(Proposal).where(Proposal.id == proposal_id)
    if full:
        # Everything a proposal page shows, in a fixed number of queries.
        query = query.options(
            selectinload(Proposal.call), selectinload(Proposal.partners), selectinload(Proposal.documents),
            selectinload(Proposal.submissions).defer(Submission.snapshot).selectinload(Submission.submitted_by),
        )
    return query


def _load(proposal_id: int, user: User | None, allowed: Callable[[User | None, Proposal], bool],
          full: bool) -> Proposal:
    proposal: Proposal | None = db.session.scalar(_proposal_query(proposal_id, full=full))
    if proposal is None or not allowed(user, proposal):
        raise NotFound(NOT_FOUND_MESSAGE)
    _note_officers_access(user, proposal)
    return proposal


def _note_officers_access(user: User | None, proposal: Proposal) -> None:
    """An officer or administrator who opens a proposal sees its people's personal data: on record, for the admins
    (app/privacy/access_log.py). Its own organisation's members and its evaluators are not officers' access."""
    if user is not None and is_officer(user) and not is_member_of_proposal_organisation(user, proposal):
        note_access(user, action="viewed", proposal=proposal)


def load_submitted_proposal(call: Call, proposal_id: int, user: User | None) -> Proposal:
    """A submitted proposal of `call` as the officers evaluate it (screening, assignments, consensus): its partners,
    annexes and versions loaded; NotAllowed (403) for other roles, NotFound (404) for none in the call."""
    require_officer(user, unattended=True)
    proposal: Proposal | None = db.session.scalar(
        sa.select(Proposal).where(Proposal.id == proposal_id, Proposal.call_id == call.id,
                                  Proposal.status == ProposalStatus.SUBMITTED)
        .options(selectinload(Proposal.partners), selectinload(Proposal.documents),
                 selectinload(Proposal.organisation), selectinload(Proposal.submissions)))
    if proposal is None:
        raise NotFound(N_("There is no such submitted proposal in this call."))
    _note_officers_access(user, proposal)
    return proposal


def load_proposal_for_viewer(proposal_id: int, user: User | None, *, full: bool = True) -> Proposal:
    """The proposal if `user` may view it; NotFound (404) otherwise, whether or not it exists."""
    return _load(proposal_id, user, can_view_proposal, full)


def load_proposal_for_applicant(proposal_id: int, user: User | None, *, full: bool = True) -> Proposal:
    """The proposal if `user` belongs to the organisation that owns it; NotFound (404) otherwise."""
    return _load(proposal_id, user, can_edit_proposal, full)


# --- calls and what the officers run in them -----------------------------------------------------------------------

def load_call(code: str) -> Call:
    """The call with this code; NotFound (a 404 page or JSON error) when there is none."""
    call = get_call(code)
    if call is None:
        raise NotFound(N_("There is no call %(code)s."), code=repr(code))
    return call


def load_visible_call(code: str, viewer: User | None) -> Call:
    """The call with this code as `viewer` may see it: a draft (never published) is the officers' alone, a 404 to
    anyone else, like a call that does not exist."""
    call = load_call(code)
    if call.published_at is None and not is_officer(viewer):
        raise NotFound(N_("There is no call %(code)s."), code=repr(code))
    return call


def load_run(call: Call, number: int, user: User | None) -> SelectionRun:
    """Run `number` of the call, the one identity of a selection run (`/calls/<code>/runs/<number>`)."""
    require_officer(user, unattended=True)
    run: SelectionRun | None = db.session.scalar(sa.select(SelectionRun).where(SelectionRun.call_id == call.id,
                                                                               SelectionRun.number == number))
    if run is None:
        raise NotFound(N_("There is no run %(number)s of %(call)s."), number=number, call=call.code)
    return run


def _officers(model: type[T], object_id: int, user: User | None, missing: str, *, call: Call | None = None,
              **values: Any) -> T:
    """An object only officers handle: NotAllowed (403) for other roles, NotFound (404) when there is none with this
    id, or none in `call` (`missing`: a catalogue message, its placeholders filled from `values`)."""
    require_officer(user, unattended=True)
    found = db.session.get(model, object_id)
    if found is None or (call is not None and getattr(found, "call_id", None) != call.id):
        raise NotFound(missing, **values)
    return found


def load_run_by_id(run_id: int, user: User | None) -> SelectionRun:
    """A run by its database id: only for the URLs of old (`/runs/<id>`, `/selections/<id>`) that lead to it."""
    return _officers(SelectionRun, run_id, user, N_("There is no selection run %(run)s."), run=run_id)


def load_tie_resolution(call: Call, resolution_id: int, user: User | None) -> TieResolution:
    return _officers(TieResolution, resolution_id, user, N_("There is no such tie resolution in this call."), call=call)


def load_pool_member(call: Call, member_id: int, user: User | None) -> PoolMember:
    return _officers(PoolMember, member_id, user, N_("There is no such evaluator in this call's pool."), call=call)


def load_redress_request(call: Call, request_id: int, user: User | None) -> RedressRequest:
    """An evaluation review request of the call, as the officers handle it (applicants read theirs by letter)."""
    return _officers(RedressRequest, request_id, user, N_("There is no such review request in this call."), call=call)


def load_call_assignment(call: Call, assignment_id: int, user: User | None) -> Assignment:
    """An assignment of the call, as the officer adjusts it (an evaluator loads theirs with `load_evaluation`)."""
    return _officers(Assignment, assignment_id, user, N_("There is no such assignment in this call."), call=call)


# --- letters, their batches and e-mails ----------------------------------------------------------------------------

def can_read_letter(user: User | None, letter: Letter) -> bool:
    """Officers read every letter; an applicant reads the published letters of their organisation's proposals."""
    if is_officer(user):
        return True
    return (user is not None and letter.published_at is not None and user.has_role(Role.APPLICANT)
            and user.organisation_id is not None and letter.proposal.organisation_id == user.organisation_id)


def load_letter(letter_id: int, user: User | None) -> Letter:
    """A letter `user` may read; NotFound (404) for any other, as if it did not exist."""
    letter = db.session.get(Letter, letter_id)
    if letter is None or not can_read_letter(user, letter):
        raise NotFound(N_("There is no such letter."))
    return letter


def load_letter_batch(batch_id: int, user: User | None) -> LetterBatch:
    return _officers(LetterBatch, batch_id, user, N_("There is no letter batch %(batch)s."), batch=batch_id)


def load_outbox_message(call: Call, message_id: int, user: User | None) -> OutboxMessage:
    return _officers(OutboxMessage, message_id, user, N_("There is no such message in this call's outbox."), call=call)


# --- transfer offers -----------------------------------------------------------------------------------------------

def load_offer(offer_id: int, user: User | None) -> TransferOffer:
    """An offer to the user's organisation; NotFound (404) for anyone else's, as if it did not exist."""
    offer = db.session.get(TransferOffer, offer_id)
    if (offer is None or user is None or user.organisation_id is None
            or offer.proposal.organisation_id != user.organisation_id):
        raise NotFound(N_("There is no such offer."))
    return offer


# --- organisations -------------------------------------------------------------------------------------------------

MEMBERSHIP_NOT_FOUND = N_("There is no such request, invitation or member in your organisation.")


def is_member_of(user: User | None, organisation: Organisation) -> bool:
    """An applicant account of the organisation: it sees, edits and submits the organisation's proposals."""
    return user is not None and user.has_role(Role.APPLICANT) and user.organisation_id == organisation.id


def _of_users_organisation(model: type[T], object_id: int, user: User | None) -> T:
    found = db.session.get(model, object_id)
    if (found is None or user is None or user.organisation_id is None
            or getattr(found, "organisation_id", None) != user.organisation_id):
        raise NotFound(MEMBERSHIP_NOT_FOUND)
    return found


def load_join_request(request_id: int, user: User | None) -> JoinRequest:
    """A request to join the user's organisation; NotFound for any other."""
    return _of_users_organisation(JoinRequest, request_id, user)


def load_invitation(invitation_id: int, user: User | None) -> Invitation:
    """An invitation of the user's organisation; NotFound for any other."""
    return _of_users_organisation(Invitation, invitation_id, user)


def load_member(user_id: int, user: User | None) -> User:
    """A member of the user's organisation; NotFound for anyone else."""
    member = db.session.get(User, user_id)
    if member is None or user is None or user.organisation is None or not is_member_of(member, user.organisation):
        raise NotFound(MEMBERSHIP_NOT_FOUND)
    return member


# --- people, for officers answering their requests by post ---------------------------------------------------------

def load_person(user_id: int, user: User | None) -> User:
    """An account, for officers and administrators answering a request about personal data: NotAllowed (403) for
    other roles, NotFound (404) when there is none."""
    return _officers(User, user_id, user, N_("There is no such account."))


def load_email_change(change_id: int, user: User | None) -> EmailChange:
    """A change of the user's own e-mail address; NotFound for anybody else's."""
    change = db.session.get(EmailChange, change_id)
    if change is None or user is None or change.user_id != user.id:
        raise NotFound(N_("There is no such change of e-mail address."))
    return change
