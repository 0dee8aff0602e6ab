"""The owner's own domain (Settings → Domain): add it, see the DNS records, verify, remove.

The work is in tenants.custom_domains; this page only parses, calls and shows."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from practice.views import owner_required
from tenants import custom_domains
from tenants.requests import SignedInRequest


class CustomDomainForm(forms.Form):
    domain = forms.CharField(label="Your domain", max_length=253, error_messages={
                                 "required": "Enter a domain name, e.g. "
                                             "portal.your-practice.com."},
                             help_text="A name under your own domain, e.g. "
                                       "portal.your-practice.com.")


@require_http_methods(["GET", "POST"])
@owner_required
def domain_settings(request: SignedInRequest) -> HttpResponse:
    practice = request.tenant
    form = CustomDomainForm(request.POST if request.POST.get("action") == "add" else None)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "add" and form.is_valid():
                custom_domains.custom_domain_add(
                    practice_id=practice.pk, name=form.cleaned_data["domain"],
                    actor=request.actor)
                messages.success(request, "Added. Create the two DNS records below, then "
                                          "press Check now.")
                return HttpResponseRedirect(reverse("settings_domain"))
            if action == "verify":
                check = custom_domains.custom_domain_verify(
                    practice_id=practice.pk, actor=request.actor)
                if check.ok:
                    messages.success(request, "Both records are in place: your domain is "
                                              "verified.")
                else:
                    messages.error(request, "Not verified yet: " + " ".join(check.problems))
                return HttpResponseRedirect(reverse("settings_domain"))
            if action == "remove":
                custom_domains.custom_domain_remove(
                    practice_id=practice.pk, actor=request.actor)
                messages.success(request, "The domain was removed. Clients use your "
                                          "subdomain again.")
                return HttpResponseRedirect(reverse("settings_domain"))
            if action != "add":
                messages.error(request, "Choose what to do.")
                return HttpResponseRedirect(reverse("settings_domain"))
        except custom_domains.CustomDomainError as error:
            form.add_error("domain" if action == "add" else None, str(error))
        status = 400
    domain = custom_domains.custom_domain_for(practice)
    return render(request, "practice/settings/domain.html", {
        "form": form, "domain": domain,
        "records": custom_domains.records_for(domain) if domain else [],
    }, status=status)
