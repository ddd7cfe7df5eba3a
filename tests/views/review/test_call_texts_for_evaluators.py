"""An evaluator reads the criteria of the report form as the call gives them in the evaluator's language: the name
and description given in French, the English for what was not given."""

from __future__ import annotations

from types import SimpleNamespace

from app.extensions import db
from app.models import Call
from app.web.locale import LANGUAGE_COOKIE
from tests.factories import make_evaluation_setup


def test_the_report_form_names_the_criteria_in_the_evaluators_language(app, login) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        world = make_evaluation_setup(criteria=[
            {"key": "relevance", "name": "Relevance", "description": "Fit with the call's aims."},
            {"key": "quality", "name": "Quality"}, {"key": "impact", "name": "Impact"}])
        call = db.session.get(Call, world.call_id)
        assert call is not None
        call.texts = {"fr": {"title": "Appel d’évaluation", "criteria": {
            "relevance": {"name": "Pertinence", "description": "Adéquation aux objectifs de l’appel."}}}}
        db.session.commit()
    client = login(app.test_client(), SimpleNamespace(email=world.evaluator_emails[0]))
    client.set_cookie(LANGUAGE_COOKIE, "fr")
    page = client.get(f"/review/evaluations/{world.assignment_id(0, 0)}").get_data(as_text=True)
    assert "<legend>Pertinence " in page
    assert "Adéquation aux objectifs de l’appel." in page
    assert "<legend>Quality " in page
    assert "Fit with the call" not in page
    client.set_cookie(LANGUAGE_COOKIE, "de")
    german = client.get(f"/review/evaluations/{world.assignment_id(0, 0)}").get_data(as_text=True)
    assert "<legend>Relevance " in german
