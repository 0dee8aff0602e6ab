"""The client's releases in the portal (`/portal/disclosures/`, namespace "portal:disclosure"):
releases to sign, sign one (the same electronic signature as forms), revoke one, and the
accounting of disclosures on request (page and PDF). Clients only (portal.pages); a release of
someone else is as missing as one that does not exist."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from portal.pages import audit_read, client_required, render_local
from practice.disclosure import policies, selectors, services
from practice.disclosure.accounting import accounting_response
from practice.disclosure.forms import SignForm
from practice.disclosure.models import Release
from practice.formbuilder.services import consent_wording
from tenants.audit.actions import Action
from tenants.requests import SignedInRequest


def _release(request: SignedInRequest, release_id: int) -> Release:
    try:
        return selectors.release_of_client(request.user, release_id)
    except Release.DoesNotExist:
        raise Http404 from None


@require_safe
@client_required
def release_list(request: SignedInRequest) -> HttpResponse:
    audit_read(request, Action.DISCLOSURE_ACCOUNTING_VIEWED)
    return render_local(request, "disclosure/portal/list.html", {
        "releases": selectors.releases_for_client(request.user),
        "scope_labels": policies.SCOPE_KINDS,
    })


@require_http_methods(["GET", "POST"])
@client_required
def release_sign(request: SignedInRequest, release_id: int) -> HttpResponse:
    release = _release(request, release_id)
    form = SignForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.release_sign(release_id=release.pk, typed_name=data["typed_name"],
                                      consent=data["consent"], drawn=data["drawn"],
                                      actor=request.actor)
            except services.DisclosureError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Signed. You can revoke it here at any time."))
                return HttpResponseRedirect(reverse("portal:disclosure:list"))
    return render_local(request, "disclosure/portal/sign.html", {
        "release": release, "form": form, "consent_text": consent_wording(),
        "recipient": selectors.release_recipient(release),
        "scope_labels": [policies.SCOPE_KINDS.get(kind, kind) for kind in release.kinds],
        "may_sign": selectors.may_sign_release(release, request.user),
        "notice": policies.PART2_NOTICE if release.is_part2_consent else "",
        "revocation": (policies.revocation_wording() if release.status == Release.Status.
                       AWAITING_SIGNATURE else release.revocation_statement),
    }, status=status)


@require_POST
@client_required
def release_revoke(request: SignedInRequest, release_id: int) -> HttpResponse:
    release = _release(request, release_id)
    try:
        services.release_revoke(release_id=release.pk, actor=request.actor)
    except services.DisclosureError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Revoked. Nothing more will be shared under it."))
    return HttpResponseRedirect(reverse("portal:disclosure:list"))


@require_safe
@client_required
def accounting(request: SignedInRequest) -> HttpResponse:
    return accounting_response(request, request.user,
                               "disclosure/portal/accounting.html")
