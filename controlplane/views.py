"""Control-plane pages: signup and the operator console. Never reads clinical data."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from billing import services as billing_services
from config.errors import server_error  # noqa: F401 - the 500 handler's former home

# Re-exported for settings (AXES_LOCKOUT_CALLABLE, RATELIMIT_VIEW).
from controlplane.auth_views import handoff_page, locked_out, rate_limited  # noqa: F401,E402
from controlplane.forms import LifecycleConfirmForm, SignupForm
from tenants import selectors, services
from tenants.accounts.models import Role
from tenants.actor import Actor
from tenants.audit.services import RequestMeta
from tenants.requests import SignedInRequest


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "platform/home.html")


def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST" and is_ratelimited(
        request, group="signup", key="ip", rate=settings.SIGNUP_RATE, method="POST",
        increment=True,
    ):
        return render(request, "platform/signup_limited.html", status=429)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        nobody_yet = Actor.of(None, meta=RequestMeta.from_request(request))  # audited as system
        try:
            practice, owner = services.practice_provision(
                signup=services.PracticeSignup(
                    practice_name=data["practice_name"],
                    subdomain=data["subdomain"],
                    owner_name=data["owner_name"],
                    owner_email=data["owner_email"],
                    owner_password=data["owner_password"],
                ),
                actor=nobody_yet,
            )
        except services.ProvisioningError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            # The card-less trial starts now; the Stripe customer is made by a job.
            billing_services.subscription_start_trial(practice=practice, actor=nobody_yet)
            return handoff_page(request, practice=practice, user=owner)
    status = 400 if request.method == "POST" else 200
    return render(request, "platform/signup.html", {"form": form}, status=status)


def operator_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return HttpResponseRedirect(f"{reverse('login')}?next={request.path}")
        if request.user.role != Role.OPERATOR:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@operator_required
def practice_list(request: SignedInRequest) -> HttpResponse:
    page = Paginator(selectors.practice_list(), 50).get_page(request.GET.get("page"))
    practices = list(page.object_list)
    counts = selectors.practice_counts(practices)
    rows = [(practice, counts.get(practice.pk)) for practice in practices]
    return render(request, "platform/practice_list.html", {"page": page, "rows": rows})


_LIFECYCLE = {
    "suspend": (services.practice_suspend, "{name} is suspended."),
    "reactivate": (services.practice_reactivate, "{name} is active again."),
    "schedule-deletion": (
        services.practice_schedule_deletion,
        "{name} will be deleted after the grace period. Reactivate it to cancel.",
    ),
}
# Actions that close a practice ask first, on a page of their own naming the practice, and go
# ahead only when the operator types its subdomain (no JavaScript involved).
_CONFIRMED = {
    "suspend": ("Suspend", "Every page of {name} will show a \"temporarily unavailable\" page "
                "to its staff and clients until you reactivate it. Nothing is deleted."),
    "schedule-deletion": ("Schedule deletion", "{name} closes now, and its data (every record, "
                          "file and account of the practice) is deleted for good after "
                          "{days} days unless you reactivate it before then."),
}


@require_http_methods(["GET", "POST"])
@operator_required
def practice_lifecycle(request: SignedInRequest, practice_id: int, action: str) -> HttpResponse:
    practice = selectors.practice_by_id(practice_id)
    if action not in _LIFECYCLE or practice is None:
        raise Http404
    if action in _CONFIRMED:
        form = LifecycleConfirmForm(request.POST if request.method == "POST" else None,
                                    subdomain=practice.subdomain)
        if request.method == "GET" or not form.is_valid():
            verb, consequence = _CONFIRMED[action]
            return render(request, "platform/practice_confirm.html", {
                "practice": practice, "action": action, "verb": verb, "form": form,
                "consequence": consequence.format(
                    name=practice.name, days=settings.PRACTICE_DELETION_GRACE_DAYS),
            }, status=200 if request.method == "GET" else 400)
    elif request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    service, done = _LIFECYCLE[action]
    try:
        practice = service(practice_id=practice_id, actor=request.actor)
    except services.LifecycleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done.format(name=practice.name))
    return HttpResponseRedirect(reverse("operator:practices"))
