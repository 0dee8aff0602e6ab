"""Who is acting: the signed-in user (or nobody, for the scheduler and jobs), their role, the
practice whose host the request came to, and what the audit trail keeps of the request.

Built once per request (`config.middleware.ActorMiddleware` sets a lazy `request.actor`, so a
DRF view's token user is the one it sees) and handed to services as `actor=`, in place of the
`acting_user=`, `practice=` and `meta=` a service used to take one by one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from tenants.refusals import NotAllowed

if TYPE_CHECKING:
    from django.http import HttpRequest

    from tenants.accounts.models import User
    from tenants.models import Practice


@dataclass(frozen=True)
class RequestMeta:
    """What the audit trail keeps of a request: where it came from and with what."""

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


@dataclass(frozen=True)
class Actor:
    user: User | None
    practice: Practice | None = None
    meta: RequestMeta = field(default_factory=RequestMeta)

    SYSTEM: ClassVar[Actor]  # nobody, in no particular practice: a service's default actor

    @property
    def role(self) -> str:
        return getattr(self.user, "role", "") or ""

    @property
    def person(self) -> User:
        """The signed-in user, for a service that only a person may call (every page and
        endpoint that reaches one is behind a sign-in). Nobody acting is refused as not allowed,
        never an AttributeError further down."""
        if self.user is None:
            raise NotAllowed("Sign in first.")
        return self.user

    @property
    def in_practice(self) -> Practice:
        """The practice acted in, for a service that only runs on a practice's host."""
        if self.practice is None:
            raise NotAllowed("This is done on a practice's own address.")
        return self.practice

    @classmethod
    def from_request(cls, request: HttpRequest) -> Actor:
        """The request's user (None when nobody is signed in) and practice (None on the
        platform's own host, the public schema). Prefer `request.actor`, built once."""
        user = getattr(request, "user", None)
        if user is not None and not user.is_authenticated:
            user = None
        return cls(user=user, practice=_practice_of(getattr(request, "tenant", None)),
                   meta=RequestMeta.from_request(request))

    @classmethod
    def of(cls, user: User | None, practice: Practice | None = None,
           meta: RequestMeta | None = None) -> Actor:
        """A user acting without a request of their own: a job on their behalf, the demo seed,
        a test."""
        return cls(user=user, practice=practice, meta=meta or RequestMeta())

    @classmethod
    def system(cls, practice: Practice | None = None) -> Actor:
        """Nobody: the scheduler, a job, the platform itself. Audited with no actor."""
        return cls(user=None, practice=practice)


Actor.SYSTEM = Actor.system()


def _practice_of(tenant: Any) -> Practice | None:
    from django_tenants.utils import get_public_schema_name  # reads settings when imported

    if tenant is None or tenant.schema_name == get_public_schema_name():
        return None
    return tenant
