"""The billing banner in a practice (trial ending, payment failed, read-only), for its staff."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from billing.selectors import banner_for


def billing_banner(request: HttpRequest) -> dict[str, Any]:
    practice: Any = getattr(request, "tenant", None)
    user = getattr(request, "user", None)
    if (
        not getattr(practice, "pk", None)
        or not hasattr(practice, "billing_state")
        or user is None
        or not getattr(user, "is_practice_staff", False)
    ):
        return {}
    return {"billing_banner": banner_for(practice)}
