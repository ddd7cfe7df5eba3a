"""A person's rights over their personal data: access and portability (the export), rectification, erasure.

Each is a service like any other: it checks who may do it, changes state (or reads, for the export), writes an
audit event and flushes; the view commits. What is held, why and for how long is declared in app/privacy/map.py.
"""

from __future__ import annotations

from app.models import User
from app.privacy.access_log import note_access
from app.queries.access import require_officer
from app.queries.personal_data import PersonalDataExport, personal_data_export
from app.services.audit import record_event
from app.services.errors import InvalidInput

REQUEST_REFERENCE_LIMIT = 300


def _request_reference(actor: User, subject: User, reference: str) -> str:
    """An officer acting for a person names the request they answer (a letter received by post: its date or
    registration number), so that the audit trail and the access log say why."""
    reference = " ".join(reference.split())
    if actor.id != subject.id and not reference:
        raise InvalidInput("Give the reference of the request you answer (e.g. the letter's date or registration "
                           "number).", details={"field": "request_reference"})
    if len(reference) > REQUEST_REFERENCE_LIMIT:
        raise InvalidInput(f"At most {REQUEST_REFERENCE_LIMIT} characters.", details={"field": "request_reference"})
    return reference


# --- access and portability ------------------------------------------------------------------------------------------

def export_personal_data(subject: User, *, actor: User, request_reference: str = "") -> PersonalDataExport:
    """Everything held about `subject`, for themselves, or for an officer answering their request by post.

    Side effects: an audit event `personal_data.exported`; an officer's export is also on the access log.
    """
    if actor.id != subject.id:
        require_officer(actor, to="export another person's data")
    reference = _request_reference(actor, subject, request_reference)
    export = personal_data_export(subject)
    record_event(actor, "personal_data.exported", object_type="user", object_id=subject.id,
                 for_the_person=actor.id != subject.id, request=reference, counts=export.counts())
    if actor.id != subject.id:
        note_access(actor, action="exported", subject=subject, note=reference)
    return export
