"""The unread-message count for the staff navigation. Registered as
``practice.messaging.context_processors.unread_messages``.

Only for staff on a practice host with messaging on, who have a messaging inbox under the
practice's policy. The count is one query, run only when a template shows it. (Clients see
theirs on the portal's home, as a card.)"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

from django.http import HttpRequest

from billing.entitlements import plan_allows_module
from practice.messaging.models import MessagingSettings
from practice.messaging.policies import CLINICAL_ROLES
from practice.messaging.selectors import person, policy_of, unread_count


class UnreadMessages:
    """`{{ messaging_unread.count }}`, counted on first use."""

    def __init__(self, count: Callable[[], int]) -> None:
        self._count = count

    @cached_property
    def count(self) -> int:
        return self._count()


def unread_messages(request: HttpRequest) -> dict[str, Any]:
    tenant: Any = getattr(request, "tenant", None)
    user: Any = getattr(request, "user", None)
    if (getattr(tenant, "pk", None) is None or user is None or not user.is_authenticated
            or not user.is_practice_staff or not tenant.has_module("messaging")
            or not plan_allows_module(tenant, "messaging")):
        return {}
    if user.role in CLINICAL_ROLES:
        # What a clinician or owner sees does not depend on the practice's saved settings (they
        # only say whether front desk sees messages), so the count is the one query.
        policy = policy_of(tenant, MessagingSettings(pk=1))
    else:
        # Front desk only where the practice lets them see messages (that costs one query).
        policy = policy_of(tenant)
        if not policy.uses_messaging(person(user)):
            return {}
    return {"messaging_unread": UnreadMessages(lambda: unread_count(user, policy))}
