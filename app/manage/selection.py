"""Officer pages of ranking and selection: the ranking, runs, what-if comparison, ties, finalisation, promotion,
exports and, for event calls, transfer offers."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import partial
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import SelectChoice

from app.clock import utcnow
from app.formatting import format_money
from app.manage import bp
from app.manage.charts import budget_bar, totals_histogram
from app.manage.exports import export_file
from app.manage.ranking_table import outcome_reason, ranking_rows_html, review_reason_text, tie_items_html
from app.models import Call, SelectionRun
from app.queries.access import load_call, load_run, load_tie_resolution
from app.queries.outcomes import predates_decision_fields, run_outcomes, verify_run
from app.queries.ranking import Ranking, export_ranking, live_ranking, run_ranking
from app.queries.ranking_cache import cached_live_ranking
from app.queries.ranking_window import OUTCOME_LABELS, RANKING_SORTS, RankingFilter, ranking_window
from app.queries.runs import (
    acronyms_of,
    compare_runs,
    describe_options,
    finalise_preview,
    list_runs,
    list_tie_resolutions,
    promotions_of,
    run_in_force,
)
from app.queries.selection import SelectionOptions
from app.queries.transfer import offers_sent, transfer_plan
from app.services.errors import InvalidInput
from app.services.promotion import promote_from_reserve
from app.services.selection import finalise_run, resolve_tie, revoke_tie_resolution, run_selection
from app.services.transfer import offer_transfers
from app.translation import current_language, gettext, ngettext
from app.web.access import current_actor
from app.web.downloads import send_attachment
from app.web.transaction import command
from forms.selection import (
    ConfirmForm,
    FinaliseForm,
    PromotionForm,
    SelectionRunForm,
    TieResolutionForm,
)


@bp.context_processor
def _selection_helpers() -> dict[str, Any]:
    return {"as_decimal": Decimal, "review_reason": _review_reason}


def _review_reason(decision: Any) -> str:
    """An evaluation review's decision's reason in the reader's language (templates/manage/_redress_outcome.html)."""
    return review_reason_text(decision, current_language())


def _run(call: Call, number: int) -> SelectionRun:
    return load_run(call, number, current_actor())


TRUTHY = frozenset({"1", "on", "true", "y"})


def _options_from_query(call: Call) -> tuple[SelectionOptions, list[str]]:
    """Options for a what-if preview from the query string (`policy`, `reserve`, `coverage`); call defaults
    for whatever is missing or invalid (listed in the returned problems)."""
    problems: list[str] = []
    values: dict[str, Any] = {}
    if request.args.get("policy"):
        values["budget_policy"] = request.args["policy"]
    if request.args.get("reserve"):
        try:
            values["reserve_size"] = int(request.args["reserve"])
        except ValueError:
            problems.append(gettext("The reserve size must be a whole number."))
    if "coverage" in request.args:
        # The form sends a hidden "0" and, when the box is ticked, the checkbox's "1" after it: the rule is on
        # when any value says so (the first value alone is always the hidden "0").
        values["coverage"] = any(value in TRUTHY for value in request.args.getlist("coverage"))
    try:
        return SelectionOptions.from_values(call, **values), problems
    except InvalidInput as error:
        problems.append(error.message)
        return SelectionOptions.defaults(call), problems


def _run_form(call: Call, options: SelectionOptions) -> SelectionRunForm:
    form = SelectionRunForm(data={"budget_policy": options.budget_policy, "reserve_size": options.reserve_size,
                                  "coverage": options.coverage})
    if call.coverage_field is None:
        del form.coverage
    return form


def _render_ranking(call: Call, ranking: Ranking, form: SelectionRunForm, status: int = 200,
                    wanted: RankingFilter | None = None) -> tuple[str, int]:
    runs = list_runs(call)
    shown = ranking_window(ranking, wanted or RankingFilter())
    return render_template(
        "manage/selection_ranking.html", call=call, ranking=ranking, form=form, runs=runs[:5],
        run_count=len(runs), in_force=next((run for run in runs if run.is_in_force), None),
        bar=budget_bar(ranking), histogram=totals_histogram(ranking), describe_options=describe_options,
        defaults=SelectionOptions.defaults(call), now=utcnow(), listing=shown, outcomes=OUTCOME_LABELS,
        sorts=RANKING_SORTS, rows=ranking_rows_html(ranking, shown.rows), tie_items_html=tie_items_html,
    ), status


@bp.get("/calls/<code>/ranking")
def selection_ranking(code: str) -> tuple[str, int]:
    """The live ranking with the chosen options (the call's by default), charts, ties and the run form; its table a
    page at a time, filtered and sorted as asked, beside the cut-off of the whole ranking."""
    call = load_call(code)
    options, problems = _options_from_query(call)
    for problem in problems:
        flash(problem, "error")
    return _render_ranking(call, cached_live_ranking(call, options), _run_form(call, options),
                           wanted=RankingFilter.from_args(request.args))


@bp.post("/calls/<code>/runs")
def selection_run_create(code: str) -> WerkzeugResponse | tuple[str, int]:
    call = load_call(code)
    form = SelectionRunForm()
    if call.coverage_field is None:
        del form.coverage
    # A refused run shows the ranking again with the options it was asked for, not the call's defaults: the
    # officer retries with what they chose, never with options flipped behind their back.
    options = SelectionOptions.defaults(call)
    if form.validate_on_submit():
        with command(form) as outcome:
            options = SelectionOptions.from_values(
                call, budget_policy=form.budget_policy.data, reserve_size=form.reserve_size.data,
                coverage=bool(form.coverage.data) if "coverage" in form else False,
            )
            run = run_selection(call, actor=current_actor(), options=options, note=form.note.data or "")
        if outcome.ok:
            flash(gettext("Run %(number)s recorded: %(selected)s selected, %(reserve)s on the reserve list.",
                          number=run.number, selected=run.summary["selected"], reserve=run.summary["reserve"]),
                  "success")
            return redirect(url_for("manage.selection_run", code=code, number=run.number))
    return _render_ranking(call, cached_live_ranking(call, options), form, 422)


@bp.get("/calls/<code>/runs")
def selection_runs(code: str) -> str:
    call = load_call(code)
    runs = list_runs(call)
    resolutions = list_tie_resolutions(call)
    return render_template("manage/selection_runs.html", call=call, runs=runs, resolutions=resolutions,
                           describe_options=describe_options, plan=transfer_plan(call), offer_form=ConfirmForm())


@bp.get("/calls/<code>/runs/<int:number>")
def selection_run(code: str, number: int) -> str:
    call = load_call(code)
    run = _run(call, number)
    ranking = run_ranking(run)
    children = promotions_of(run)
    resolutions = {r.id: r for r in list_tie_resolutions(call)}
    shown = ranking_window(ranking, RankingFilter.from_args(request.args))
    return render_template(
        "manage/selection_run.html", call=call, run=run, ranking=ranking, verified=verify_run(run),
        predates_decision_fields=predates_decision_fields(json.loads(run.output_json)),
        listing=shown, outcomes=OUTCOME_LABELS, sorts=RANKING_SORTS, rows=ranking_rows_html(ranking, shown.rows),
        bar=budget_bar(ranking), histogram=totals_histogram(ranking), describe_options=describe_options,
        in_force=run_in_force(call), children=children, resolutions=resolutions,
        plan=transfer_plan(call) if run.is_in_force else None,
    )


@bp.get("/calls/<code>/runs/<int:number>/<any(input, output):part>.json")
def selection_run_json(code: str, number: int, part: str) -> Response:
    """The stored input or output, byte for byte (what the SHA-256 was computed on)."""
    call = load_call(code)
    run = _run(call, number)
    body = run.input_json if part == "input" else run.output_json
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{call.code}-run-{run.number}-{part}.json"'
    return response


@bp.get("/calls/<code>/runs/compare")
def selection_compare(code: str) -> str | WerkzeugResponse:
    call = load_call(code)
    runs = list_runs(call)
    numbers = [run.number for run in runs]
    try:
        a_number, b_number = int(request.args.get("a", "")), int(request.args.get("b", ""))
    except ValueError:
        if len(numbers) >= 2:
            return redirect(url_for("manage.selection_compare", code=code, a=numbers[1], b=numbers[0]))
        flash(gettext("Two runs are needed for a comparison: run the selection again with other options."), "info")
        return redirect(url_for("manage.selection_runs", code=code))
    a, b = _run(call, a_number), _run(call, b_number)
    comparison = compare_runs(a, b, acronyms=acronyms_of(call))
    return render_template("manage/selection_compare.html", call=call, comparison=comparison, runs=runs,
                           describe_options=describe_options,
                           reason_of=partial(outcome_reason, coverage_field=call.coverage_field))


@bp.route("/calls/<code>/ties/resolve", methods=["GET", "POST"])
def selection_tie_resolve(code: str) -> str | WerkzeugResponse | tuple[str, int]:
    """Give an explicit order to one residual tie (`?refs=A,B`), with a written justification."""
    call = load_call(code)
    ranking = live_ranking(call)
    wanted = [reference for reference in request.args.get("refs", "").split(",") if reference]
    tie = next((t for t in ranking.ties if set(t.references) == set(wanted)), None)
    if tie is None:
        flash(gettext("That residual tie is not in the current ranking (the scores may have changed)."), "error")
        return redirect(url_for("manage.selection_ranking", code=code))
    form = TieResolutionForm(data={"order": "\n".join(tie.references)} if request.method == "GET" else None)
    if form.validate_on_submit():
        order = [line.strip() for line in (form.order.data or "").replace(",", "\n").splitlines() if line.strip()]
        with command(form) as outcome:
            resolution = resolve_tie(call, actor=current_actor(), ordered_references=order,
                                     justification=form.justification.data or "")
        if outcome.ok:
            flash(gettext("Order recorded (tie resolution %(number)d). It applies from the next run.",
                          number=resolution.id), "success")
            return redirect(url_for("manage.selection_ranking", code=code))
    entries = ranking.by_reference
    return render_template("manage/selection_tie.html", call=call, tie=tie, form=form,
                           entries=[entries[r] for r in tie.references], ranking=ranking), \
        (422 if form.errors else 200)


@bp.post("/calls/<code>/ties/<int:resolution_id>/revoke")
def selection_tie_revoke(code: str, resolution_id: int) -> WerkzeugResponse:
    call = load_call(code)
    resolution = load_tie_resolution(call, resolution_id, current_actor())
    form = ConfirmForm()
    if form.validate_on_submit():
        with command() as outcome:
            revoke_tie_resolution(resolution, actor=current_actor())
        if outcome.ok:
            flash(gettext("Tie resolution %(number)d revoked; the next run orders the tie by reference again.",
                          number=resolution.id), "success")
    return redirect(request.referrer if _same_site(request.referrer) else
                    url_for("manage.selection_runs", code=code))


def _same_site(url: str | None) -> bool:
    return url is not None and url.startswith(request.host_url)


@bp.route("/calls/<code>/runs/<int:number>/finalise", methods=["GET", "POST"])
def selection_finalise(code: str, number: int) -> str | WerkzeugResponse | tuple[str, int]:
    """Step 1 (GET): what will change, and a token. Step 2 (POST): confirm with that token."""
    call = load_call(code)
    run = _run(call, number)
    form = FinaliseForm()
    status = 200
    if form.validate_on_submit():
        with command() as outcome:
            finalise_run(run, actor=current_actor(), token=form.token.data or "")
        status = outcome.status
        if outcome.ok:
            flash(gettext("Run %(number)d is final: the proposals moved to selected, reserve and rejected.",
                          number=run.number), "success")
            return redirect(url_for("manage.selection_run", code=code, number=run.number))
    preview = finalise_preview(run)
    form.token.data = preview.token
    acronyms = acronyms_of(call)
    return render_template("manage/selection_finalise.html", call=call, run=run, preview=preview, form=form,
                           acronyms=acronyms), status


@bp.route("/calls/<code>/runs/<int:number>/promote", methods=["GET", "POST"])
def selection_promote(code: str, number: int) -> str | WerkzeugResponse | tuple[str, int]:
    """A selected consortium declined or was found ineligible: promote from the reserve list as a new run."""
    call = load_call(code)
    run = _run(call, number)
    if not run.is_in_force:
        flash(gettext("Run %(number)d is not the finalised run in force: promote from that one.", number=run.number),
              "error")
        return redirect(url_for("manage.selection_run", code=code, number=number))
    outcomes = run_outcomes(run)
    acronyms = acronyms_of(call)
    form = PromotionForm()
    language = current_language()
    form.reference.choices = [
        _choice(o.reference, f"{o.reference} · {acronyms.get(o.reference, '')} · "
                             f"{gettext('rank %(rank)s', rank=o.rank)} · {format_money(o.requested, locale=language)}")
        for o in outcomes.selected
    ]
    if form.validate_on_submit():
        with command(form) as outcome:
            child = promote_from_reserve(run, actor=current_actor(), reference=form.reference.data or "",
                                         reason=form.reason.data or "", note=form.note.data or "")
        if outcome.ok:
            promoted = child.options.get("promotion", {}).get("promoted")
            if promoted:
                flash(gettext("Run %(number)d recorded: %(reference)s is promoted. Review it, then finalise it.",
                              number=child.number, reference=promoted), "success")
            else:
                flash(gettext("Run %(number)d recorded: no reserve proposal fits the freed budget. Review it, then "
                              "finalise it.", number=child.number), "success")
            return redirect(url_for("manage.selection_run", code=code, number=child.number))
    return render_template("manage/selection_promote.html", call=call, run=run, form=form, outcomes=outcomes,
                           acronyms=acronyms), (422 if form.errors else 200)


def _choice(value: str, label: str) -> SelectChoice:
    return SelectChoice(value, label)


@bp.get("/calls/<code>/offers")
def selection_offers_review(code: str) -> str:
    """Event calls: the proposals an offer would go to, to confirm, and each offer sent with its status."""
    call = load_call(code)
    return render_template("manage/selection_offers.html", call=call, plan=transfer_plan(call),
                           offers=offers_sent(call), form=ConfirmForm())


@bp.post("/calls/<code>/offers")
def selection_offers(code: str) -> WerkzeugResponse:
    """Event calls: offer the unselected proposals a copy in the call's transfer target (after the review page)."""
    call = load_call(code)
    form = ConfirmForm()
    if form.validate_on_submit():
        with command() as outcome:
            offers = offer_transfers(call, actor=current_actor())
        if outcome.ok:
            flash(ngettext("%(num)d offer sent; the applicants accept or decline it from their pages.",
                           "%(num)d offers sent; the applicants accept or decline them from their pages.",
                           len(offers)), "success")
    return redirect(url_for("manage.selection_offers_review", code=code))


@bp.get("/calls/<code>/ranking.<any(csv, xlsx):extension>")
def selection_export(code: str, extension: str) -> Response:
    """The ranking as CSV or XLSX: of a run (`?run=N`), or live with the options of the preview it was downloaded
    from (`policy`, `reserve`, `coverage`; the call's options when there are none)."""
    call = load_call(code)
    number = request.args.get("run")
    if number:
        if not number.isdigit():
            abort(404)
        ranking = export_ranking(call, run=_run(call, int(number)))
    else:
        options, problems = _options_from_query(call)
        if problems:  # a download cannot show a message: refuse rather than export other options than asked for
            abort(400, description=" ".join(problems))
        ranking = export_ranking(call, run=None, options=options)
    export = export_file(ranking, extension)
    return send_attachment(export.body, media_type=export.media_type, filename=export.filename)
