"""The assignment page's panel rules: set with the evaluation settings, checked on every proposal's row, and the
panel's gender balance against the target."""

from __future__ import annotations

from typing import Any

from app.enums import CountryScope, Gender, RuleStrength
from app.extensions import db
from app.models import Call, PoolMember
from tests.evaluation_support import committed_world
from tests.factories import QueryCounter


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


SETTINGS = {"evaluators_per_proposal": "3", "country_conflict": "y", "country_scope": "consortium",
            "country_strength": "soft", "nationality_rule": "off", "gender_rule": "hard", "gender_target": "40"}


def test_the_officer_sets_the_country_and_gender_rules_and_each_proposal_shows_them_checked(app, officer_for) -> None:  # type: ignore[no-untyped-def]
    s = committed_world(app, proposals=2, evaluators=3, publish=False)
    with app.app_context():
        for member_id, gender in zip(s.member_ids, [Gender.WOMAN, Gender.MAN, Gender.PREFER_NOT_TO_SAY],
                                     strict=True):
            db.session.get(PoolMember, member_id).gender = gender
        db.session.commit()
    client = officer_for(s)
    settings = f"/manage/calls/{s.code}/assignments/settings"
    assert client.post(settings, data=SETTINGS).status_code == 302
    with app.app_context():
        call = db.session.get(Call, s.call_id)
        assert (call.country_conflict_scope, call.country_conflict_strength) == (CountryScope.CONSORTIUM,
                                                                                 RuleStrength.SOFT)
        assert (call.gender_rule, call.gender_target) == (RuleStrength.HARD, 40)
    page = _text(client.get(f"/manage/calls/{s.code}/assignments"))
    assert "Country rule (soft): no evaluator from a country of the consortium" in page
    assert "Gender rule (hard): at least 40 % women and 40 % men on every panel, rounded down" in page
    assert "<th>Country rule</th>" in page
    assert "<th>Gender share</th>" in page
    assert client.post(f"/manage/calls/{s.code}/assignments/auto", data={}).status_code == 302
    page = _text(client.get(f"/manage/calls/{s.code}/assignments"))
    assert page.count("none from the consortium&#39;s 3 countries ✓") == 2
    assert page.count("women 1, men 1 (at least 1 each) ✓") == 2
    # Across the panel: 6 places, each gender a third: below the 40 % target.
    assert "On the panels (6 places): Woman 33 %, Man 33 %, Prefer not to say 33 %." in page
    assert "women and men below it" in page


def test_a_wrong_target_share_is_refused_and_nothing_changes(app, officer_for) -> None:  # type: ignore[no-untyped-def]
    s = committed_world(app, proposals=1, evaluators=3, publish=False)
    client = officer_for(s)
    response = client.post(f"/manage/calls/{s.code}/assignments/settings", data=SETTINGS | {"gender_target": "60"})
    assert response.status_code == 302
    assert "A share from 1 to 50 %." in _text(client.get(f"/manage/calls/{s.code}/assignments"))
    with app.app_context():
        call = db.session.get(Call, s.call_id)
        assert (call.gender_rule, call.gender_target) == (RuleStrength.OFF, 40)
        assert call.country_conflict_scope is CountryScope.COORDINATOR


def test_the_rules_checked_on_every_row_cost_no_query_per_proposal(app, officer_for) -> None:  # type: ignore[no-untyped-def]
    counts = []
    for code, n in (("PNL-S", 2), ("PNL-L", 12)):
        s = committed_world(app, code=code, proposals=n, evaluators=4)
        with app.app_context():
            call = db.session.get(Call, s.call_id)
            call.gender_rule, call.nationality_rule = RuleStrength.SOFT, RuleStrength.SOFT
            call.country_conflict_scope = CountryScope.CONSORTIUM
            db.session.commit()
        client = officer_for(s)
        with app.app_context(), QueryCounter() as counter:
            response = client.get(f"/manage/calls/{code}/assignments")
        assert response.status_code == 200
        assert "Gender share" in _text(response)
        counts.append(len(counter.statements))
    assert counts[0] == counts[1]
