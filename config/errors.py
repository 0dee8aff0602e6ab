"""The error pages people see: branded on a practice host, plain Tandem on the control plane,
JSON under /api/. Never Django's technical pages, not even under DEBUG (`make run`): there the
developer reads the traceback in the console log, where Django writes it before any page is
rendered.

Policy (docs/errors.md): a page or object a person may not open answers exactly like one that
does not exist (404, same wording), on pages and in the API alike. 403 is kept for a refusal
with a reason the person may know (a rule of the practice's messaging policy, a read-only
practice, consent not yet given, a form whose session expired)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from tenants.refusals import Missing, NotAllowed, Refused

logger = logging.getLogger(__name__)

# Django's technical pages (404, 500, CSRF) all carry this tag; nothing of ours does.
TECHNICAL_MARK = b'<meta name="robots" content="NONE,NOARCHIVE">'


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _context(request: HttpRequest) -> dict[str, Any]:
    """Branding, when it can be had: an error page must render whatever else is broken."""
    try:
        from branding.context_processors import branding

        tenant = getattr(request, "tenant", None)
        return {**branding(request), "site_name": getattr(tenant, "name", "") or "Tandem"}
    except Exception:  # noqa: BLE001
        return {"branding": None, "site_name": "Tandem"}


def _page(request: HttpRequest, template: str, status: int,
          extra: dict[str, Any] | None = None) -> HttpResponse:
    context = {**_context(request), **(extra or {})}
    try:
        html = render_to_string(template, context, request=request)
    except Exception:  # noqa: BLE001 - the full page needs the request's context; a plain one will do
        logger.exception("error page %s could not be rendered with the request", template)
        html = render_to_string("errors/plain.html", {**context, "status": status})
    return HttpResponse(html, status=status)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return _page(request, "404.html", 404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return JsonResponse({"detail": "You do not have permission to perform this action."},
                            status=403)
    return _page(request, "403.html", 403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return _page(request, "400.html", 400)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form posted after its page went stale (signed out meanwhile, cookies cleared)."""
    logger.warning("CSRF check failed: %s", reason)
    if is_api(request):
        return JsonResponse({"detail": "This form has expired."}, status=403)
    return _page(request, "403_csrf.html", 403)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        return JsonResponse({"detail": "Something went wrong."}, status=500)
    try:
        nonce_context = {"csp_nonce": str(getattr(request, "csp_nonce", ""))}
    except Exception:  # noqa: BLE001 - no nonce to be had: the page shows unstyled, still shows
        nonce_context = {"csp_nonce": ""}
    try:
        html = render_to_string("500.html", {**_context(request), **nonce_context})
    except Exception:  # noqa: BLE001
        html = render_to_string("500.html", nonce_context)
    return HttpResponse(html, status=500)


HANDLERS: dict[int, Callable[[HttpRequest], HttpResponse]] = {
    400: bad_request, 403: permission_denied, 404: page_not_found, 500: server_error,
}


class NoTechnicalPagesMiddleware:
    """Under DEBUG Django answers an error with its technical page (URL patterns, settings,
    traceback); people using `make run` must see the practice's page instead. The traceback
    is already in the console log by then. `TECHNICAL_ERROR_PAGES = True` brings them back for
    a developer who wants them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not settings.DEBUG or getattr(settings, "TECHNICAL_ERROR_PAGES", False):
            return response
        handler = HANDLERS.get(response.status_code)
        if handler is None or getattr(response, "streaming", False):
            return response
        if TECHNICAL_MARK not in response.content:
            return response
        if response.status_code == 403:
            return csrf_failure(request)  # the only technical 403 is the CSRF one
        return handler(request)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Any:
    """DRF's handler, with: a refusal because of the person's role answered as 404 like a
    missing object (the pages do the same; other 403s keep their reason); a lookup that found
    nothing (Django's ObjectDoesNotExist, e.g. a client out of reach) as 404; and the domain
    refusals (tenants.refusals) as their status with their message."""
    from django.core.exceptions import ObjectDoesNotExist
    from rest_framework.exceptions import APIException, NotFound, PermissionDenied
    from rest_framework.views import exception_handler

    from practice.access import ROLE_DENIED

    if isinstance(exc, PermissionDenied) and exc.get_codes() == ROLE_DENIED:
        exc = NotFound()
    elif isinstance(exc, ObjectDoesNotExist | Missing):
        exc = NotFound()
    elif isinstance(exc, Refused):
        refusal = APIException(exc.message)
        refusal.status_code = exc.status
        exc = refusal
    return exception_handler(exc, context)


class RefusalMiddleware:
    """The pages' side of tenants.refusals: a refusal a view lets through is answered with the
    error page of its status (a `Missing` or `NotAllowed` as the not-found page, existence never
    leaking), never a 500."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception
                          ) -> HttpResponse | None:
        if not isinstance(exception, Refused):
            return None
        if isinstance(exception, Missing | NotAllowed):
            return page_not_found(request, Http404())
        return bad_request(request, exception) if exception.status == 400 else HttpResponse(
            exception.message, status=exception.status, content_type="text/plain; charset=utf-8")
