"""Why no valid assignment exists, in the reader's language (templates/manage/evaluation_assignments.html).

The solver (`matching`, pure) words its refusal and each proposal's shortfall in English, as data the API and the
audit keep; here they are said again from their codes and figures (`reason_code`, `figures` in the refusal's
details). A code without wording here is shown as the solver wrote it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.services.errors import AssignmentInfeasible
from app.translation import current_language, gettext, ngettext


@dataclass(frozen=True)
class InfeasibleText:
    message: str
    reasons: dict[int, str]  # proposal id -> why it cannot be covered


def infeasible_text(error: AssignmentInfeasible) -> InfeasibleText:
    """The refusal's message and each proposal's reason in the language being spoken."""
    details = error.details
    proposals: list[dict[str, Any]] = details.get("proposals", [])
    if current_language() == "en":
        return InfeasibleText(error.message, {p["id"]: p["reason"] for p in proposals})
    message = _message(str(details.get("reason_code") or ""), details.get("figures") or {}) or error.message
    return InfeasibleText(message, {p["id"]: _reason(str(p.get("reason_code") or ""), p.get("figures") or {})
                                    or p["reason"] for p in proposals})


def _message(code: str, f: Mapping[str, int]) -> str | None:
    if code == "places" and f.get("proposals") == 1:
        return ngettext("1 proposal cannot be covered: %(num)d evaluator place cannot be filled without a conflict "
                        "of interest or exceeding a maximum load. Invite more evaluators, raise maximum loads, or "
                        "lower the evaluators per proposal.",
                        "1 proposal cannot be covered: %(num)d evaluator places cannot be filled without a conflict "
                        "of interest or exceeding a maximum load. Invite more evaluators, raise maximum loads, or "
                        "lower the evaluators per proposal.", f["missing"])
    if code == "places":
        return ngettext("%(count)d proposals cannot all be covered: %(num)d of the %(needed)d evaluator places they "
                        "need cannot be filled without a conflict of interest or exceeding a maximum load. Invite "
                        "more evaluators, raise maximum loads, or lower the evaluators per proposal.",
                        "%(count)d proposals cannot all be covered: %(num)d of the %(needed)d evaluator places they "
                        "need cannot be filled without a conflict of interest or exceeding a maximum load. Invite "
                        "more evaluators, raise maximum loads, or lower the evaluators per proposal.",
                        f["missing"], count=f["proposals"], needed=f["needed"])
    if code == "nationality":
        return ngettext("The rule “at most one evaluator of each nationality per proposal” cannot be met: %(num)d "
                        "evaluator place of the proposals concerned (%(count)d) cannot be filled without two "
                        "evaluators of one nationality on a panel. Invite evaluators of other nationalities, or turn "
                        "the rule off for this call.",
                        "The rule “at most one evaluator of each nationality per proposal” cannot be met: %(num)d "
                        "evaluator places of the proposals concerned (%(count)d) cannot be filled without two "
                        "evaluators of one nationality on a panel. Invite evaluators of other nationalities, or turn "
                        "the rule off for this call.", f["missing"], count=f["proposals"])
    if code == "gender":
        pool = "; ".join(
            gettext("places the panels need for women: %(asked)d; free places of the pool's women: %(free)d",
                    asked=f["woman_asked"], free=f["woman_free"]) if gender == "woman" else
            gettext("places the panels need for men: %(asked)d; free places of the pool's men: %(free)d",
                    asked=f["man_asked"], free=f["man_free"])
            for gender in ("woman", "man") if f"{gender}_asked" in f)
        return ngettext("The rule “at least %(share)d %% women and %(share)d %% men on every panel” cannot be met: "
                        "%(num)d place of the panels concerned (%(count)d) cannot go to the gender the rule asks "
                        "(%(pool)s). Invite more evaluators of that gender, raise their maximum loads, lower the "
                        "target, or make the rule soft for this call.",
                        "The rule “at least %(share)d %% women and %(share)d %% men on every panel” cannot be met: "
                        "%(num)d places of the panels concerned (%(count)d) cannot go to the gender the rule asks "
                        "(%(pool)s). Invite more evaluators of that gender, raise their maximum loads, lower the "
                        "target, or make the rule soft for this call.", f["missing"], share=f["share"],
                        count=f["panels"], pool=pool)
    return None


def _reason(code: str, f: Mapping[str, int]) -> str | None:
    if code == "too_few":
        return ngettext("needs %(num)d more evaluator; free of conflicts and below their maximum load in the pool: "
                        "%(available)d (conflicted: %(conflicted)d; at their maximum load: %(full)d)",
                        "needs %(num)d more evaluators; free of conflicts and below their maximum load in the pool: "
                        "%(available)d (conflicted: %(conflicted)d; at their maximum load: %(full)d)",
                        f["need"], available=f["available"], conflicted=f["conflicted"], full=f["full"])
    if code == "competing":
        return ngettext("needs %(num)d more evaluator; its evaluators free of conflicts (%(available)d) are also the "
                        "only ones for other proposals (%(others)d): together these need %(needed)d places and those "
                        "evaluators have %(places)d free (conflicted with this proposal: %(conflicted)d)",
                        "needs %(num)d more evaluators; its evaluators free of conflicts (%(available)d) are also the "
                        "only ones for other proposals (%(others)d): together these need %(needed)d places and those "
                        "evaluators have %(places)d free (conflicted with this proposal: %(conflicted)d)",
                        f["need"], available=f["available"], others=f["others"], needed=f["needed"],
                        places=f["places"], conflicted=f["conflicted"])
    if code == "nationality":
        return ngettext("needs %(num)d more evaluator of different nationalities, but the evaluators free of "
                        "conflicts with a free place (once the other proposals have theirs) are of few nationalities "
                        "(%(nationalities)d); places that would break the rule: %(broken)d",
                        "needs %(num)d more evaluators of different nationalities, but the evaluators free of "
                        "conflicts with a free place (once the other proposals have theirs) are of few nationalities "
                        "(%(nationalities)d); places that would break the rule: %(broken)d",
                        f["need"], nationalities=f["nationalities"], broken=f["broken"])
    if code == "gender":
        needs = "; ".join(_gender_need(gender, f) for gender in ("woman", "man") if f"{gender}_missing" in f)
        return gettext("its panel needs %(needs)s", needs=needs)
    return None


def _gender_need(gender: str, f: Mapping[str, int]) -> str:
    values = {"share": f["share"], "panel": f["panel"], "free": f[f"{gender}_free"],
              "missing": f[f"{gender}_missing"]}
    if gender == "woman":
        return ngettext("%(num)d woman (%(share)d %% of %(panel)d, rounded down): women of the pool free of "
                        "conflicts with it and with a free place: %(free)d; places that cannot go to one once the "
                        "other panels have theirs: %(missing)d",
                        "%(num)d women (%(share)d %% of %(panel)d, rounded down): women of the pool free of "
                        "conflicts with it and with a free place: %(free)d; places that cannot go to one once the "
                        "other panels have theirs: %(missing)d", f["minimum"], **values)
    return ngettext("%(num)d man (%(share)d %% of %(panel)d, rounded down): men of the pool free of conflicts with "
                    "it and with a free place: %(free)d; places that cannot go to one once the other panels have "
                    "theirs: %(missing)d",
                    "%(num)d men (%(share)d %% of %(panel)d, rounded down): men of the pool free of conflicts with "
                    "it and with a free place: %(free)d; places that cannot go to one once the other panels have "
                    "theirs: %(missing)d", f["minimum"], **values)
