"""Conflicts of interest detected from the pool member's affiliation: names compared loosely, the country rule."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import PoolMember
from app.queries.conflicts import detected_conflicts, normalise_organisation
from app.queries.evaluation import Access, evaluator_access
from app.queries.submitted import submitted_version
from tests.evaluation_support import conflicted_world

pytestmark = pytest.mark.usefixtures("app_ctx")


@pytest.mark.parametrize(("a", "b"), [
    ("Partner A", "partner a"), ("Fraunhofer-Gesellschaft e.V.", "fraunhofer gesellschaft ev"),
    ("Cluster Alliance GmbH", "Cluster Alliance"), ("Université de Liège", "Universite de Liege"),
])
def test_organisation_names_are_compared_loosely(a: str, b: str) -> None:
    assert normalise_organisation(a) == normalise_organisation(b)


def test_different_organisations_stay_different() -> None:
    assert normalise_organisation("Partner A") != normalise_organisation("Partner AB")
    assert normalise_organisation("SA") == "sa"


def test_an_evaluator_from_a_consortium_organisation_is_conflicted() -> None:
    world = conflicted_world()
    proposal, same_org = world.proposal, world.same_organisation
    member = db.session.scalar(sa.select(PoolMember).where(PoolMember.user_id == same_org.id))
    assert detected_conflicts(proposal.call, member, submitted_version(proposal)) == [
        "their organisation (Partner A) is in the consortium"]
    assert evaluator_access(same_org, proposal) is Access.NONE


def test_the_country_rule_follows_the_call_switch() -> None:
    world = conflicted_world()
    proposal, same_country = world.proposal, world.same_country
    assert evaluator_access(same_country, proposal) is Access.NONE
    proposal.call.country_conflict = False
    assert evaluator_access(same_country, proposal) is Access.FULL
