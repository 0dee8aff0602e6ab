"""The alert count for the staff navigation. Register
``practice.measurement.context_processors.clinic_alerts`` in TEMPLATES to show it.

Only for the owner and clinicians on a practice host; the count is one query, run only when a
template actually shows it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from practice.access import sees_clinical_data
from practice.measurement.selectors import alert_inbox


def clinic_alerts(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None)
    user = getattr(request, "user", None)
    if getattr(tenant, "pk", None) is None or user is None or not sees_clinical_data(user):
        return {}

    def count() -> int:
        return alert_inbox(user).count()

    return {"clinic_alert_count": SimpleLazyObject(count)}
