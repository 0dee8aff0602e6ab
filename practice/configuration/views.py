"""The owner's settings area. Owner only: everyone else gets a 404."""

from __future__ import annotations

import base64
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse

from branding import services as branding_services
from branding.selectors import branding_for, branding_row, build_branding
from branding.services import BrandingChanges, BrandingError
from branding.values import Branding
from config.csp import allow_style_attributes_of
from config.emails import sender_for
from controlplane.auth_views import handoff_page
from practice.configuration import services
from practice.configuration.forms import (
    BrandingForm,
    InstrumentsForm,
    MessagingPolicyForm,
    ModulesForm,
    SubdomainForm,
)
from practice.views import owner_required
from tenants import services as tenant_services
from tenants.requests import PracticeRequest, SignedInRequest

_BRANDING_FIELDS = [field for field in BrandingChanges.__dataclass_fields__]


@owner_required
def settings_home(request: SignedInRequest) -> HttpResponse:
    return render(request, "practice/settings/home.html")


def _branding_initial(request: PracticeRequest) -> dict[str, Any]:
    row = branding_row(request.tenant)
    return {field: getattr(row, field) for field in _BRANDING_FIELDS}


def _preview(request: PracticeRequest, form: BrandingForm) -> dict[str, Any]:
    """The portal page and email as they would look, built from the unsaved form."""
    row = branding_row(request.tenant)
    for field in _BRANDING_FIELDS:
        setattr(row, field, form.cleaned_data.get(field, getattr(row, field)))
    preview = build_branding(request.tenant, row)
    logo = form.cleaned_data.get("logo")
    logo_src = None
    if logo is not None:
        logo_src = "data:image/png;base64," + base64.b64encode(logo.variants["email"]).decode()
    elif row.has_logo and not form.cleaned_data.get("remove_logo"):
        logo_src = preview.asset_path("email")
    return {"preview": preview, "preview_logo_src": logo_src,
            "preview_email": _preview_email(preview, logo_src)}


# The email shown in the preview: the one a client gets when a secure message waits, rendered
# from the same templates the notification outbox sends (practice/notifications/delivery.py).
PREVIEW_EMAIL_TEMPLATE = "notifications/email/generic"
PREVIEW_EMAIL_SUBJECT = "You have a new secure message"


def _preview_email(branding: Branding, logo_src: str | None) -> dict[str, str]:
    context = {"branding": branding, "logo_src": logo_src, "site_name": branding.display_name,
               "subject": PREVIEW_EMAIL_SUBJECT, "link": f"{branding.base_url}/portal/messages/"}
    return {
        "sender": sender_for(branding.sender_name),
        "subject": PREVIEW_EMAIL_SUBJECT,
        "html": render_to_string(f"{PREVIEW_EMAIL_TEMPLATE}.html", context),
        "text": render_to_string(f"{PREVIEW_EMAIL_TEMPLATE}.txt", context),
    }


@owner_required
def branding_settings(request: SignedInRequest) -> HttpResponse:
    if request.method != "POST":
        form = BrandingForm(initial=_branding_initial(request))
        return render(request, "practice/settings/branding.html", {"form": form})
    form = BrandingForm(request.POST, request.FILES)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        if "preview" in request.POST:
            context.update(_preview(request, form))
            # The email is shown as sent, inline styles and all, in a frame that inherits this
            # page's policy: allow exactly its style attributes.
            return allow_style_attributes_of(
                render(request, "practice/settings/branding.html", context),
                context["preview_email"]["html"])
        data = form.cleaned_data
        try:
            branding_services.branding_update(
                changes=BrandingChanges(**{field: data[field] for field in _BRANDING_FIELDS}),
                logo=data.get("logo"), remove_logo=data.get("remove_logo", False),
                actor=request.actor,
            )
        except BrandingError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, "Branding saved.")
            return HttpResponseRedirect(reverse("settings_branding"))
    return render(request, "practice/settings/branding.html", context, status=400)


def _simple_setting(request: HttpRequest, form: Any, template: str, save: Any,
                    done: str) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except services.ConfigurationError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, done)
            return HttpResponseRedirect(request.path)
    status = 400 if request.method == "POST" else 200
    return render(request, template, {"form": form}, status=status)


@owner_required
def modules_settings(request: SignedInRequest) -> HttpResponse:
    form = ModulesForm(request.POST or None,
                       initial={"enabled": request.tenant.enabled_modules})
    return _simple_setting(
        request, form, "practice/settings/modules.html",
        lambda data: services.practice_modules_update(
            practice_id=request.tenant.pk, enabled=data["enabled"],
            actor=request.actor),
        "Modules saved. Turning a module off hides it; nothing in it was deleted.",
    )


@owner_required
def messaging_settings(request: SignedInRequest) -> HttpResponse:
    form = MessagingPolicyForm(request.POST or None,
                               initial={"policy": request.tenant.messaging_policy})
    return _simple_setting(
        request, form, "practice/settings/messaging.html",
        lambda data: services.practice_messaging_policy_update(
            practice_id=request.tenant.pk, policy=data["policy"],
            actor=request.actor),
        "Messaging policy saved.",
    )


@owner_required
def instruments_settings(request: SignedInRequest) -> HttpResponse:
    form = InstrumentsForm(request.POST or None,
                           initial={"keys": request.tenant.instrument_keys},
                           thresholds=request.tenant.reliable_change_thresholds)
    return _simple_setting(
        request, form, "practice/settings/instruments.html",
        lambda data: services.practice_instruments_update(
            practice_id=request.tenant.pk, keys=data["keys"], thresholds=form.thresholds(),
            actor=request.actor),
        "Instrument set saved.",
    )


@owner_required
def subdomain_settings(request: SignedInRequest) -> HttpResponse:
    form = SubdomainForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            practice = tenant_services.practice_rename_subdomain(
                practice_id=request.tenant.pk, new_subdomain=form.cleaned_data["subdomain"],
                actor=request.actor,
            )
        except tenant_services.ProvisioningError as error:
            form.add_error("subdomain", error.message)
        else:
            # Cookies are host-only: carry the owner over to the new host, signed in.
            return handoff_page(request, practice=practice, user=request.user)
    status = 400 if request.method == "POST" else 200
    return render(request, "practice/settings/subdomain.html",
                  {"form": form, "branding": branding_for(request.tenant)}, status=status)
