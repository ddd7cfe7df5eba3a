"""Officer pages of ranking and selection: the ranking, runs, what-if comparison, ties, finalisation, promotion,
exports and, for event calls, transfer offers."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup, escape
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import SelectChoice

from app.clock import utcnow
from app.extensions import db
from app.formatting import format_amount, format_money, format_score
from app.manage import bp
from app.manage.charts import budget_bar, totals_histogram
from app.manage.exports import export_file
from app.models import Call, SelectionRun
from app.queries.access import load_call, load_run, load_tie_resolution
from app.queries.ranking import Ranking, live_ranking, run_ranking
from app.services.errors import InvalidInput
from app.services.selection import (
    SelectionOptions,
    acronyms_of,
    compare_runs,
    describe_options,
    finalise_preview,
    finalise_run,
    list_runs,
    list_tie_resolutions,
    load_call_data,
    predates_decision_fields,
    promote_from_reserve,
    resolve_tie,
    revoke_tie_resolution,
    run_in_force,
    run_outcomes,
    run_selection,
    verify_run,
)
from app.services.transfer import offer_transfers, transfer_plan
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
    return {"as_decimal": Decimal}


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
            problems.append("The reserve size must be a whole number.")
    if "coverage" in request.args:
        # The form sends a hidden "0" and, when the box is ticked, the checkbox's "1" after it: the rule is on
        # when any value says so (the first value alone is always the hidden "0").
        values["coverage"] = any(value in TRUTHY for value in request.args.getlist("coverage"))
    try:
        return SelectionOptions.from_values(call, **values), problems
    except InvalidInput as error:
        problems.append(error.message)
        return SelectionOptions.defaults(call), problems


@lru_cache(maxsize=4096)
def _score_text(value: Decimal) -> str:
    # Memoised: a large ranking formats the same few hundred score values thousands of times.
    return format_score(value)


def ranking_rows_html(ranking: Ranking) -> Markup:
    """The rows of the ranking table (templates/manage/selection_table.html), built here rather than in Jinja so
    that a page of thousands of proposals renders in a fraction of the time. Every value that comes from the
    database or the scoring output goes through `escape`; only our own markup and numbers are written as is."""
    money = ranking.budget is not None
    criteria = [(c.key, c.threshold) for c in ranking.criteria]
    out: list[str] = []
    for e in ranking.entries:
        reference = escape(e.reference)
        cells = []
        for key, threshold in criteria:
            value = e.scores.get(key)
            if value is None:
                cells.append('<td class="num" data-value="-1">–</td>')
            else:
                below = " below" if threshold is not None and value < threshold else ""
                cells.append(f'<td class="num{below}" data-value="{value}">{_score_text(value)}</td>')
        if e.thresholds_passed is None:
            passed = '<span class="muted">–</span>'
        elif e.thresholds_passed:
            passed = '<span class="ok">✓ passed</span>'
        else:
            passed = f'<span class="bad">✗ {escape("; ".join(e.failed))}</span>'
        tie = " · ".join("–" if v is None else _score_text(v) for _, v in e.tie_keys) or "–"
        if e.tie_resolution:
            tie += f'<br><span class="badge badge-resolved">officer\'s order #{int(e.tie_resolution)}</span>'
        step = f'<td class="num step" data-value="{999999 if e.step is None else e.step}">{e.step or "–"}</td>'
        amounts = [] if not money else [  # event calls award slots: no money columns
            f'<td class="num nowrap" data-value="{e.requested or 0}">'
            f'{"–" if e.requested is None else format_amount(e.requested)}</td>',
            f'<td class="num nowrap" data-value="{-1 if e.budget_left is None else e.budget_left}">'
            f'{"–" if e.budget_left is None else format_amount(e.budget_left)}</td>',
        ]
        label = escape(f"{e.status_label} {e.reserve_position}" if e.reserve_position else e.status_label)
        rank = "–" if e.rank is None else str(e.rank)
        country = f' <span class="muted">({escape(e.country)})</span>' if e.country else ""
        why = e.reason_label
        why_html = f'<br><span class="small muted reason-code">{escape(why)}</span>' if why else ""
        out.append("".join([
            f'<tr class="row-{escape(e.status)}" id="p-{reference}">',
            f'<td class="num" data-value="{999999 if e.rank is None else e.rank}">{rank}</td>',
            f'<td class="proposal-cell"><strong>{escape(e.acronym)}</strong><br>',
            f'<code class="ref">{reference}</code></td>',
            f"<td>{escape(e.coordinator)}{country}</td>",
            f"<td>{escape(e.strand or '–')}</td>",
            *cells,
            f"<td>{passed}</td>",
            f'<td class="num" data-value="{-1 if e.total is None else e.total}">',
            f'<strong>{e.total_text or "–"}</strong></td>',
            f'<td class="small nowrap" title="{escape(e.tie_keys_text)}">{tie}</td>',
            step,
            *amounts,
            f'<td data-value="{escape(e.status)}"><span class="badge status-{escape(e.status)}">{label}</span>',
            f"{why_html}</td>",
            f'<td class="reason">{escape(e.reason)}</td></tr>',
        ]))
    return Markup("\n".join(out))  # noqa: S704 - built above from escaped values and our own markup


def _run_form(call: Call, options: SelectionOptions) -> SelectionRunForm:
    form = SelectionRunForm(data={"budget_policy": options.budget_policy, "reserve_size": options.reserve_size,
                                  "coverage": options.coverage})
    if call.coverage_field is None:
        del form.coverage
    return form


def _render_ranking(call: Call, ranking: Ranking, form: SelectionRunForm, status: int = 200) -> tuple[str, int]:
    runs = list_runs(call)
    return render_template(
        "manage/selection_ranking.html", call=call, ranking=ranking, form=form, runs=runs[:5],
        run_count=len(runs), in_force=next((run for run in runs if run.is_in_force), None),
        bar=budget_bar(ranking), histogram=totals_histogram(ranking), describe_options=describe_options,
        defaults=SelectionOptions.defaults(call), now=utcnow(), rows=ranking_rows_html(ranking),
    ), status


@bp.get("/calls/<code>/ranking")
def selection_ranking(code: str) -> tuple[str, int]:
    """The live ranking with the chosen options (the call's by default), charts, ties and the run form."""
    call = load_call(code)
    options, problems = _options_from_query(call)
    for problem in problems:
        flash(problem, "error")
    return _render_ranking(call, live_ranking(call, options), _run_form(call, options))


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
            flash(f"Run {run.number} recorded: {run.summary['selected']} selected, "
                  f"{run.summary['reserve']} on the reserve list.", "success")
            return redirect(url_for("manage.selection_run", code=code, number=run.number))
    return _render_ranking(call, live_ranking(call, options), form, 422)


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
    children = db.session.scalars(sa.select(SelectionRun.number).where(SelectionRun.parent_run_id == run.id)
                                  .order_by(SelectionRun.number)).all()
    resolutions = {r.id: r for r in list_tie_resolutions(call)}
    return render_template(
        "manage/selection_run.html", call=call, run=run, ranking=ranking, verified=verify_run(run),
        predates_decision_fields=predates_decision_fields(json.loads(run.output_json)),
        rows=ranking_rows_html(ranking),
        bar=budget_bar(ranking), histogram=totals_histogram(ranking), describe_options=describe_options,
        in_force=run_in_force(call), children=children, resolutions=resolutions,
        plan=transfer_plan(call) if run.is_in_force else None, offer_form=ConfirmForm(),
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
        flash("Two runs are needed for a comparison: run the selection again with other options.", "info")
        return redirect(url_for("manage.selection_runs", code=code))
    a, b = _run(call, a_number), _run(call, b_number)
    comparison = compare_runs(a, b, acronyms=acronyms_of(call))
    return render_template("manage/selection_compare.html", call=call, comparison=comparison, runs=runs,
                           describe_options=describe_options)


@bp.route("/calls/<code>/ties/resolve", methods=["GET", "POST"])
def selection_tie_resolve(code: str) -> str | WerkzeugResponse | tuple[str, int]:
    """Give an explicit order to one residual tie (`?refs=A,B`), with a written justification."""
    call = load_call(code)
    ranking = live_ranking(call)
    wanted = [reference for reference in request.args.get("refs", "").split(",") if reference]
    tie = next((t for t in ranking.ties if set(t.references) == set(wanted)), None)
    if tie is None:
        flash("That residual tie is not in the current ranking (the scores may have changed).", "error")
        return redirect(url_for("manage.selection_ranking", code=code))
    form = TieResolutionForm(data={"order": "\n".join(tie.references)} if request.method == "GET" else None)
    if form.validate_on_submit():
        order = [line.strip() for line in (form.order.data or "").replace(",", "\n").splitlines() if line.strip()]
        with command(form) as outcome:
            resolution = resolve_tie(call, actor=current_actor(), ordered_references=order,
                                     justification=form.justification.data or "")
        if outcome.ok:
            flash(f"Order recorded (tie resolution {resolution.id}). It applies from the next run.", "success")
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
            flash(f"Tie resolution {resolution.id} revoked; the next run orders the tie by reference again.",
                  "success")
    return redirect(request.referrer if _same_site(request.referrer) else
                    url_for("manage.selection_runs", code=code))


def _same_site(url: str | None) -> bool:
    return bool(url) and url.startswith(request.host_url)  # type: ignore[union-attr]


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
            flash(f"Run {run.number} is final: the proposals moved to selected, reserve and rejected.", "success")
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
        flash(f"Run {run.number} is not the finalised run in force: promote from that one.", "error")
        return redirect(url_for("manage.selection_run", code=code, number=number))
    outcomes = run_outcomes(run)
    acronyms = acronyms_of(call)
    form = PromotionForm()
    form.reference.choices = [
        _choice(o.reference, f"{o.reference} · {acronyms.get(o.reference, '')} · rank {o.rank} · "
                             f"{format_money(o.requested)}")
        for o in outcomes.selected
    ]
    if form.validate_on_submit():
        with command(form) as outcome:
            child = promote_from_reserve(run, actor=current_actor(), reference=form.reference.data or "",
                                         reason=form.reason.data or "", note=form.note.data or "")
        if outcome.ok:
            promoted = child.options.get("promotion", {}).get("promoted")
            flash(f"Run {child.number} recorded: {promoted or 'no reserve proposal fits the freed budget'}"
                  f"{' is promoted' if promoted else ''}. Review it, then finalise it.", "success")
            return redirect(url_for("manage.selection_run", code=code, number=child.number))
    return render_template("manage/selection_promote.html", call=call, run=run, form=form, outcomes=outcomes,
                           acronyms=acronyms), (422 if form.errors else 200)


def _choice(value: str, label: str) -> SelectChoice:
    return SelectChoice(value, label)


@bp.post("/calls/<code>/offers")
def selection_offers(code: str) -> WerkzeugResponse:
    """Event calls: offer the unselected proposals a copy in the call's transfer target."""
    call = load_call(code)
    form = ConfirmForm()
    if form.validate_on_submit():
        with command() as outcome:
            offers = offer_transfers(call, actor=current_actor())
        if outcome.ok:
            flash(f"{len(offers)} offer(s) sent; the applicants accept or decline them from their pages.",
                  "success")
    return redirect(url_for("manage.selection_runs", code=code))


@bp.get("/calls/<code>/ranking.<any(csv, xlsx):extension>")
def selection_export(code: str, extension: str) -> Response:
    """The ranking as CSV or XLSX: of a run (`?run=N`), or live with the options of the preview it was downloaded
    from (`policy`, `reserve`, `coverage`; the call's options when there are none)."""
    call = load_call(code)
    ranking = export_ranking(call, request.args.get("run"))
    export = export_file(ranking, extension)
    return send_attachment(export.body, media_type=export.media_type, filename=export.filename)


def export_ranking(call: Call, run_number: str | None) -> Ranking:
    """The ranking an export shows: a stored run's, or the live one with the query's options."""
    data = load_call_data(call, with_comments=True)
    if run_number:
        if not run_number.isdigit():
            abort(404)
        return run_ranking(_run(call, int(run_number)), data=data)
    options, problems = _options_from_query(call)
    if problems:  # a download cannot show a message: refuse rather than export other options than asked for
        abort(400, description=" ".join(problems))
    return live_ranking(call, options, data=data)
