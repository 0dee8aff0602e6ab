"""Writing the audit trail. Call inside the transaction of the change being audited."""

from __future__ import annotations

from typing import Any

from tenants.actor import Actor
from tenants.actor import RequestMeta as RequestMeta  # its old home, still imported from here
from tenants.audit.actions import Action, action_checked
from tenants.audit.models import AuditEvent


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
    """`actor` is who acted: an `Actor` (its user, role and request meta are recorded), a user,
    or None for the platform itself."""
    action = action_checked(action)  # an unknown kind is a bug, never a new kind of event
    if isinstance(actor, Actor):
        meta = meta or actor.meta
        actor = actor.user
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
