"""`{% client_forms_summary as summary %}`: the signed-in client's open forms, for the summary
partial (`formbuilder/portal/_forms_summary.html`) other portal pages include."""

from __future__ import annotations

from typing import Any

from django import template

from practice.formbuilder import selectors
from practice.formbuilder.models import FormAssignment

register = template.Library()
SHOWN = 5


@register.simple_tag(takes_context=True)
def client_forms_summary(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_client", False):
        return {"to_do": [], "awaiting_signature": 0}
    rows = list(selectors.assignments_for_client(user).filter(
        status__in=[FormAssignment.Status.REQUESTED, FormAssignment.Status.IN_PROGRESS,
                    FormAssignment.Status.COMPLETED]))
    return {"to_do": [row for row in rows if row.is_open][:SHOWN],
            "awaiting_signature": sum(1 for row in rows if row.awaits_signature)}
