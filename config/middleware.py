"""Request routing by host: the platform's own host serves the control plane, a practice's
subdomain serves that practice, anything else is a platform 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.http.request import split_domain_port
from django.template.loader import render_to_string
from django.urls import set_urlconf
from django.utils.functional import SimpleLazyObject
from django_ratelimit.core import is_ratelimited
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import get_public_schema_urlconf

from billing.entitlements import module_in_use
from tenants import custom_domains
from tenants.actor import Actor
from tenants.db import connection
from tenants.features import MODULE_KEYS
from tenants.models import Domain, Practice
from tenants.requests import PracticeRequest

TLS_ASK_PATH = "/_tls/ask"


class HealthCheckMiddleware:
    """/healthz and /readyz answer on every host, before routing, sessions or host checks."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz":
            return JsonResponse({"status": "ok"})
        if request.path == "/readyz":
            return self.readiness()
        return self.get_response(request)

    @staticmethod
    def readiness() -> JsonResponse:
        checks: dict[str, str] = {}
        try:
            connection.set_schema_to_public()
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            checks["database"] = "ok"
        except Exception:  # noqa: BLE001 - any failure means not ready
            checks["database"] = "unreachable"
        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
            checks["redis"] = "ok"
        except Exception:  # noqa: BLE001
            checks["redis"] = "unreachable"
        ready = all(value == "ok" for value in checks.values())
        return JsonResponse({"status": "ok" if ready else "unavailable", **checks},
                            status=200 if ready else 503)


class TlsAskMiddleware:
    """Caddy's on-demand TLS asks `GET /_tls/ask?domain=NAME` before it gets a certificate for a
    name: 200 only for a verified domain of an active practice, 404 for anything else (an
    unknown, unverified or suspended practice's name), 429 past TLS_ASK_RATE per caller. It
    answers on any host (Caddy asks the app by its internal address) before routing; the public
    Caddyfile never forwards this path from outside."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path != TLS_ASK_PATH:
            return self.get_response(request)
        connection.set_schema_to_public()
        if is_ratelimited(request, group="tls-ask", key="ip", rate=settings.TLS_ASK_RATE,
                          increment=True):
            return HttpResponse("slow down", status=429, content_type="text/plain")
        if request.method != "GET":
            return HttpResponse(status=405, headers={"Allow": "GET"})
        if custom_domains.tls_ask_allows(request.GET.get("domain", "")):
            return HttpResponse("yes", content_type="text/plain")
        return HttpResponse("no", status=404, content_type="text/plain")


def _nonce(request: HttpRequest) -> str:
    """The CSP nonce for a page rendered without a RequestContext (the stand-alone pages)."""
    nonce = getattr(request, "csp_nonce", None)
    return str(nonce) if nonce is not None else ""


def platform_not_found(request: HttpRequest) -> HttpResponse:
    return HttpResponse(render_to_string("platform/404.html", {"csp_nonce": _nonce(request)}),
                        status=404)


def practice_unavailable(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        render_to_string("platform/unavailable.html", {"csp_nonce": _nonce(request)}),
        status=503)
    response["Retry-After"] = "3600"
    return response


class PracticeRoutingMiddleware(TenantMainMiddleware):
    def process_request(self, request: PracticeRequest) -> HttpResponse | None:
        connection.set_schema_to_public()
        try:
            hostname = request.get_host().split(":")[0].lower()
        except DisallowedHost:
            return self.custom_domain(request)
        if hostname == settings.PLATFORM_DOMAIN:
            request.tenant = connection.tenant
            request.urlconf = get_public_schema_urlconf()
            set_urlconf(request.urlconf)
            return None
        if not hostname.endswith("." + settings.PLATFORM_DOMAIN):
            return self.custom_domain(request)
        domain = Domain.objects.select_related("tenant").filter(domain=hostname).first()
        if domain is None:
            return platform_not_found(request)
        if not domain.is_primary:
            return self.old_name_redirect(request, domain)
        practice = domain.tenant
        if not practice.is_serving:
            return practice_unavailable(request)
        if practice.custom_domain and self.is_client_page(request):
            return _redirect_to_host(request, practice.custom_domain)
        return self.enter(request, practice, hostname)

    @staticmethod
    def enter(request: PracticeRequest, practice: Practice, hostname: str) -> None:
        practice.domain_url = hostname
        request.tenant = practice
        connection.set_tenant(practice)
        request.urlconf = settings.ROOT_URLCONF
        set_urlconf(request.urlconf)

    @staticmethod
    def is_client_page(request: HttpRequest) -> bool:
        """Clients' pages move to the practice's own domain (its canonical address); staff pages
        answer on both. Only reads are redirected: a form posted to the old host still lands."""
        if request.method not in ("GET", "HEAD"):
            return False
        path = request.path
        return path.startswith("/portal/") or (
            path == "/accounts/sign-in/" and request.GET.get("next", "").startswith(
                "/portal/"))

    def custom_domain(self, request: PracticeRequest) -> HttpResponse | None:
        """A practice's own verified domain, or the platform's 404.

        Such a name is not in ALLOWED_HOSTS (they are unknown when settings load): this
        middleware is the host check for it. Once the name is found verified, the request's
        host is that name for the rest of Django (CSRF's same-origin check, absolute URLs), so
        the practice's own origin is trusted and its cookies stay host-only."""
        # Django's own (private, so not in the stubs): get_host() refused it.
        raw_host = request._get_raw_host()  # type: ignore[attr-defined]  # noqa: SLF001
        hostname, _port = split_domain_port(raw_host)
        domain = custom_domains.routed_custom_domain(hostname) if hostname else None
        if domain is None:
            return platform_not_found(request)
        practice = domain.tenant
        if not practice.is_serving:
            return practice_unavailable(request)
        request.get_host = lambda: raw_host  # type: ignore[method-assign]  # the routed name
        return self.enter(request, practice, hostname)

    @staticmethod
    def old_name_redirect(request: HttpRequest, domain: Domain) -> HttpResponse:
        """A renamed practice's old host redirects for 90 days, then answers 404."""
        if not domain.redirects:
            return platform_not_found(request)
        primary = Domain.objects.filter(tenant_id=domain.tenant_id, is_primary=True).first()
        if primary is None:
            return platform_not_found(request)
        return _redirect_to_host(request, primary.domain)


def _redirect_to_host(request: HttpRequest, host: str) -> HttpResponse:
    port = request.get_port()
    default_port = "443" if request.is_secure() else "80"
    netloc = host if port in ("", default_port) else f"{host}:{port}"
    scheme = "https" if request.is_secure() else "http"
    return HttpResponsePermanentRedirect(f"{scheme}://{netloc}{request.get_full_path()}")


# Areas that are part of a module without being included under its key: gated with it.
AREA_MODULES = {"expected": "assessments"}


class ModuleGateMiddleware:
    """A module's URLs (included under the module's key as namespace, or an area of
    AREA_MODULES) answer 404 for everyone while the practice has the module off. Nothing is
    deleted; turning it on brings it back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Any, view_args: Any,
                     view_kwargs: Any) -> HttpResponse | None:
        practice = getattr(request, "tenant", None)
        match = getattr(request, "resolver_match", None)
        if practice is None or match is None or not hasattr(practice, "enabled_modules"):
            return None
        for namespace in match.namespaces:
            namespace = AREA_MODULES.get(namespace, namespace)
            # Off in the practice's settings, or outside its plan (billing.entitlements).
            if namespace in MODULE_KEYS and not module_in_use(practice, namespace):
                raise Http404
        return None


class ActorMiddleware:
    """`request.actor`: who acts in this request (tenants.actor.Actor), built once, at its first
    use. Lazy so that an API view sees the user its own authentication (a token) set."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.actor = SimpleLazyObject(  # type: ignore[attr-defined]
            lambda: Actor.from_request(request))
        return self.get_response(request)
