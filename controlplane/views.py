"""Control-plane pages: signup and the operator console. Never reads clinical data."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited

from billing import services as billing_services

# Re-exported for settings (AXES_LOCKOUT_CALLABLE, RATELIMIT_VIEW).
from controlplane.auth_views import handoff_page, locked_out, rate_limited  # noqa: F401,E402
from controlplane.forms import SignupForm
from tenants import selectors, services
from tenants.accounts.models import Role
from tenants.audit.services import RequestMeta
from tenants.models import Practice


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
        try:
            practice, owner = services.practice_provision(
                signup=services.PracticeSignup(
                    practice_name=data["practice_name"],
                    subdomain=data["subdomain"],
                    owner_name=data["owner_name"],
                    owner_email=data["owner_email"],
                    owner_password=data["owner_password"],
                ),
                acting_user=None,
                meta=RequestMeta.from_request(request),
            )
        except services.ProvisioningError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            # The card-less trial starts now; the Stripe customer is made by a job.
            billing_services.subscription_start_trial(
                practice=practice, meta=RequestMeta.from_request(request)
            )
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
def practice_list(request: HttpRequest) -> HttpResponse:
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


@require_POST
@operator_required
def practice_lifecycle(request: HttpRequest, practice_id: int, action: str) -> HttpResponse:
    if action not in _LIFECYCLE or not Practice.objects.filter(pk=practice_id).exists():
        raise Http404
    service, done = _LIFECYCLE[action]
    try:
        practice = service(
            practice_id=practice_id, acting_user=request.user,
            meta=RequestMeta.from_request(request),
        )
    except services.LifecycleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done.format(name=practice.name))
    return HttpResponseRedirect(reverse("operator:practices"))


def server_error(request: HttpRequest) -> HttpResponse:
    """500 page: branded on a practice host when the branding is at hand, plain otherwise."""
    context: dict[str, Any] = {}
    try:
        from branding.context_processors import branding

        context = {**branding(request), "site_name": request.tenant.name}
    except Exception:  # noqa: BLE001 - the error page must render whatever else is broken
        context = {}
    return HttpResponse(render_to_string("500.html", context), status=500)
