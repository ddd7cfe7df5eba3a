"""Retention that runs by itself: the job that applies the record of processing's rules (app/privacy/map.py) to what
has expired, and the erasures applied again to a database restored from a backup older than them.

The job is a kind of app/jobs/registry.py (`personal_data.retention`), queued by `flask --app wsgi privacy retention`
(cron) and run without a user: applying a declared rule to a date is delivery, not a decision (app/queries/access.py).
`--dry-run` prints `app.queries.retention.retention_plan` instead. Each run writes what it did to the audit trail:
an event per erased subject and one `retention.applied` with the counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app import jobs
from app.clock import utcnow
from app.enums import ErasureKind
from app.extensions import db
from app.models import Call, Erasure, Job, Proposal, User
from app.privacy.map import ACCESS_LOG, RULES, SHORT
from app.queries.retention import RetentionPlan, access_log_cutoff, retention_plan, short_lived_cutoff
from app.services import erasure, pseudonymisation
from app.services.audit import record_event

JOB_KIND = "personal_data.retention"


def start_retention_run() -> Job:
    """Queue a run of the retention job (dispatched when the caller commits)."""
    return jobs.enqueue(JOB_KIND, {"requested_at": utcnow().isoformat()})


def apply_retention(plan: RetentionPlan, config: Mapping[str, Any]) -> dict[str, Any]:
    """Erase everything `plan` lists, as the system (no user). Returns the counts, also in the audit trail."""
    drafts = erasure.delete_drafts(plan.drafts, rule="draft", actor=None)
    proposals = []
    for rule_key in sorted({rule.key for _, rule in plan.proposals}):
        proposals += erasure.erase_proposal_content(
            [p for p, rule in plan.proposals if rule.key == rule_key], rule=RULES[rule_key], actor=None)
    evaluators = erasure.erase_evaluator_declarations(plan.evaluator_calls, actor=None)
    people = [pseudonymisation.erase_person(user, actor=None, rule="account") for user in plan.accounts]
    short = erasure.erase_rows(SHORT, short_lived_cutoff(plan.now, config))
    access = erasure.erase_rows(ACCESS_LOG, access_log_cutoff(plan.now, config))
    summary = {
        "drafts_deleted": [entry.label for entry in drafts],
        "proposals_erased": [entry.label for entry in proposals],
        "evaluator_declarations_erased": [entry.label for entry in evaluators],
        "accounts_pseudonymised": [entry.label for entry in people],
        "short_lived_rows": short, "access_log_rows": access.get("personal_data_access", 0),
    }
    record_event(None, "retention.applied", object_type="retention", object_id=plan.now.date().isoformat(),
                 **summary)
    return summary


def retention_job(payload: dict[str, Any]) -> dict[str, Any]:
    """The job: plan at the app's clock, apply, and report (the job's runner commits)."""
    config = current_app.config
    return apply_retention(retention_plan(utcnow(), config), config)


# --- after a restore -------------------------------------------------------------------------------------------------

def reapply_erasures(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Erase again, in a database just restored from a backup, every subject the register file names that the
    restored database does not record as erased (the backup predates its erasure). Returns the entries applied.

    Each keeps its original time, rule and pseudonym; none is appended to the register file again.
    """
    known = {(kind, subject_id) for kind, subject_id in db.session.execute(sa.select(Erasure.kind, Erasure.subject_id))}
    applied = []
    for entry in entries:
        kind, subject_id = ErasureKind(entry["kind"]), int(entry["subject_id"])
        if (kind, subject_id) in known:
            continue
        erased_at = datetime.fromisoformat(entry["erased_at"])
        if not _reapply(kind, subject_id, entry, erased_at):
            continue
        known.add((kind, subject_id))
        applied.append(entry)
    if applied:
        record_event(None, "personal_data.erasures_reapplied", object_type="backup", object_id="restore",
                     entries=[{"kind": e["kind"], "label": e["label"], "erased_at": e["erased_at"]} for e in applied])
    return applied


def _reapply(kind: ErasureKind, subject_id: int, entry: dict[str, Any], erased_at: datetime) -> bool:
    if kind is ErasureKind.PERSON:
        person = db.session.get(User, subject_id)
        if person is None:
            return False
        pseudonymisation.erase_person(person, actor=None, rule=entry["rule"], label=entry["label"],
                                      erased_at=erased_at, remember=False)
    elif kind in (ErasureKind.PROPOSAL, ErasureKind.DRAFT):
        proposal = db.session.get(Proposal, subject_id)
        if proposal is None:
            return False
        if kind is ErasureKind.DRAFT:
            erasure.delete_drafts([proposal], rule=entry["rule"], actor=None, erased_at=erased_at, remember=False)
        else:
            erasure.erase_proposal_content([proposal], rule=RULES[entry["rule"]], actor=None, erased_at=erased_at,
                                           remember=False)
    else:
        call = db.session.get(Call, subject_id)
        if call is None:
            return False
        erasure.erase_evaluator_declarations([call], actor=None, erased_at=erased_at, remember=False)
    return True
