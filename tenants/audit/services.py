"""Writing the audit trail. Call inside the transaction of the change being audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from tenants.audit.actions import Action, action_checked
from tenants.audit.models import AuditEvent


@dataclass(frozen=True)
class RequestMeta:
    ip_address: str | None = None
    user_agent: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest | None) -> RequestMeta:
        if request is None:
            return cls()
        return cls(
            ip_address=request.META.get("REMOTE_ADDR") or None,
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        )


def audit_record(
    *,
    action: Action | str,
    actor: Any | None,
    object_type: str = "",
    object_id: Any = "",
    meta: RequestMeta | None = None,
    detail: dict[str, Any] | None = None,
    actor_role: str | None = None,
) -> AuditEvent:
    action = action_checked(action)  # an unknown kind is a bug, never a new kind of event
    meta = meta or RequestMeta()
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    role = actor_role if actor_role is not None else getattr(actor, "role", "") or ""
    return AuditEvent.objects.create(
        action=action,
        actor_id=actor_id,
        actor_role=role,
        object_type=object_type,
        object_id=str(object_id or ""),
        ip_address=meta.ip_address,
        user_agent=meta.user_agent,
        detail=detail or {},
    )
