"""The deadline, to the second: the refusal of a change after it, and the last look at the clock before COMMIT.

A submission is accepted if and only if the server's clock at the moment it is committed is strictly before
the proposal's effective deadline (the later of the call's and an officer's extension for this proposal,
`Proposal.effective_deadline`). Three layers:

1. `submit_proposal` (app/services/proposals.py) locks the proposal row (PostgreSQL: SELECT ... FOR NO KEY
   UPDATE), so submissions, saves and uploads of one proposal happen one after the other and the snapshot sees
   exactly what is committed.
2. With every lock held and the checklist passed, it reads the clock once, `submitted_at = utcnow()`, refuses
   when `submitted_at >= deadline`, and writes the snapshot, the Submission row, the status and the audit
   event with that time.
3. It registers a commit guard on the session (`guard_commit`): a `before_commit` hook reads the clock again
   immediately before COMMIT is sent and refuses (raising DeadlinePassed, so nothing is written) when the deadline
   has been reached meanwhile. The time printed on the receipt (2) is never after the acceptance decision (3), and
   both are before the deadline. Two requests at 16:59:59.9 and 17:00:00.1 therefore get different answers, and a
   refused submission leaves no row behind: the transaction is rolled back as a whole.

One clock, `app.clock.utcnow`, which tests replace with `set_clock`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.clock import utcnow
from app.extensions import db
from app.formatting import format_local
from app.languages import N_
from app.models import Proposal
from app.services.errors import DeadlinePassed
from app.translation import current_language

_GUARDS = "eurogrants_deadline_guards"


def deadline_passed_error(proposal: Proposal) -> DeadlinePassed:
    """The refusal of a change or a submission after the proposal's deadline, naming it in the call's zone."""
    deadline = proposal.effective_deadline
    # The deadline as the reader's language writes it (the request's: a page's or the API's).
    return DeadlinePassed(
        N_("The deadline (%(deadline)s) has passed: the proposal can no longer be changed or submitted."),
        deadline=format_local(deadline, proposal.call.time_zone, locale=current_language()),
        details={"deadline": deadline.isoformat()})


def guard_commit(proposal: Proposal) -> None:
    """Refuse the session's next COMMIT if the proposal's deadline is reached by then (side effect: session info)."""
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
                N_("The deadline (%(deadline)s) passed while the submission of %(reference)s was being recorded: it "
                   "was not submitted."), deadline=format_local(deadline, time_zone, locale=current_language()),
                reference=reference, details={"deadline": deadline.isoformat()})


@event.listens_for(Session, "after_transaction_end")
def _forget_guards(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_GUARDS, None)
