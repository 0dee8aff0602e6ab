"""Writes the client's portal makes that are more than one measurement service call."""

from __future__ import annotations

from django.db import transaction

from practice.measurement import services
from practice.measurement.services import SubmitOutcome
from tenants.accounts.models import User
from tenants.audit.services import RequestMeta

MOOD_KEY = "mood"


@transaction.atomic
def mood_checkin_submit(*, client: User, mood: int, note: str = "",
                        meta: RequestMeta | None = None) -> SubmitOutcome:
    """A daily mood check-in: started and submitted together, so a failure leaves nothing half
    done. `mood` is the rating 0 to 10 (the option position equals the points)."""
    response = services.response_start_adhoc(client=client, instrument_key=MOOD_KEY)
    return services.response_submit(client=client, response_id=response.pk,
                                     answers={"mood": mood}, note=note, meta=meta)
