"""The call's panel rules on countries and genders through the automatic and the hand assignment, and as settings.

The proposals of `pool_call` are coordinated from Lithuania with partners in Germany and France.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.enums import CountryScope, Gender, Role, RuleStrength
from app.extensions import db
from app.models import PoolMember, Proposal
from app.queries.conflicts import detected_conflicts
from app.queries.panel_checks import gender_balance, panel_checks
from app.queries.submitted import submitted_version
from app.services import assignment as assigning
from app.services.errors import AssignmentInfeasible, InvalidInput
from app.translation import in_language
from tests.evaluation_support import PoolCall, active_assignments_of, events, pool_call, user
from tests.factories import make_pool_member, make_staff

pytestmark = pytest.mark.usefixtures("app_ctx")
GENDER_RULE = "at least 40 % women and 40 % men on every panel"


def _german(pool: PoolCall) -> PoolMember:
    german = make_staff(Role.EVALUATOR, "de@x.test", organisation="Munich Institute", country="DE")
    return make_pool_member(pool.call, german)


def _panel_of(pool: PoolCall, proposal_id: int) -> set[int]:
    return {a.evaluator_id for a in active_assignments_of(pool.call) if a.proposal_id == proposal_id}


def test_by_default_only_the_coordinators_country_is_kept_away() -> None:
    pool = pool_call(1, 2, k=3)
    german = _german(pool)
    assigning.fill_gaps(pool.call, actor=user(pool.world.officer_id))
    assert german.user_id in _panel_of(pool, pool.world.proposal_ids[0])


def test_with_the_consortium_scope_a_partners_country_is_a_conflict_of_interest() -> None:
    pool = pool_call(1, 2, k=3)
    german = _german(pool)
    pool.call.country_conflict_scope = CountryScope.CONSORTIUM
    target = db.session.get(Proposal, pool.world.proposal_ids[0])
    assert detected_conflicts(pool.call, german, submitted_version(target)) == [
        "they are from a partner's country (Germany)"]
    with pytest.raises(AssignmentInfeasible) as error:
        assigning.fill_gaps(pool.call, actor=user(pool.world.officer_id))
    assert error.value.details["proposals"][0]["conflicted"] == 1
    assert active_assignments_of(pool.call) == []


def test_a_soft_country_rule_avoids_a_partners_country_while_it_can_and_is_reported_when_it_gives_way() -> None:
    pool = pool_call(1, 2, k=3)
    german = _german(pool)
    pool.call.country_conflict_scope = CountryScope.CONSORTIUM
    pool.call.country_conflict_strength = RuleStrength.SOFT
    target = db.session.get(Proposal, pool.world.proposal_ids[0])
    assert detected_conflicts(pool.call, german, submitted_version(target)) == []  # not a conflict of interest
    assigning.fill_gaps(pool.call, actor=user(pool.world.officer_id))  # nobody else: the rule gives way
    assert german.user_id in _panel_of(pool, target.id)
    [check] = panel_checks(pool.call, [target])[target.id]
    assert (check.rule, check.strength, check.holds) == ("country", "soft", False)
    assert check.text == "from a partner's country (Germany)"
    # With one more evaluator from elsewhere, the German is not taken.
    romanian = make_pool_member(pool.call, make_staff(Role.EVALUATOR, "ro@x.test", organisation="Cluj", country="RO"))
    assigning.fill_gaps(pool.call, actor=user(pool.world.officer_id), discard_proposed=True)
    assert romanian.user_id in _panel_of(pool, target.id)
    assert german.user_id not in _panel_of(pool, target.id)
    [check] = panel_checks(pool.call, [target])[target.id]
    assert check.holds
    assert check.text == "none from the consortium's 3 countries"


def _genders(pool: PoolCall, genders: list[Gender | None]) -> list[PoolMember]:
    members = sorted(db.session.scalars(sa.select(PoolMember).where(PoolMember.call_id == pool.call.id)),
                     key=lambda m: m.id)
    for member, gender in zip(members, genders, strict=True):
        member.gender = gender
    db.session.flush()
    return members


def test_a_hard_gender_rule_gives_every_panel_a_woman_and_a_man() -> None:
    pool = pool_call(4, 6, k=3, max_load=4)
    members = _genders(pool, [Gender.MAN, Gender.MAN, Gender.MAN, Gender.WOMAN, Gender.PREFER_NOT_TO_SAY, None])
    pool.call.gender_rule, pool.call.gender_target = RuleStrength.HARD, 40
    assigning.fill_gaps(pool.call, actor=user(pool.world.officer_id))
    woman = members[3].user_id
    for proposal_id in pool.world.proposal_ids:
        panel = _panel_of(pool, proposal_id)
        assert woman in panel
        assert panel & {m.user_id for m in members[:3]}
    proposals = list(db.session.scalars(sa.select(Proposal).where(Proposal.id.in_(pool.world.proposal_ids))))
    checks = panel_checks(pool.call, proposals)
    gender = [c for found in checks.values() for c in found if c.rule == "gender"]
    assert len(gender) == 4
    assert all(c.holds and c.text.startswith("women 1, men ") for c in gender)
    assert gender[0].text.endswith(" (at least 1 each)")
    # Across the panel, one woman in each panel of three is 33 %: below the target, and the balance says so.
    balance = gender_balance(pool.call)
    assert (balance.places, balance.target, dict(balance.counts)["Woman"]) == (12, 40, 4)
    assert "women" in balance.below
    assert balance.share(4) == 33


def test_a_gender_rule_that_cannot_be_met_is_named_with_its_numbers_and_a_soft_one_gives_way() -> None:
    pool = pool_call(2, 4, k=3)
    members = _genders(pool, [Gender.MAN, Gender.MAN, Gender.MAN, Gender.WOMAN])
    members[3].max_load = 1
    pool.call.gender_rule, pool.call.gender_target = RuleStrength.HARD, 40
    with pytest.raises(AssignmentInfeasible) as error:
        assigning.fill_gaps(pool.call, actor=user(pool.world.officer_id))
    assert error.value.details["rule"] == GENDER_RULE
    assert (f'The rule "{GENDER_RULE}" cannot be met: 1 place of 1 panel cannot go to the gender the rule asks '
            f"(the panels need 2 places for women and the women of the pool have 1 free place)") in error.value.message
    [shortfall] = error.value.details["proposals"]
    assert shortfall["rule"] == GENDER_RULE
    assert "1 woman (40 % of 3, rounded down)" in shortfall["reason"]
    assert active_assignments_of(pool.call) == []
    pool.call.gender_rule = RuleStrength.SOFT
    assert len(assigning.fill_gaps(pool.call, actor=user(pool.world.officer_id)).created) == 6


def test_a_hand_picked_evaluator_who_would_leave_no_place_for_a_gender_is_refused_under_a_hard_rule() -> None:
    pool = pool_call(1, 4, k=3)
    members = _genders(pool, [Gender.MAN, Gender.MAN, Gender.WOMAN, Gender.ANOTHER])
    pool.call.gender_rule = RuleStrength.HARD
    target = db.session.get(Proposal, pool.world.proposal_ids[0])
    officer = user(pool.world.officer_id)
    assigning.add_assignment(target, actor=officer, evaluator=members[0].user)
    assigning.add_assignment(target, actor=officer, evaluator=members[1].user)  # the third place is left
    with pytest.raises(InvalidInput, match="could no longer give it 1 of the women the call asks"):
        assigning.add_assignment(target, actor=officer, evaluator=members[3].user)
    assigning.add_assignment(target, actor=officer, evaluator=members[2].user)
    assert len(_panel_of(pool, target.id)) == 3


def test_the_country_and_gender_rules_are_settings_of_the_call_checked_and_audited() -> None:
    pool = pool_call(1, 3)
    officer = user(pool.world.officer_id)
    assigning.update_evaluation_settings(pool.call, actor=officer, evaluators_per_proposal=3, country_conflict=True,
                                         country_scope="consortium", country_strength="soft", gender_rule="hard",
                                         gender_target=50)
    call = pool.call
    assert (call.country_conflict_scope, call.country_conflict_strength) == (CountryScope.CONSORTIUM,
                                                                             RuleStrength.SOFT)
    assert (call.gender_rule, call.gender_target) == (RuleStrength.HARD, 50)
    assigning.update_evaluation_settings(call, actor=officer, evaluators_per_proposal=3, country_conflict=True)
    assert (call.country_conflict_strength, call.gender_target) == (RuleStrength.SOFT, 50)  # not given: unchanged
    for wrong, field in ((dict(country_scope="everyone"), "country_scope"),
                         (dict(country_strength="off"), "country_strength"),
                         (dict(gender_rule="often"), "gender_rule"), (dict(gender_target=51), "gender_target"),
                         (dict(gender_target=0), "gender_target")):
        with pytest.raises(InvalidInput) as error:
            assigning.update_evaluation_settings(call, actor=officer, evaluators_per_proposal=3,
                                                 country_conflict=True, **wrong)  # type: ignore[arg-type]
        assert error.value.details["field"] == field
    assert call.gender_target == 50
    event = events("call.evaluation_settings")[0]
    assert event.data["before"]["gender_rule"] == "off"
    assert event.data["after"] | {} == {"evaluators_per_proposal": 3, "country_conflict": True,
                                        "country_scope": "consortium", "country_strength": "soft",
                                        "nationality_rule": "off", "gender_rule": "hard", "gender_target": 50}


def test_the_checks_and_a_conflict_are_worded_in_the_readers_language() -> None:
    pool = pool_call(1, 3)
    pool.call.country_conflict_scope, pool.call.country_conflict_strength = CountryScope.CONSORTIUM, RuleStrength.SOFT
    pool.call.gender_rule, pool.call.gender_target = RuleStrength.SOFT, 40
    german = _german(pool)
    target = db.session.get(Proposal, pool.world.proposal_ids[0])
    assigning.add_assignment(target, actor=user(pool.world.officer_id), evaluator=german.user)
    with in_language("fr"):
        checks = {c.rule: c.text for c in panel_checks(pool.call, [target])[target.id]}
    assert checks == {"country": "évaluateurs du pays d’un partenaire (Allemagne)",
                      "gender": "femmes 0, hommes 0 (au moins 1 de chaque)"}
    pool.call.country_conflict_strength = RuleStrength.HARD  # now a conflict of interest, said in German
    [reason] = detected_conflicts(pool.call, german, submitted_version(target))
    assert reason == "they are from a partner's country (Germany)"  # what services record
    with in_language("de"):
        assert reason.said == "die Person stammt aus dem Land eines Partners (Deutschland)"
