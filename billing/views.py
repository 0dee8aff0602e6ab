"""Billing pages: Stripe's webhook (public host), the owner's billing page (practice host), and
the billing staff's subscriptions (public host). Views are thin: services do the work."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from django_otp import user_has_device

from billing import selectors, services, stripe_client
from billing.forms import CouponForm, ExtendTrialForm, PlanChoiceForm
from billing.plans import PLANS, plan_for_practice
from practice.access import Capability, declares, holds
from tenants.accounts.models import Role
from tenants.models import Practice
from tenants.requests import SignedInRequest

logger = logging.getLogger(__name__)
STRIPE_DOWN = "Stripe could not be reached. Nothing was changed; please try again in a minute."


# --- Stripe's webhook ---------------------------------------------------------------------------

def _timestamp_is_fresh(header: str, tolerance: int) -> bool:
    """construct_event refuses stale timestamps only: refuse ones in the future here too."""
    stamps = [part[2:] for part in header.split(",") if part.strip().startswith("t=")]
    try:
        stamp = int(stamps[0].strip()) if len(stamps) == 1 else None
    except ValueError:
        return False
    return stamp is not None and abs(time.time() - stamp) <= tolerance


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    from django.conf import settings

    if not stripe_client.webhooks_configured():
        return HttpResponse("billing is not configured", status=503, content_type="text/plain")
    header = request.META.get("HTTP_STRIPE_SIGNATURE", "")
    if not _timestamp_is_fresh(header, settings.STRIPE_WEBHOOK_TOLERANCE):
        return HttpResponseBadRequest("bad signature")
    try:
        event = stripe_client.construct_event(request.body, header)
        ids = services.event_ids(event)
    except (ValueError, KeyError, TypeError, stripe_client.SignatureVerificationError):
        return HttpResponseBadRequest("bad signature")
    services.stripe_event_record(ids=ids)
    return HttpResponse(status=200)


# --- the owner's billing page (practice host) ----------------------------------------------------

def owner_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The practice's subscription is the owner's: everyone else gets a 404."""

    @wraps(view)
    @login_required
    def wrapper(request: SignedInRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if (not holds(request.user, Capability.MANAGE_PRACTICE)
                or not isinstance(request.tenant, Practice)):
            raise Http404
        return view(request, *args, **kwargs)

    return declares(Capability.MANAGE_PRACTICE)(wrapper)


@require_GET
@owner_only
def practice_billing(request: SignedInRequest) -> HttpResponse:
    practice: Practice = request.tenant
    subscription = services.subscription_ensure(practice=practice)
    return render(request, "billing/practice.html", {
        "subscription": subscription,
        "current_plan": plan_for_practice(practice.plan_key),
        "plans": PLANS,
        "form": PlanChoiceForm(initial={"plan": practice.plan_key or None}),
        "outcome": request.GET.get("checkout", ""),
        "billing_configured": stripe_client.is_configured(),
    })


@require_POST
@owner_only
def practice_checkout(request: SignedInRequest) -> HttpResponse:
    practice: Practice = request.tenant
    form = PlanChoiceForm(request.POST)
    back = reverse("subscription:home")
    if not stripe_client.is_configured():
        messages.error(request, stripe_client.NOT_CONFIGURED)
        return HttpResponseRedirect(back)
    if not form.is_valid():
        messages.error(request, "Choose a plan and how often to be billed.")
        return HttpResponseRedirect(back)
    try:
        url = services.checkout_session_start(
            practice=practice, plan_key=form.cleaned_data["plan"],
            interval=form.cleaned_data["interval"], actor=request.actor,
            success_url=request.build_absolute_uri(f"{back}?checkout=success"),
            cancel_url=request.build_absolute_uri(f"{back}?checkout=canceled"),
        )
    except services.BillingError as error:
        messages.error(request, str(error))
        return HttpResponseRedirect(back)
    except stripe_client.StripeError:
        logger.exception("Checkout session failed for practice %s", practice.pk)
        messages.error(request, STRIPE_DOWN)
        return HttpResponseRedirect(back)
    return HttpResponseRedirect(url, status=303)


@require_POST
@owner_only
def practice_portal(request: SignedInRequest) -> HttpResponse:
    practice: Practice = request.tenant
    back = reverse("subscription:home")
    if not stripe_client.is_configured():
        messages.error(request, stripe_client.NOT_CONFIGURED)
        return HttpResponseRedirect(back)
    try:
        url = services.portal_session_start(
            practice=practice, actor=request.actor,
            return_url=request.build_absolute_uri(back),
        )
    except stripe_client.StripeError:
        logger.exception("Portal session failed for practice %s", practice.pk)
        messages.error(request, STRIPE_DOWN)
        return HttpResponseRedirect(back)
    return HttpResponseRedirect(url, status=303)


# --- billing staff and operators (public host) -------------------------------------------------

def billing_staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Billing staff and operators see the console; billing staff only after their second
    step (set up at the first sign-in). Everyone else: 404."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return HttpResponseRedirect(f"{reverse('login')}?next={request.path}")
        if request.user.role not in services.BILLING_ROLES or not request.user.is_active:
            raise Http404
        if request.user.role == Role.BILLING_STAFF and not request.user.is_verified():
            step = "platform_mfa_verify" if user_has_device(request.user, confirmed=True) \
                else "platform_mfa"
            return HttpResponseRedirect(f"{reverse(step)}?{urlencode({'next': request.path})}")
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@billing_staff_required
def staff_subscription_list(request: SignedInRequest) -> HttpResponse:
    return render(request, "billing/staff/list.html", {
        "overview": selectors.overview(), "rows": selectors.practice_billing_rows(),
        "dunning": selectors.dunning(),
        "billing_configured": stripe_client.is_configured(),
        "may_manage": services.may_manage_billing(request.user),
    })


@require_GET
@billing_staff_required
def staff_billing_record(request: SignedInRequest, practice_id: int) -> HttpResponse:
    try:
        practice, subscription = selectors.billing_record(practice_id)
    except Practice.DoesNotExist as error:
        raise Http404 from error
    return render(request, "billing/staff/record.html", {
        "record_practice": practice, "subscription": subscription,
        "trail": selectors.billing_events(practice.pk),
        "stripe_events": selectors.stripe_events_for(subscription),
        "extend_form": ExtendTrialForm(), "coupon_form": CouponForm(),
        "billing_configured": stripe_client.is_configured(),
        "may_manage": services.may_manage_billing(request.user),
    })


def _extend(request: SignedInRequest, practice_id: int) -> str:
    form = ExtendTrialForm(request.POST)
    if not form.is_valid():
        raise services.BillingError("Give a number of days from 1 to 90.")
    services.subscription_extend_trial(
        practice_id=practice_id, days=form.cleaned_data["days"],
        actor=request.actor,
    )
    return f"The trial was extended by {form.cleaned_data['days']} days."


def _coupon(request: SignedInRequest, practice_id: int) -> str:
    form = CouponForm(request.POST)
    if not form.is_valid():
        raise services.BillingError("Give a Stripe coupon id (letters, digits, - and _).")
    services.subscription_apply_coupon(
        practice_id=practice_id, coupon_id=form.cleaned_data["coupon_id"],
        actor=request.actor,
    )
    return f"Coupon {form.cleaned_data['coupon_id']} was applied."


def _cancel(request: SignedInRequest, practice_id: int) -> str:
    services.subscription_cancel(
        practice_id=practice_id, actor=request.actor,
    )
    return "The subscription was canceled. The practice is read-only; nothing was deleted."


_ACTIONS: dict[str, Callable[[SignedInRequest, int], str]] = {
    "extend-trial": _extend, "apply-coupon": _coupon, "cancel": _cancel,
}


@require_POST
@billing_staff_required
def staff_billing_action(request: SignedInRequest, practice_id: int, action: str) -> HttpResponse:
    if action not in _ACTIONS or not Practice.objects.filter(pk=practice_id).exists():
        raise Http404
    if not services.may_manage_billing(request.user):
        raise Http404  # an operator without the billing-staff role: read-only
    try:
        done = _ACTIONS[action](request, practice_id)
    except (services.BillingError, stripe_client.NotConfigured) as error:
        messages.error(request, str(error))
    except stripe_client.StripeError:
        logger.exception("billing action %s failed for practice %s", action, practice_id)
        messages.error(request, STRIPE_DOWN)
    else:
        messages.success(request, done)
    return HttpResponseRedirect(reverse("billing_staff:record", args=[practice_id]))
