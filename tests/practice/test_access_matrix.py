"""The access matrix, generated from the capability table (practice.access.ACCESS) and the
practice host's URLconf: every route, for every role, on a client of one's own, a client in the
clinician's caseload, a client outside it, and with a session of another practice.

- Every route declares the capabilities it is open to (`requires`, `declares`, or the API's
  `holding`); a new route without one fails `test_every_route_declares_its_capabilities`.
- Someone signed in who holds none of them gets 404 (existence does not leak), for GET and for
  POST, and nothing is written; someone signed out is sent to sign in (pages) or refused (API);
  a session of another practice is no session here.
- Someone who holds one reaches the route: never 404 on a route about no particular object, and,
  on a route about a client, exactly the clients of their reach (a clinician their caseload, a
  client only themself).

It replaces nothing the feature tests check about what a page shows; it checks who gets in."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter
from django_tenants.utils import schema_context

from practice.access import ACCESS, Capability
from practice.api_permissions import capabilities_of
from practice.family.models import ProxyLink
from practice.messaging.models import MessagingSettings
from practice.models import ClientProfile
from tenants.accounts.models import Role, User
from tenants.audit.models import AuditEvent
from tenants.features import MODULE_KEYS
from tests.conftest import PASSWORD, PracticeWorld
from tests.family.helpers import proxy_linked

URLCONF = "config.urls_tenant"
MISSING_ID = 987654
SIGNED_IN_ROLES = [Role.OWNER, Role.CLINICIAN, Role.FRONT_DESK, Role.BILLING, Role.CLIENT,
                   Role.PROXY]


@dataclass(frozen=True)
class Route:
    pattern: str
    name: str
    kwargs: tuple[tuple[str, bool], ...]  # (name, whether its converter is int)
    capabilities: frozenset[Capability] | None
    is_api: bool

    @property
    def is_about_a_client(self) -> bool:
        return any(key == "client_id" for key, _ in self.kwargs)

    @property
    def is_about_other_objects(self) -> bool:
        return any(key != "client_id" for key, _ in self.kwargs)

    def url(self, client_id: int | None = None) -> str:
        """The route with the client given, and an object that does not exist for the rest."""
        values: dict[str, Any] = {}
        for key, is_int in self.kwargs:
            if key == "client_id":
                values[key] = client_id
            else:
                values[key] = MISSING_ID if is_int else "not-a-real-value"
        return reverse(self.name, urlconf=URLCONF, kwargs=values)


def _capabilities(callback: Any) -> frozenset[Capability] | None:
    declared = getattr(callback, "capabilities", None)
    if declared is not None:
        return frozenset(declared)
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is None:
        return None
    declared = getattr(view_class, "capabilities", None)
    if declared is not None:
        return frozenset(declared)
    return capabilities_of(view_class) or None


def _converters(entry: URLPattern) -> dict[str, Any]:
    """Each keyword of the route with its converter (a str one for a bare regex group)."""
    found = getattr(entry.pattern, "converters", {})
    return {key: found.get(key) for key in entry.pattern.regex.groupindex}


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield Route(pattern=prefix + str(entry.pattern), name=namespace + (entry.name or ""),
                        kwargs=tuple(
                            (key, isinstance(converter, IntConverter))
                            for key, converter in _converters(entry).items()),
                        capabilities=_capabilities(entry.callback),
                        is_api=(prefix + str(entry.pattern)).startswith("api/"))


ROUTES = list(_walk(get_resolver(URLCONF).url_patterns))
GUARDED = [route for route in ROUTES
           if route.capabilities and Capability.PUBLIC not in route.capabilities]


def test_every_route_declares_its_capabilities() -> None:
    undeclared = [f"{route.pattern} ({route.name})" for route in ROUTES
                  if route.capabilities is None]
    assert undeclared == []
    assert len(ROUTES) >= 200  # the walk found the URLconf, not an empty list


def test_the_table_names_each_capability_once_and_only_known_roles() -> None:
    assert set(ACCESS) == set(Capability)
    for grant in ACCESS.values():
        assert grant.caseload_only <= grant.roles
        assert grant.roles <= {Role.OWNER, Role.CLINICIAN, Role.FRONT_DESK, Role.BILLING,
                               Role.CLIENT, Role.PROXY}


def _holds(role: Role, route: Route) -> bool:
    return any(role in ACCESS[capability].roles for capability in route.capabilities or ())


def _caseload_bound(role: Role, route: Route) -> bool:
    """Whether every capability of the route that `role` holds reaches only a caseload."""
    held = [capability for capability in route.capabilities or ()
            if role in ACCESS[capability].roles]
    return bool(held) and all(role in ACCESS[capability].caseload_only for capability in held)


# Routes a holder reaches only once some data exists (they answer 404 until then, to everyone).
NEEDS_DATA = {
    "portal:safety_plan:add": "the client's active safety plan",
}


@dataclass
class Matrix:
    alpha: PracticeWorld
    other_client: User  # in alpha, in nobody's caseload
    sessions: dict[str, Client]
    problems: list[str]

    def status(self, who: str, method: str, url: str) -> int:
        http = self.sessions[who]
        response = http.post(url, {}) if method == "post" else http.get(url)
        return response.status_code

    def audit_count(self) -> int:
        with schema_context(self.alpha.practice.schema_name):
            return AuditEvent.objects.count()

    def expect(self, is_right: bool, *cell: object) -> None:
        if not is_right:
            self.problems.append(" ".join(str(part) for part in cell))


@pytest.fixture
def matrix(alpha: PracticeWorld, beta: PracticeWorld) -> Matrix:
    alpha.practice.enabled_modules = list(MODULE_KEYS)
    alpha.practice.save(update_fields=["enabled_modules"])
    with schema_context(alpha.practice.schema_name):
        profile, _ = ClientProfile.objects.get_or_create(user=alpha.client)
        profile.clinicians.add(alpha.clinician)
        other = User.objects.create_user("other.client@example.org", PASSWORD,
                                         full_name="Otto Other", role=Role.CLIENT)
        ClientProfile.objects.create(user=other)
        # The front desk holds MESSAGES; the practice's policy decides whether they use it.
        MessagingSettings.objects.update_or_create(
            pk=1, defaults={"front_desk_sees_messages": True})
        # A parent of the world's client (practice.family): reaches that client only.
        proxy = proxy_linked(alpha.client, email="parent@example.org", tier_key="full")
        # With no age set the client decides: they let the parent write to the practice (the
        # routes of the parent's own conversation are about the client only).
        ProxyLink.objects.filter(proxy=proxy).update(kinds_granted=["messages"])
    sessions = {"anonymous": alpha.http()}
    for role in SIGNED_IN_ROLES:
        sessions[role.value] = alpha.http(proxy if role == Role.PROXY
                                          else getattr(alpha, role.value))
    for role in (Role.OWNER, Role.CLIENT):
        replayed = alpha.http()
        cookie = beta.http(getattr(beta, role.value)).cookies[settings.SESSION_COOKIE_NAME]
        replayed.cookies[settings.SESSION_COOKIE_NAME] = cookie.value
        sessions[f"beta_{role.value}"] = replayed
    return Matrix(alpha=alpha, other_client=other, sessions=sessions, problems=[])


def _signed_out(status: int, route: Route) -> bool:
    return status in ((401, 403) if route.is_api else (302,))


def _check_refusals(matrix: Matrix, route: Route, url: str,
                    sessions: tuple[str, ...]) -> str:
    """Checks every refusal of the route; returns the method it was tried with: GET, or POST
    for a route that answers GET with 405 (to everyone, before any check)."""
    events_before = matrix.audit_count()
    method = "get"
    signed_out = matrix.status("anonymous", "get", url)
    if signed_out == 405:
        method = "post"
        sessions = ("anonymous", *sessions)
    else:
        matrix.expect(_signed_out(signed_out, route), route.pattern, "get anonymous", signed_out)
    for who in sessions:
        status = matrix.status(who, method, url)
        matrix.expect(_signed_out(status, route), route.pattern, method, who, status,
                      "(signed out or another practice's session: sign in, or 401/403)")
    for role in SIGNED_IN_ROLES:
        if not _holds(role, route):
            status = matrix.status(role.value, method, url)
            matrix.expect(status == 404, route.pattern, method, role.value, status,
                          "(holds none of", sorted(route.capabilities or ()), ": 404)")
    # A refusal writes nothing, not even a read event.
    matrix.expect(matrix.audit_count() == events_before, route.pattern, "refusals wrote audit")
    return method


def _check_reach(matrix: Matrix, route: Route, url: str) -> None:
    alpha = matrix.alpha
    for role in SIGNED_IN_ROLES:
        if not _holds(role, route):
            continue
        if not route.is_about_a_client:
            if not route.is_about_other_objects and route.name not in NEEDS_DATA:
                status = matrix.status(role.value, "get", url)
                matrix.expect(status != 404, route.pattern, role.value, status, "(holder: in)")
            continue
        beyond = matrix.status(role.value, "get", route.url(client_id=matrix.other_client.pk))
        bound = role == Role.CLIENT or _caseload_bound(role, route)
        if route.is_about_other_objects:
            if bound:
                matrix.expect(beyond == 404, route.pattern, role.value, beyond, "(outside reach)")
            continue
        # The world's client: the client themself, and in the clinician's caseload.
        own = matrix.status(role.value, "get", route.url(client_id=alpha.client.pk))
        matrix.expect(own != 404, route.pattern, role.value, own, "(own client: in)")
        matrix.expect((beyond == 404) == bound, route.pattern, role.value, beyond,
                      "(outside the caseload: 404)" if bound else "(whole practice: in)")


def _area(route: Route) -> str:
    parts = route.pattern.split("/")
    if parts[0] in {"api", "portal", "documents"}:
        return "/".join(parts[:2])
    return parts[0] or "home"


AREAS = sorted({_area(route) for route in GUARDED})


@pytest.mark.parametrize("area", AREAS)
def test_who_gets_in(area: str, matrix: Matrix) -> None:
    """Every guarded route of the area x every role x own / in-caseload / out-of-caseload
    client / another practice's session (tried once per kind of route: the session, not the
    route, decides it)."""
    seen_capabilities: set[frozenset[Capability]] = set()
    for route in (route for route in GUARDED if _area(route) == area):
        url = (route.url(client_id=matrix.alpha.client.pk) if route.is_about_a_client
               else route.url())
        replayed = (("beta_owner", "beta_client")
                    if route.capabilities not in seen_capabilities else ())
        seen_capabilities.add(route.capabilities or frozenset())
        method = _check_refusals(matrix, route, url, replayed)
        if method == "get":
            _check_reach(matrix, route, url)
        # (a holder's POST would change things: the feature tests check those)
    assert matrix.problems == []
