"""Demo data: the demo evaluators in the practice call's pool."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import Call, PoolMember


def test_seed_demo_puts_the_demo_evaluators_in_the_practice_pool_once(app, app_ctx) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed", "demo"])
    assert first.exit_code == 0, first.output
    assert "evaluator1@eurogrants.test: created" in first.output
    second = runner.invoke(args=["seed", "demo"])
    assert "evaluator1@eurogrants.test: exists, unchanged" in second.output
    db.session.remove()
    members = db.session.scalars(sa.select(PoolMember).join(Call, Call.id == PoolMember.call_id)
                                 .where(Call.code == "SMP-COSME-2021-CLUSTER-01-PRACTICE")).all()
    assert len(members) == 3
    assert all(m.code_of_conduct_accepted_at is None and m.max_load == 10 for m in members)
    assert {m.country for m in members} == {"FI", "PT", "RO"}
