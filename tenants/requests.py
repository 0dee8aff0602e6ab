"""The requests our views receive, as the type checker should see them.

Django types `request.user` as `User | AnonymousUser` and knows nothing of `request.tenant`,
which django-tenants' middleware sets on every request (the practice of the host; on the
control plane's host, the public one). The views annotate their request with one of these
instead of casting at every use (django-stubs' recommended pattern). They add nothing at run
time: a view still receives Django's or DRF's own request.

- `PracticeRequest`: any request (signed in or not): `tenant` is the host's practice, `htmx`
  what django-htmx's middleware read from the headers, `actor` who acts
  (`config.middleware.ActorMiddleware`, built on first use: tenants/actor.py).
- `SignedInRequest`: a page behind `login_required` or a capability check
  (`practice.access.requires` and the decorators built on it): `user` is signed in.
- `SignedInApiRequest`: an API endpoint; DRF's default permission is IsAuthenticated and every
  endpoint adds its capabilities (`practice.api_permissions.holding`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from rest_framework.request import Request

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from tenants.accounts.models import User
    from tenants.actor import Actor
    from tenants.models import Practice


class PracticeRequest(HttpRequest):
    tenant: Practice
    htmx: HtmxDetails
    actor: Actor


class SignedInRequest(PracticeRequest):
    user: User


class SignedInApiRequest(Request):
    tenant: Practice
    htmx: HtmxDetails
    actor: Actor
    user: User
