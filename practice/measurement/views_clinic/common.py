"""What every staff clinic page shares: only the owner and clinicians get in (everyone else
signed in sees the not-found page), a client out of reach is as missing as one that does not
exist, and each page showing a client's data leaves a read event (ids only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from practice.access import Capability, client_for_staff, requires
from practice.models import ClientProfile
from tenants.accounts.models import User
from tenants.audit.services import RequestMeta, audit_record
from tenants.requests import PracticeRequest, SignedInRequest

# Owner and clinicians only; anyone else signed in gets the not-found page.
clinical_required = requires(Capability.CLINICAL_RECORD)


def client_or_404(request: SignedInRequest, client_id: int) -> User:
    try:
        return client_for_staff(request.user, client_id)
    except User.DoesNotExist:
        raise Http404 from None


def client_zone(client: User) -> ZoneInfo:
    try:
        return ZoneInfo(client.client_profile.timezone)
    except (ClientProfile.DoesNotExist, ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def client_sex(client: User) -> str | None:
    try:
        return client.client_profile.sex_for_scoring or None
    except ClientProfile.DoesNotExist:
        return None


def render_page(request: PracticeRequest, template: str, context: dict[str, Any],
                status: int = 200) -> HttpResponse:
    context["assessments_on"] = request.tenant.has_module("assessments")
    return render(request, template, context, status=status)


def read_event(request: HttpRequest, action: str, client: User) -> None:
    audit_record(action=action, actor=request.user, object_type="client", object_id=client.pk,
                 meta=RequestMeta.from_request(request))


def client_url(client_id: int) -> str:
    return reverse("clinic:assessments:client", args=[client_id])


def url_for_each(name: str) -> Callable[[int], str]:
    """``reverse(name, args=[pk])`` for many rows at the cost of one reverse (a reverse costs
    more than the rest of a table's row): the URL of an unlikely id, with each id put in its
    place."""
    placeholder = "987654321"
    head, tail = reverse(name, args=[int(placeholder)]).split(placeholder, 1)
    return lambda pk: f"{head}{pk}{tail}"


def back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """Back to where the form was (a page on this host), else to ``default``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(default)
