"""Clients' portal access, for the staff who invite: owner, clinician (their own caseload) and
front desk (names and access state only, never clinical content). Anyone else, and any client
out of reach, gets the same 404 as a page that does not exist."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from portal import invitations
from portal.models import ClientInvitation
from practice.access import Capability, clients_in_reach, requires
from practice.clients.forms import ClientInviteForm, ClientModulesForm
from tenants.accounts.models import User
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta, audit_record
from tenants.features import enabled_modules
from tenants.requests import SignedInRequest

inviter_required = requires(Capability.CLIENT_ACCESS)


def _back(request: HttpRequest, client_id: int) -> HttpResponse:
    """Back to where the button was (the clinic's client page or this one), never off-site."""
    next_url = request.POST.get("next", "")
    if not next_url or not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        next_url = reverse("client_access", args=[client_id])
    return HttpResponseRedirect(next_url)


def _client_or_404(request: SignedInRequest, client_id: int) -> User:
    client = clients_in_reach(request.user, Capability.CLIENT_ACCESS).filter(pk=client_id).first()
    if client is None:
        raise Http404
    return client


@inviter_required
def client_list(request: SignedInRequest) -> HttpResponse:
    rows = invitations.client_access_list(request.user)
    audit_record(action=Action.CLIENT_ACCESS_LIST_VIEWED, actor=request.user, object_type="client",
                 meta=RequestMeta.from_request(request),
                 detail={"client_ids": [client.pk for client, _ in rows]})
    return render(request, "practice/clients/list.html", {"rows": rows})


@inviter_required
def client_invite(request: SignedInRequest) -> HttpResponse:
    form = ClientInviteForm(request.POST or None, practice=request.tenant)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation = invitations.client_invite(
                actor=request.actor,
                invite=invitations.ClientInvite(full_name=data["full_name"], email=data["email"],
                                                phone=data["phone"], modules=data["modules"]))
        except invitations.InvitationError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Invitation sent to {invitation.user.email}.")
            return HttpResponseRedirect(reverse("client_access_list"))
    return render(request, "practice/clients/invite.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


@inviter_required
def client_access(request: SignedInRequest, client_id: int) -> HttpResponse:
    """The client's record as far as portal access goes: state, modules, links sent."""
    client = _client_or_404(request, client_id)
    portal = invitations.portal_state(client)
    access = portal.access
    sent = list(ClientInvitation.objects.filter(user=client)
                .select_related("invited_by").order_by("-created_at")[:20])
    audit_record(action=Action.CLIENT_ACCESS_VIEWED, actor=request.user, object_type="user",
                 object_id=client.pk, meta=RequestMeta.from_request(request))
    visible = (enabled_modules(access.visible_modules) if access
               else enabled_modules(request.tenant.enabled_modules))
    return render(request, "practice/clients/access.html", {
        "client": client, "access": access, "sent": sent, "visible": visible,
        "state": portal.state, "portal": portal,
        "modules_form": ClientModulesForm(
            practice=request.tenant,
            initial={"modules": access.visible_modules} if access else None),
    })


@require_POST
@inviter_required
def client_invitation_send(request: SignedInRequest, client_id: int) -> HttpResponse:
    form = ClientModulesForm(request.POST, practice=request.tenant)
    # The modules change only when the form carrying them was sent (not a bare "Resend").
    modules = (form.cleaned_data["modules"]
               if request.POST.get("set_modules") and form.is_valid() else None)
    try:
        invitations.client_invitation_send(
            client_id=client_id, actor=request.actor,
            modules=modules)
    except User.DoesNotExist:
        raise Http404 from None
    except invitations.InvitationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "A new invitation link was sent. Earlier links no longer "
                                  "work.")
    return _back(request, client_id)


@require_POST
@inviter_required
def client_access_revoke(request: SignedInRequest, client_id: int) -> HttpResponse:
    try:
        invitations.client_access_revoke(client_id=client_id, actor=request.actor)
    except User.DoesNotExist:
        raise Http404 from None
    messages.success(request, "Portal access revoked. The client was signed out everywhere; "
                              "nothing they wrote was deleted.")
    return _back(request, client_id)
