"""The public pages of the calls."""

from __future__ import annotations

from datetime import date

from flask import Response, current_app, render_template, send_from_directory

from app.clock import utcnow
from app.enums import DocumentKind
from app.formatting import format_day
from app.public import bp
from app.queries.access import load_visible_call
from app.queries.calls import calls_open_and_other
from app.queries.eligibility import allowed_types, annex_kinds
from app.queries.personal_data import privacy_statement
from app.translation import current_language, gettext
from app.web.access import signed_in_actor

# The day the accessibility statement was last reviewed against the pages (the model statement asks for it).
ACCESSIBILITY_STATEMENT_PREPARED = date(2026, 12, 2)
OMBUDSMAN_COMPLAINTS = "https://www.ombudsman.europa.eu/{language}/make-a-complaint"


@bp.get("/")
def index() -> str:
    """Every call: the open ones first, nearest deadline first."""
    now = utcnow()
    open_calls, other_calls = calls_open_and_other(now)
    return render_template("public/index.html", open_calls=open_calls, other_calls=other_calls, now=now)


@bp.get("/favicon.ico")
def favicon() -> Response:
    """The icon browsers ask for at the root, whatever the page (each page also links it)."""
    return send_from_directory(current_app.static_folder or "static", "img/favicon.ico",
                               mimetype="image/vnd.microsoft.icon", max_age=86400)


@bp.get("/calls/<code>")
def call_detail(code: str) -> str:
    """One call: deadline, money, eligibility rules, strands and the weighted criteria."""
    call = load_visible_call(code, signed_in_actor())
    required, optional = annex_kinds(call)
    return render_template(
        "public/call.html", call=call, now=utcnow(),
        organisation_types=[gettext(type_.label) for type_ in allowed_types(call)],
        # The reference calls' Part B alone keeps its own sentence.
        only_part_b=required == [DocumentKind.PART_B],
        required_annexes=[gettext(kind.label) for kind in required],
        optional_annexes=[gettext(kind.label) for kind in optional])


@bp.get("/privacy")
def privacy() -> str:
    """The instance's privacy statement, generated from the record of processing (app/privacy/map.py)."""
    return render_template("public/privacy.html", statement=privacy_statement(None, current_app.config))


@bp.get("/calls/<code>/privacy")
def call_privacy(code: str) -> str:
    """The call's privacy statement: the instance's, with the controller and DPO the call's officers named."""
    call = load_visible_call(code, signed_in_actor())
    return render_template("public/privacy.html", statement=privacy_statement(call, current_app.config))


@bp.get("/accessibility")
def accessibility() -> str:
    """The accessibility statement the Web Accessibility Directive (EU) 2016/2102 asks of public-sector sites."""
    config = current_app.config
    language = current_language()
    # Unless the operator names another body, the Ombudsman, named and linked in the reader's language.
    body = config["ACCESSIBILITY_ENFORCEMENT_BODY"] or gettext("the European Ombudsman")
    url = config["ACCESSIBILITY_ENFORCEMENT_URL"] or OMBUDSMAN_COMPLAINTS.format(language=language)
    return render_template(
        "public/accessibility.html", contact=config["ACCESSIBILITY_CONTACT_EMAIL"], enforcement_body=body,
        enforcement_url=url, letters_tagged=config["LETTER_PDF_TAGS"],
        prepared_on=format_day(ACCESSIBILITY_STATEMENT_PREPARED, locale=language))
