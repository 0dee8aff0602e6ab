"""Read-only mode: a practice whose subscription is unpaid or canceled keeps everything readable
and nothing writable.

Everyone can still sign in, sign out, reset a password and arrive through the control plane's
login hand-off; everyone can read and export (safe methods). Every other unsafe request on the
practice host is refused here, before any view runs, so a write path added later is covered
without anyone remembering to. The owner may still act under /billing/, where they pay.

The refusal is 403 Forbidden, not 409 Conflict: 409 tells a client that the target resource is
in a state it can reconcile by changing and resubmitting the request, while here no request to
this resource can succeed until the practice's owner updates the payment method elsewhere. The
page (or the JSON body, for the API) says exactly that.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from tenants.accounts.models import Role
from tenants.models import BillingState, Practice

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Authentication stays open: these are (namespaced) URL names, so a moved path stays exempt and
# nothing else that happens to share a prefix is. The second sign-in step (a TOTP or recovery
# code), turning one's own second step on or off (the owner's rule may require it before
# anything else) and signing out everywhere are part of signing in and out.
AUTH_VIEW_NAMES = frozenset({
    "login", "logout", "password_reset", "password_reset_confirm", "handoff",
    "portal:account_verify", "portal:account_mfa", "portal:account_sign_out_everywhere",
})
# Safety never waits for a payment: a client can still ask to be contacted urgently, and a
# clinician can still acknowledge and resolve the alert that raises.
SAFETY_VIEW_NAMES = frozenset({
    "portal:urgent_contact", "clinic:alert_acknowledge", "clinic:alert_resolve",
    "clinic:alert_snooze", "api:alert_acknowledge", "api:alert_resolve",
})
# The owner's billing pages, where a read-only practice is made whole again.
BILLING_PATH_PREFIX = "/billing/"
BILLING_URL = "/billing/"
API_PATH_PREFIX = "/api/"
READ_ONLY_STATUS = 403
READ_ONLY_CODE = "practice_read_only"


def practice_of(request: HttpRequest) -> Practice | None:
    tenant = getattr(request, "tenant", None)
    return tenant if isinstance(tenant, Practice) and tenant.pk else None


def is_exempt(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is not None and (match.view_name in AUTH_VIEW_NAMES
                              or match.view_name in SAFETY_VIEW_NAMES):
        return True
    user: Any = getattr(request, "user", None)
    return (
        request.path_info.startswith(BILLING_PATH_PREFIX)
        and getattr(user, "is_authenticated", False)
        and user.role == Role.OWNER
        and user.is_active
    )


def _is_staff(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return False
    return getattr(user, "role", None) != Role.CLIENT


def how_to_fix(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if getattr(user, "role", None) == Role.OWNER:
        return (f"Update the payment method on the billing page ({BILLING_URL}); the practice "
                "becomes fully available again as soon as the payment goes through.")
    if not _is_staff(request):
        return "Please contact the practice. Crisis help is always available."
    return ("Ask the practice owner to update the payment method on the billing page "
            f"({BILLING_URL}).")


def read_only_reason(request: HttpRequest, practice: Practice) -> str:
    """Staff learn why; clients (and visitors) are not told about the practice's billing."""
    if not _is_staff(request):
        return (f"{practice.name}'s portal is read-only for now: you can sign in and see "
                "everything, but nothing can be sent or changed.")
    why = "was canceled" if practice.billing_state == BillingState.CANCELED else "is unpaid"
    return (f"{practice.name} is read-only because its subscription {why}. You can sign in, "
            "read and export; nothing new can be created or changed.")


def read_only_response(request: HttpRequest, practice: Practice) -> HttpResponse:
    """What every refused write gets: JSON on the API, a page everywhere else."""
    message = read_only_reason(request, practice)
    fix = how_to_fix(request)
    wants_json = request.path_info.startswith(API_PATH_PREFIX) or (
        "application/json" in request.headers.get("Accept", "")
    )
    if wants_json:
        return JsonResponse(
            {"code": READ_ONLY_CODE, "detail": message, "fix": fix,
             "billing_url": BILLING_URL},
            status=READ_ONLY_STATUS,
        )
    return render(request, "readonly/refused.html", {"message": message, "fix": fix},
                  status=READ_ONLY_STATUS)


class ReadOnlyPracticeMiddleware:
    """Refuses unsafe methods on a read-only practice's host. Placed after authentication (the
    owner's billing exemption needs the user) and after routing (the practice is known)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Any, view_args: Any,
                     view_kwargs: Any) -> HttpResponse | None:
        if request.method in SAFE_METHODS:
            return None
        practice = practice_of(request)
        if practice is None or not practice.is_read_only or is_exempt(request):
            return None
        return read_only_response(request, practice)
