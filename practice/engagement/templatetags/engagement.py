"""`{% journaling_panel client %}`: on a client's journal page, whether journaling is assigned,
with the button to assign or stop it."""

from __future__ import annotations

from typing import Any

from django import template

from practice.engagement import selectors
from tenants.accounts.models import User

register = template.Library()


@register.inclusion_tag("engagement/_journaling_panel.html", takes_context=True)
def journaling_panel(context: dict[str, Any], client: User) -> dict[str, Any]:
    assignment = selectors.journaling_for(client)
    return {"client": client, "request": context.get("request"),
            "csrf_token": context.get("csrf_token"),
            "assignment": assignment if assignment is not None and assignment.is_active
            else None}
