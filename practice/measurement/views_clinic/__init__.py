"""Staff clinic pages (`/clinic/`): the caseload, a client's scores and trend charts, assigning,
entered-in-error, the 60-second pre-session review, the alert inbox, and practice-defined
instruments with their scoring preview.

Only the owner and clinicians see clinical content; everyone else signed in gets a 404, the same
page as an address that does not exist. A client, response or alert out of the user's reach (or
in another practice) is as missing as one that never existed. Every page showing a client's data
leaves a read event in the audit trail (ids only, never values)."""

from practice.measurement.views_clinic.alerts import (
    alert_acknowledge,
    alert_inbox,
    alert_resolve,
    alert_snooze,
)
from practice.measurement.views_clinic.clients import (
    assign,
    assignment_end,
    caseload,
    client_detail,
    response_entered_in_error,
    review,
)
from practice.measurement.views_clinic.instruments import (
    instrument_create,
    instrument_edit,
    instrument_list,
    instrument_preview,
    instrument_publish,
)

__all__ = [
    "alert_acknowledge",
    "alert_inbox",
    "alert_resolve",
    "alert_snooze",
    "assign",
    "assignment_end",
    "caseload",
    "client_detail",
    "instrument_create",
    "instrument_edit",
    "instrument_list",
    "instrument_preview",
    "instrument_publish",
    "response_entered_in_error",
    "review",
]
