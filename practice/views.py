"""Practice-host pages: the landing page after sign-in and the owner's staff management."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from practice import selectors, services
from practice.access import Capability, declares, requires
from practice.forms import AcceptInvitationForm, StaffInviteForm, StaffRoleForm
from practice.today import views as today_views
from tenants.accounts.models import User
from tenants.audit.services import RequestMeta
from tenants.requests import PracticeRequest, SignedInRequest

# Owner-only pages answer 404 to everyone else, so their existence does not leak.
owner_required = requires(Capability.MANAGE_PRACTICE)


@declares(Capability.OWN_ACCOUNT)
@login_required
def home(request: SignedInRequest) -> HttpResponse:
    """The staff home is the Today page (practice.today); a client goes to the portal."""
    return today_views.today(request)


@owner_required
def staff_list(request: SignedInRequest) -> HttpResponse:
    return render(request, "practice/staff_list.html", {
        "staff": selectors.staff_list(),
        "invitations": selectors.staff_invitation_list(),
        "invite_form": StaffInviteForm(),
        "role_choices": cast(forms.ChoiceField, StaffRoleForm.base_fields["role"]).choices,
    })


@require_POST
@owner_required
def staff_invite(request: SignedInRequest) -> HttpResponse:
    form = StaffInviteForm(request.POST)
    if form.is_valid():
        try:
            services.staff_invite(
                actor=request.actor,
                **form.cleaned_data,
            )
        except services.StaffError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return HttpResponseRedirect(reverse("staff_list"))
    return render(request, "practice/staff_list.html", {
        "staff": selectors.staff_list(),
        "invitations": selectors.staff_invitation_list(),
        "invite_form": form,
        "role_choices": cast(forms.ChoiceField, StaffRoleForm.base_fields["role"]).choices,
    }, status=400)


def _staff_change(request: HttpRequest, change: Callable[[], User], done: str) -> HttpResponse:
    try:
        change()
    except User.DoesNotExist:
        raise Http404 from None
    except services.StaffError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return HttpResponseRedirect(reverse("staff_list"))


@require_POST
@owner_required
def staff_role_change(request: SignedInRequest, user_id: int) -> HttpResponse:
    form = StaffRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a staff role.")
        return HttpResponseRedirect(reverse("staff_list"))
    return _staff_change(request, lambda: services.staff_role_change(
        user_id=user_id, role=form.cleaned_data["role"], actor=request.actor,
    ), "Role changed.")


@require_POST
@owner_required
def staff_remove(request: SignedInRequest, user_id: int) -> HttpResponse:
    return _staff_change(request, lambda: services.staff_remove(
        user_id=user_id, actor=request.actor,
    ), "Access removed. Nothing they wrote was deleted.")


@require_POST
@owner_required
def staff_invitation_revoke(request: SignedInRequest, invitation_id: int) -> HttpResponse:
    try:
        services.staff_invitation_revoke(invitation_id=invitation_id, actor=request.actor)
    except services.StaffInvitation.DoesNotExist:
        raise Http404 from None
    messages.success(request, "Invitation revoked.")
    return HttpResponseRedirect(reverse("staff_list"))


@declares(Capability.PUBLIC)
def staff_invitation_accept(request: PracticeRequest, token: str) -> HttpResponse:
    invitation = selectors.open_invitation_by_token_hash(services.hash_token(token))
    if invitation is None:
        return render(request, "practice/invitation_invalid.html", status=404)
    form = AcceptInvitationForm(request.POST or None, initial={"full_name": invitation.full_name})
    if request.method == "POST" and form.is_valid():
        try:
            user = services.staff_invitation_accept(
                practice=request.tenant, token=token, full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"], meta=RequestMeta.from_request(request),
            )
        except ValidationError as error:
            form.add_error("password1", error)
        except services.StaffError as error:
            form.add_error(None, str(error))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return HttpResponseRedirect(reverse("home"))
    return render(request, "practice/invitation_accept.html",
                  {"form": form, "invitation": invitation},
                  status=400 if request.method == "POST" else 200)
