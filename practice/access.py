"""Who may do what, in one table.

Each capability names the roles that hold it and, of those, the roles that reach only the
clients of their own caseload (a clinician reaches the clients they are assigned to; the owner
and the front desk reach every client). Every view, API endpoint, selector and service that
decides access asks this module (`may`, `clients_in_reach`, `client_in_reach`,
`reaches_whole_practice`, `roles_with`); no other module keeps a set of roles.

A client outside one's reach and a client that does not exist look the same
(User.DoesNotExist -> 404): existence never leaks.

Adding a capability: add it to `Capability` and `ACCESS`, then declare it on the routes that
use it (`practice.routes`). The generated access matrix (tests/practice/test_access_matrix.py)
walks every route of a practice's host for every role and fails on a route without a
capability.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import wraps
from types import MappingProxyType
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import Http404
from django.http.response import HttpResponseBase

from tenants.accounts.models import Role, User
from tenants.requests import SignedInRequest


class Capability(StrEnum):
    # Anyone, signed in or not (sign-in, invitation links, the manifest, health checks).
    PUBLIC = "public"
    # A client's own portal: their own record only, never another client's.
    OWN_RECORD = "own_record"
    # Scores, alerts, goals, homework, journal, safety plan, engagement detail of a client.
    CLINICAL_RECORD = "clinical_record"
    # Invite clients, see and change their portal access (names and access state only).
    CLIENT_ACCESS = "client_access"
    # Share forms with clients, read their answers and signatures.
    FORMS = "forms"
    # Clients' files: upload, share, download.
    DOCUMENTS = "documents"
    # See and book clients' sessions, keep the practice's diary.
    APPOINTMENTS = "appointments"
    # Have a caseload: be booked by clients, be assigned clients, be a conversation's
    # clinician (a roster of people, not a reach over clients).
    HOLD_CASELOAD = "hold_caseload"
    # Staff messaging (what each person may read is the practice's messaging policy).
    MESSAGES = "messages"
    # Invoices and payments of clients.
    INVOICES = "invoices"
    # The staff side itself: staff notices, one's notification settings, the API's map.
    STAFF_AREA = "staff_area"
    # One's own account in this practice, staff or client: push subscriptions, devices.
    OWN_ACCOUNT = "own_account"
    # Releases of information, disclosures to people outside the practice (the `disclose`
    # service), the accounting of disclosures, 42 CFR Part 2 tags and a client's restrictions.
    DISCLOSE = "disclose"
    # A proxy (parent, guardian, caregiver) on the family pages: only the clients they are
    # linked to, and of each only what the link's tier and the client's grants show (the one
    # choke point: practice.family.selectors.proxy_sees).
    FAMILY = "family"
    # The practice itself: settings, branding, modules, staff, rules, security, its plan.
    MANAGE_PRACTICE = "manage_practice"


@dataclass(frozen=True)
class Grant:
    roles: frozenset[Role]
    # Of `roles`, those that reach only the clients of their own caseload.
    caseload_only: frozenset[Role] = frozenset()
    # Whether the capability is about clients at all (else `clients_in_reach` is empty).
    about_clients: bool = True


_CLINICAL = frozenset({Role.OWNER, Role.CLINICIAN})
_CLIENT_FACING = frozenset({Role.OWNER, Role.CLINICIAN, Role.FRONT_DESK})
_STAFF = frozenset({Role.OWNER, Role.CLINICIAN, Role.FRONT_DESK, Role.BILLING})
_CLINICIAN = frozenset({Role.CLINICIAN})
_PROXY = frozenset({Role.PROXY})

ACCESS: Mapping[Capability, Grant] = MappingProxyType({
    Capability.PUBLIC: Grant(roles=frozenset(), about_clients=False),
    Capability.OWN_RECORD: Grant(roles=frozenset({Role.CLIENT})),
    Capability.CLINICAL_RECORD: Grant(roles=_CLINICAL, caseload_only=_CLINICIAN),
    Capability.CLIENT_ACCESS: Grant(roles=_CLIENT_FACING, caseload_only=_CLINICIAN),
    # Forms and documents are not clinical content: the front desk handles them, billing not.
    Capability.FORMS: Grant(roles=_CLIENT_FACING, caseload_only=_CLINICIAN),
    Capability.DOCUMENTS: Grant(roles=_CLIENT_FACING, caseload_only=_CLINICIAN),
    Capability.APPOINTMENTS: Grant(roles=_CLIENT_FACING, caseload_only=_CLINICIAN),
    Capability.HOLD_CASELOAD: Grant(roles=_CLINICAL, about_clients=False),
    Capability.MESSAGES: Grant(roles=_CLIENT_FACING, about_clients=False),
    Capability.INVOICES: Grant(roles=frozenset({Role.OWNER, Role.BILLING})),
    Capability.STAFF_AREA: Grant(roles=_STAFF, about_clients=False),
    Capability.OWN_ACCOUNT: Grant(roles=_STAFF | {Role.CLIENT, Role.PROXY},
                                  about_clients=False),
    # A proxy reaches only the clients of their accepted, unrevoked links ("caseload" here).
    Capability.FAMILY: Grant(roles=_PROXY, caseload_only=_PROXY),
    # Sending a client's clinical records out is clinical work: not the front desk, not billing.
    Capability.DISCLOSE: Grant(roles=_CLINICAL, caseload_only=_CLINICIAN),
    Capability.MANAGE_PRACTICE: Grant(roles=frozenset({Role.OWNER}), about_clients=False),
})


def roles_with(capability: Capability) -> frozenset[Role]:
    """The roles that hold `capability` (e.g. who receives a kind of staff notice)."""
    return ACCESS[capability].roles


def holds(user: User | AnonymousUser, capability: Capability) -> bool:
    """Whether `user`, signed in and active, holds `capability` at all."""
    if capability is Capability.PUBLIC:
        return True
    return bool(user.is_authenticated and user.is_active
                and user.role in ACCESS[capability].roles)


def reaches_whole_practice(user: User, capability: Capability) -> bool:
    """Whether `user` holds `capability` for every client, not only their caseload."""
    return holds(user, capability) and user.role not in ACCESS[capability].caseload_only


def clients_in_reach(user: User, capability: Capability) -> QuerySet[User]:
    """The clients `user` may act on under `capability`: all, their caseload, themself (a
    client's own record) or none."""
    clients = User.objects.filter(role=Role.CLIENT)
    if not holds(user, capability) or not ACCESS[capability].about_clients:
        return clients.none()
    if user.role == Role.CLIENT:
        return clients.filter(pk=user.pk)
    if user.role == Role.PROXY:
        # practice.family.models.ProxyLink (related name `proxy_links`), read by name so the
        # table stays below the features.
        return clients.filter(proxy_links__proxy=user, proxy_links__accepted_at__isnull=False,
                              proxy_links__revoked_at__isnull=True)
    if user.role in ACCESS[capability].caseload_only:
        return clients.filter(client_profile__clinicians=user)
    return clients


def client_in_reach(user: User, capability: Capability, client_id: int) -> User:
    """The client, if `user` may act on them under `capability`; else User.DoesNotExist."""
    return clients_in_reach(user, capability).select_related("client_profile").get(pk=client_id)


def may(user: User, capability: Capability, client: User | None = None) -> bool:
    """Whether `user` may act under `capability`, on `client` when one is given."""
    if not holds(user, capability):
        return False
    if client is None:
        return True
    return clients_in_reach(user, capability).filter(pk=client.pk).exists()


# Kept as the names the clinical pages read best with.
def sees_clinical_data(user: User) -> bool:
    return holds(user, Capability.CLINICAL_RECORD)


def clients_visible_to(user: User) -> QuerySet[User]:
    """Clients whose clinical data `user` may see: the owner all, a clinician their caseload."""
    return clients_in_reach(user, Capability.CLINICAL_RECORD)


def client_for_staff(user: User, client_id: int) -> User:
    """The client, if `user` may see their clinical data; else User.DoesNotExist."""
    return clients_visible_to(user).select_related("client_profile").get(pk=client_id)


# The code of an API refusal because of the person's role: the API answers it as 404, exactly
# like a missing object, as pages do (config.errors.api_exception_handler).
ROLE_DENIED = "role_not_allowed"


def record_in_reach(user: User, capability: Capability, client_id: int) -> User:
    """The client whose record `user` may read: a client only themself (OWN_RECORD), staff a
    client in their reach under `capability`. Anything else raises User.DoesNotExist."""
    held = Capability.OWN_RECORD if getattr(user, "role", None) == Role.CLIENT else capability
    return client_in_reach(user, held, client_id)


View = Callable[..., HttpResponseBase]


def requires(capability: Capability) -> Callable[[View], View]:
    """A page for the holders of `capability`: anyone signed out goes to sign in, anyone else
    signed in gets the not-found page (its existence does not leak). The route's capability is
    kept on the view (`view.capability`) for the access matrix."""

    def decorate(view: View) -> View:
        @wraps(view)
        @login_required
        def wrapper(request: SignedInRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not holds(request.user, capability):
                raise Http404
            return view(request, *args, **kwargs)

        return declares(capability)(wrapper)

    return decorate


AnyView = TypeVar("AnyView", bound=View)


def declares(*capabilities: Capability) -> Callable[[AnyView], AnyView]:
    """Marks a view that checks its capabilities itself (e.g. the portal's consent gate), for
    the access matrix; decides nothing."""

    def mark(view: AnyView) -> AnyView:
        view.capabilities = frozenset(capabilities)  # type: ignore[attr-defined]  # a mark
        return view

    return mark
