"""Issue 15, item 3: the officer's process view on a call's page: Intake → Screening → Evaluation → Consensus →
Ranking → Selection → Letters → Redress, each stage with its counts, what blocks the next one and the next action
as a button, in a constant number of queries."""

from __future__ import annotations

import re

from app.enums import Role
from app.extensions import db
from tests.factories import QueryCounter, make_evaluation_setup, make_open_call, make_proposal, make_staff

STAGES = ["Intake", "Screening", "Evaluation", "Consensus", "Ranking", "Selection", "Letters", "Redress"]


def _stage(html: str, key: str) -> str:
    match = re.search(rf'<li class="process-stage[^"]*" data-stage="{key}".*?</li>', html, re.S)
    assert match, key
    return match.group(0)


def test_an_open_call_shows_intake_as_the_next_stage_and_why_screening_waits(app, client_as) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        call = make_open_call("PROC-OPEN")
        applicant = make_staff(Role.APPLICANT, "applicant@proc-open.test", organisation="Alliance", country="LT",
                               name="Lukas")
        make_proposal(call, applicant, submitted=False)
        db.session.commit()
    html = client_as(Role.OFFICER).get("/manage/calls/PROC-OPEN").get_data(as_text=True)
    assert re.findall(r"<h3>(\w+) <span", html) == STAGES
    intake = _stage(html, "intake")
    assert 'aria-current="step"' in intake
    assert "<dt>Drafts</dt><dd>1</dd>" in intake
    assert "The call is open: screening starts when its deadline has passed." in intake
    assert 'href="/manage/calls/PROC-OPEN/proposals">See the proposals</a>' in intake
    assert "button" not in _stage(html, "screening")  # nothing to do there yet


def test_a_call_in_evaluation_counts_reports_and_points_to_them(app, client_as) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        setup = make_evaluation_setup(code="PROC-EVAL", proposals=2, evaluators=3)
        db.session.commit()
    html = client_as(Role.OFFICER).get(f"/manage/calls/{setup.code}").get_data(as_text=True)
    assert "is-done" in _stage(html, "intake")
    screening = _stage(html, "screening")
    assert "is-done" in screening
    assert "<dt>Eligible</dt><dd>2</dd>" in screening
    evaluation = _stage(html, "evaluation")
    assert 'aria-current="step"' in evaluation
    assert "<dt>Evaluators assigned</dt><dd>6 of 6</dd>" in evaluation
    assert "<dt>Reports submitted</dt><dd>0 of 6</dd>" in evaluation
    assert "6 individual reports still to come." in evaluation
    assert f'href="/manage/calls/{setup.code}/evaluation">Follow the reports</a>' in evaluation
    consensus = _stage(html, "consensus")
    assert "<dt>Approved</dt><dd>0 of 2</dd>" in consensus
    assert "2 proposals without an approved consensus." in consensus
    assert "The ranking is not ready." in _stage(html, "selection")
    assert "Letters are written once a selection run is finalised." in _stage(html, "letters")
    assert "<dt>Letters published</dt><dd>0</dd>" in _stage(html, "redress")


def test_the_process_view_loads_in_a_constant_number_of_queries(app, client_as) -> None:  # type: ignore[no-untyped-def]
    officer = client_as(Role.OFFICER)
    counts = []
    for code, size in (("PROC-SMALL", 2), ("PROC-LARGE", 12)):
        with app.app_context():
            make_evaluation_setup(code=code, proposals=size, evaluators=3)
            db.session.commit()
        with app.app_context(), QueryCounter() as counter:
            assert officer.get(f"/manage/calls/{code}").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_officer_tables_link_their_references_once_instead_of_repeating_a_button_and_keep_them_on_one_line(
        app, client_as) -> None:  # type: ignore[no-untyped-def]
    """Observed: the same table button repeated 64 times; references wrapped over 2–4 lines."""
    with app.app_context():
        setup = make_evaluation_setup(code="PROC-TABLES", proposals=3, evaluators=3)
        db.session.commit()
    officer = client_as(Role.OFFICER)
    screening = officer.get(f"/manage/calls/{setup.code}/screening").get_data(as_text=True)
    table = screening[screening.index("<table"):screening.index("</table>")]
    assert "button" not in table
    assert "<th></th>" not in table
    for proposal_id, reference in zip(setup.proposal_ids, setup.references, strict=True):
        assert (f'class="nowrap"><a href="/manage/calls/{setup.code}/screening/{proposal_id}">'
                f"<code>{reference}</code></a>") in table
    for page, cell in (("evaluation", '<td class="nowrap"><code>{}</code></td>'),
                       ("assignments", '<code class="nowrap">{}</code>')):
        html = officer.get(f"/manage/calls/{setup.code}/{page}").get_data(as_text=True)
        for reference in setup.references:
            assert cell.format(reference) in html, page


def test_a_call_selected_by_assessment_shows_the_assessment_stage_instead_of_evaluation(app, client_as) -> None:  # type: ignore[no-untyped-def]
    from app.models import User
    from app.services.assessment import record_assessment
    from tests.assessment_worlds import make_mission_world

    officer = client_as(Role.OFFICER)
    with app.app_context():
        applicant = make_staff(Role.APPLICANT, "applicant@proc-mission.test", organisation="Alliance",
                               country="LT", name="Lukas")
        assessor = make_staff(Role.OFFICER, "officer@proc-mission.test", organisation="EISMEA", country="BE")
        world = make_mission_world(applicant)
        record_assessment(world.proposals[0], actor=db.session.get(User, assessor.id), verdict="suitable", fit=4,
                          note="Strong links with Korean clusters.")
        db.session.commit()
    html = officer.get("/manage/calls/MISSION-KR").get_data(as_text=True)
    assert re.findall(r"<h3>(\w+) <span", html) == [
        "Intake", "Screening", "Assessment", "Ranking", "Selection", "Letters", "Redress"]
    assessment = _stage(html, "assessment")
    assert 'aria-current="step"' in assessment
    assert "<dt>Assessed</dt><dd>1 of 4</dd>" in assessment
    assert "3 proposals to assess." in assessment
    assert 'href="/manage/calls/MISSION-KR/assessment">Assess the proposals</a>' in assessment
