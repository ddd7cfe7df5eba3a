"""Demo data: evaluator accounts in a call's pool, as `flask seed demo` puts them there (idempotent)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from app.clock import utcnow
from app.enums import OrganisationType
from app.extensions import db
from app.models import Call, PoolMember, User
from app.services.accounts import find_or_create_organisation
from app.services.audit import record_event


def seed_demo_pool(call: Call, emails: Iterable[str], *, expertise: list[list[str]], max_load: int = 10,
                   accepted: bool = False) -> list[tuple[str, bool]]:
    """Demo data: put these evaluator accounts in the call's pool when they are not there (idempotent)."""
    results = []
    for email, strands in zip(emails, expertise, strict=True):
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            continue
        exists = db.session.scalar(sa.select(PoolMember.id).where(PoolMember.call_id == call.id,
                                                                 PoolMember.user_id == user.id))
        if exists is not None:
            results.append((email, False))
            continue
        organisation = user.organisation or find_or_create_organisation(
            f"Independent expert ({email})", "BE", OrganisationType.OTHER)
        member = PoolMember(call_id=call.id, user_id=user.id, organisation_name=organisation.name,
                            country=organisation.country, expertise=[s for s in strands if s in call.strands],
                            max_load=max_load, code_of_conduct_accepted_at=utcnow() if accepted else None)
        db.session.add(member)
        db.session.flush()
        record_event(None, "pool.invited", object_type="pool_member", object_id=member.id, call=call.code,
                     evaluator_id=user.id, email=email, source="demo")
        results.append((email, True))
    return results
