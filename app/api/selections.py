"""Ranking and selection over the API, for programme officers (and administrators).

GET the live ranking of a call (with what-if options), run a selection, read a run, preview and finalise it
(the preview's token confirms), promote from the reserve list, and download the ranking as CSV or XLSX.
Every endpoint answers 403 to other roles and 404 for an unknown call or run.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request

from app.api import abort, bp
from app.api.schemas_selections import (
    FinaliseSchema,
    PreviewSchema,
    PromoteSchema,
    RankingQuerySchema,
    RankingSchema,
    RunCreateSchema,
    RunSchema,
    RunSummarySchema,
)
from app.manage.exports import export_file
from app.models import Call, SelectionRun
from app.queries.access import load_call, load_run, load_run_by_id
from app.queries.outcomes import verify_run
from app.queries.ranking import Ranking, export_ranking, live_ranking, run_ranking
from app.queries.runs import describe_options, finalise_preview, list_runs
from app.queries.selection import SelectionOptions
from app.services.promotion import promote_from_reserve
from app.services.selection import finalise_run, run_selection
from app.web.access import current_actor, officer_required
from app.web.downloads import send_attachment

# ---------------------------------------------------------------------------------------------- helpers


def _options(call: Call, args: dict[str, Any]) -> SelectionOptions:
    return SelectionOptions.from_values(call, budget_policy=args.get("budget_policy"),
                                        reserve_size=args.get("reserve_size"), coverage=args.get("coverage"))


def _ranking_body(ranking: Ranking) -> dict[str, Any]:
    readiness = ranking.readiness
    return {
        "call": ranking.call.code,
        "options": ranking.options.to_dict() if ranking.options else {},
        "ready": readiness.is_ready if readiness else True,
        "not_ready": readiness.details() if readiness and not readiness.is_ready else {},
        "budget": ranking.budget, "max_awards": ranking.max_awards, "selected_total": ranking.selected_total,
        "remaining_budget": ranking.remaining, "counts": ranking.counts(), "ties": ranking.ties,
        "proposals": ranking.entries,
    }


def _run_body(run: SelectionRun, *, detail: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": run.id, "number": run.number, "call": run.call.code, "status": run.status.value,
        "in_force": run.is_in_force, "promotion_of": run.parent_run.number if run.parent_run else None,
        "options": run.options, "description": describe_options(run.options), "note": run.note,
        "summary": run.summary, "input_sha256": run.input_sha256, "output_sha256": run.output_sha256,
        "created_at": run.created_at, "created_by": run.created_by.email if run.created_by else None,
        "finalised_at": run.finalised_at,
    }
    if detail:
        body["reproducible"] = verify_run(run)
        body["ranking"] = _ranking_body(run_ranking(run))
    return body


# ---------------------------------------------------------------------------------------------- endpoints


@bp.get("/calls/<code>/ranking")
@officer_required
@bp.arguments(RankingQuerySchema, location="query")
@bp.response(200, RankingSchema)
@bp.alt_response(403, description="Not a programme officer")
@bp.alt_response(404, description="No such call")
def selection_ranking(args: dict[str, Any], code: str) -> dict[str, Any]:
    """The live ranking of the call with the given options (the call's by default); stores nothing."""
    call = load_call(code)
    return _ranking_body(live_ranking(call, _options(call, args)))


# A run has one identity, its call's code and its number: /calls/{code}/runs/{number}. The paths of old
# (/calls/{code}/selections, /selections/{id}) stay as deprecated aliases that answer the same.

RUN_ERRORS = {403: "Not a programme officer", 404: "No such call or run"}
DEPRECATED = "Deprecated alias of {path}: the same operation at the run's one address."


def _run(code: str, number: int) -> SelectionRun:
    return load_run(load_call(code), number, current_actor())


def _preview_body(run: SelectionRun) -> dict[str, Any]:
    preview = finalise_preview(run)
    return {"run": preview.run.id, "token": preview.token, "can_finalise": preview.can_finalise,
            "blockers": preview.blockers, "counts": preview.counts, "references": preview.references,
            "selected_total": preview.selected_total,
            "changes": [{"reference": c.reference, "before": c.before.value if c.before else None,
                         "before_position": c.before_position, "after": c.after.value,
                         "after_position": c.after_position} for c in preview.changes]}


def _finalise(run: SelectionRun, args: dict[str, Any]) -> dict[str, Any]:
    finalise_run(run, actor=current_actor(), token=args["token"])
    return _run_body(run)


def _promote(run: SelectionRun, args: dict[str, Any]) -> dict[str, Any]:
    child = promote_from_reserve(run, actor=current_actor(), reference=args["reference"], reason=args["reason"],
                                 note=args["note"])
    return _run_body(child, detail=True)


def _create(code: str, args: dict[str, Any]) -> dict[str, Any]:
    call = load_call(code)
    run = run_selection(call, actor=current_actor(), options=_options(call, args), note=args.get("note", ""))
    return _run_body(run, detail=True)


@bp.get("/calls/<code>/runs")
@officer_required
@bp.response(200, RunSummarySchema(many=True))
@bp.alt_response(403, description=RUN_ERRORS[403])
@bp.alt_response(404, description="No such call")
def run_list(code: str) -> list[dict[str, Any]]:
    """The call's selection runs, newest first."""
    return [_run_body(run) for run in list_runs(load_call(code))]


@bp.post("/calls/<code>/runs")
@officer_required
@bp.arguments(RunCreateSchema)
@bp.response(201, RunSchema)
@bp.alt_response(403, description=RUN_ERRORS[403])
@bp.alt_response(404, description="No such call")
@bp.alt_response(409, description="not_ready: the call is open, or proposals lack screening or a consensus")
@bp.alt_response(422, description="Invalid options")
def run_create(args: dict[str, Any], code: str) -> dict[str, Any]:
    """Run the selection with these options and record it (input, output, SHA-256 of both)."""
    return _create(code, args)


@bp.get("/calls/<code>/runs/<int:number>")
@officer_required
@bp.response(200, RunSchema)
@bp.alt_response(403, description=RUN_ERRORS[403])
@bp.alt_response(404, description=RUN_ERRORS[404])
def run_get(code: str, number: int) -> dict[str, Any]:
    """One run: options, hashes, whether it re-runs byte-identically, and the ranking it decided."""
    return _run_body(_run(code, number), detail=True)


@bp.get("/calls/<code>/runs/<int:number>/finalise")
@officer_required
@bp.response(200, PreviewSchema)
@bp.alt_response(403, description=RUN_ERRORS[403])
@bp.alt_response(404, description=RUN_ERRORS[404])
def run_finalise_preview(code: str, number: int) -> dict[str, Any]:
    """Step 1: what finalising would change, and the token that confirms it."""
    return _preview_body(_run(code, number))


@bp.post("/calls/<code>/runs/<int:number>/finalise")
@officer_required
@bp.arguments(FinaliseSchema)
@bp.response(200, RunSummarySchema)
@bp.alt_response(403, description=RUN_ERRORS[403])
@bp.alt_response(404, description=RUN_ERRORS[404])
@bp.alt_response(409, description="invalid_transition (already final, another run in force, stale data) or "
                                  "stale_preview (the token is not the current preview's)")
def run_finalise(args: dict[str, Any], code: str, number: int) -> dict[str, Any]:
    """Step 2: finalise with the preview's token; the proposals get their decisions."""
    return _finalise(_run(code, number), args)


@bp.post("/calls/<code>/runs/<int:number>/promote")
@officer_required
@bp.arguments(PromoteSchema)
@bp.response(201, RunSchema)
@bp.alt_response(403, description=RUN_ERRORS[403])
@bp.alt_response(404, description=RUN_ERRORS[404])
@bp.alt_response(409, description="The run is not the finalised run in force")
@bp.alt_response(422, description="The proposal is not selected in the run")
def run_promote(args: dict[str, Any], code: str, number: int) -> dict[str, Any]:
    """A selected proposal declined or was found ineligible: promote from the reserve list (a new draft run)."""
    return _promote(_run(code, number), args)


# --- the paths of old, deprecated --------------------------------------------------------------------------------

@bp.get("/calls/<code>/selections")
@officer_required
@bp.response(200, RunSummarySchema(many=True))
@bp.doc(deprecated=True, description=DEPRECATED.format(path="GET /calls/{code}/runs"))
def selection_list(code: str) -> list[dict[str, Any]]:
    """The call's selection runs, newest first."""
    return [_run_body(run) for run in list_runs(load_call(code))]


@bp.post("/calls/<code>/selections")
@officer_required
@bp.arguments(RunCreateSchema)
@bp.response(201, RunSchema)
@bp.doc(deprecated=True, description=DEPRECATED.format(path="POST /calls/{code}/runs"))
def selection_create(args: dict[str, Any], code: str) -> dict[str, Any]:
    """Run the selection with these options and record it."""
    return _create(code, args)


@bp.get("/selections/<int:run_id>")
@officer_required
@bp.response(200, RunSchema)
@bp.doc(deprecated=True, description=DEPRECATED.format(path="GET /calls/{code}/runs/{number}"))
def selection_get(run_id: int) -> dict[str, Any]:
    """One run, by its id."""
    return _run_body(load_run_by_id(run_id, current_actor()), detail=True)


@bp.get("/selections/<int:run_id>/finalise")
@officer_required
@bp.response(200, PreviewSchema)
@bp.doc(deprecated=True, description=DEPRECATED.format(path="GET /calls/{code}/runs/{number}/finalise"))
def selection_finalise_preview(run_id: int) -> dict[str, Any]:
    """Step 1 of finalising a run, by its id."""
    return _preview_body(load_run_by_id(run_id, current_actor()))


@bp.post("/selections/<int:run_id>/finalise")
@officer_required
@bp.arguments(FinaliseSchema)
@bp.response(200, RunSummarySchema)
@bp.doc(deprecated=True, description=DEPRECATED.format(path="POST /calls/{code}/runs/{number}/finalise"))
def selection_finalise(args: dict[str, Any], run_id: int) -> dict[str, Any]:
    """Step 2 of finalising a run, by its id."""
    return _finalise(load_run_by_id(run_id, current_actor()), args)


@bp.post("/selections/<int:run_id>/promote")
@officer_required
@bp.arguments(PromoteSchema)
@bp.response(201, RunSchema)
@bp.doc(deprecated=True, description=DEPRECATED.format(path="POST /calls/{code}/runs/{number}/promote"))
def selection_promote(args: dict[str, Any], run_id: int) -> dict[str, Any]:
    """Promote from the reserve list of a run, by its id."""
    return _promote(load_run_by_id(run_id, current_actor()), args)


@bp.get("/calls/<code>/ranking.csv")
@officer_required
@bp.doc(responses={"200": {"description": "The ranking as CSV (UTF-8 with BOM)",
                           "content": {"text/csv": {"schema": {"type": "string"}}}}})
def selection_ranking_csv(code: str) -> Response:
    """The live ranking with the call's options as CSV; `?run=<number>` for a stored run."""
    return _export(code, "csv")


@bp.get("/calls/<code>/ranking.xlsx")
@officer_required
@bp.doc(responses={"200": {"description": "The ranking as an XLSX workbook (ranking and consensus comments)",
                           "content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
                                       {"schema": {"type": "string", "format": "binary"}}}}})
def selection_ranking_xlsx(code: str) -> Response:
    """The live ranking with the call's options as XLSX; `?run=<number>` for a stored run."""
    return _export(code, "xlsx")


def _export(code: str, extension: str) -> Response:
    call = load_call(code)
    number = request.args.get("run")
    if number and not number.isdigit():
        abort(404, message=f"There is no run {number} of {code}.")
    ranking = export_ranking(call, run=load_run(call, int(number), current_actor()) if number else None)
    export = export_file(ranking, extension)
    return send_attachment(export.body, media_type=export.media_type, filename=export.filename)
