"""The words the pages' scripts write (app/static/js), in the reader's language.

No English lives in the scripts: every page carries these messages in one `<script type="application/json"
id="script-messages">` block (templates/base.html), and `eurograntsText` (app/static/js/app.js) fills in their
`%(name)s` placeholders. A counted message comes with both its forms (`plural_forms`), for the script to choose by
the language's rule. Where a script re-checks a rule of the server (the live checklist), it says what the server says:
the same catalogue messages as app/queries/eligibility.py.
"""

from __future__ import annotations

from typing import Any

from app.translation import gettext, plural_forms


def script_messages() -> dict[str, Any]:
    """Message key -> the message (or its plural forms) in the language being spoken, placeholders unfilled."""
    return {
        # app.js: local times, tables that scroll
        "your_time": gettext("your time"),
        "table": gettext("Table"),
        "scrolls_sideways": gettext("%(name)s (scrolls sideways)"),
        # review.js: the evaluation and consensus forms
        "characters": plural_forms("%(num)d character", "%(num)d characters"),
        "characters_short": plural_forms("%(num)d character (%(missing)d more to submit)",
                                         "%(num)d characters (%(missing)d more to submit)"),
        "choose_score": gettext("%(label)s — choose a score."),
        "write_at_least": plural_forms("%(label)s — write at least %(num)d character.",
                                       "%(label)s — write at least %(num)d characters."),
        "not_submitted": plural_forms("Not submitted: %(num)d thing is missing",
                                      "Not submitted: %(num)d things are missing"),
        # checklist.js: the proposal's checklist, re-checked as the applicant types (the server's own words)
        "fill_in_field": gettext("Fill in this field before you submit."),
        "fill_in": gettext("Fill in: %(fields)s."),
        "acronym": gettext("acronym"),
        "title": gettext("title"),
        "abstract": gettext("abstract"),
        "duration": gettext("duration"),
        "give_duration": gettext("Give the duration in months."),
        "duration_outside": plural_forms("%(num)d month is outside the allowed range.",
                                         "%(num)d months is outside the allowed range."),
        "give_grant": gettext("Give the requested EU grant."),
        "grant_above_zero": gettext("The requested EU grant must be more than zero."),
        "reduce_request": gettext("Reduce the request by %(excess)s to the cap."),
        "add_partners": plural_forms("Add %(num)d more partner (you have %(count)d).",
                                     "Add %(num)d more partners (you have %(count)d)."),
        "add_countries": plural_forms("Partners come from %(countries)s; add partners from %(num)d more country.",
                                      "Partners come from %(countries)s; add partners from %(num)d more countries."),
        "countries": plural_forms("%(num)d country", "%(num)d countries"),
        "passed": gettext("Passed:"),
        "to_fix": gettext("To fix:"),
        "item_passed": gettext("%(label)s: passed"),
        "item_to_fix": gettext("%(label)s: to fix. %(fix)s"),
        "checked_as_you_type": gettext("Checked as you type: save to confirm (the server checks it again)."),
        # proposal.js: the countdown, saving, the budget split
        "closed": gettext("closed"),
        "days_left": plural_forms("%(num)d day %(hours)d h", "%(num)d days %(hours)d h"),
        "hours_left": gettext("%(hours)d h %(minutes)s min"),
        "minutes_left": gettext("%(minutes)d min %(seconds)s s"),
        "seconds_left": gettext("%(seconds)d s"),
        "saving": gettext("Saving…"),
        "amount_form": gettext("Write amounts like 250000.00 or 250 000,00."),
        "split_adds_up": gettext("The split adds up to the requested grant."),
        "still_to_allocate": gettext("%(amount)s still to allocate."),
        "more_than_requested": gettext("%(amount)s more than the requested grant."),
        # selection.js: a residual tie ordered by hand
        "move_up": gettext("Move %(reference)s up"),
        "move_down": gettext("Move %(reference)s down"),
    }
