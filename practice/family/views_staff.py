"""Staff pages of the family feature: a client's proxies (invite, resend, revoke, tier and
overrides, caregiver questionnaires, the client's age, the progress summary for family, items
marked "not for proxies", the proxy's thread), and the owner's settings (the age of
self-consent, the tiers)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from practice.access import Capability, client_in_reach, may, requires
from practice.family import policies, selectors, services
from practice.family.forms import (
    AgeForm,
    CaregiverAssignForm,
    FamilySettingsForm,
    LinkForm,
    MarkForm,
    ProxyConversationForm,
    ProxyInviteForm,
    SummaryForm,
)
from practice.family.models import CaregiverAssignment
from practice.measurement.charts import trend_svg
from practice.measurement.selectors import instrument_definition, instruments_offered
from practice.messaging.selectors import policy_of as messaging_policy_of
from tenants.accounts.models import User
from tenants.audit.services import RequestMeta
from tenants.requests import SignedInRequest


def _page(request: SignedInRequest, client: User, **forms: Any) -> HttpResponse:
    tiers = selectors.tiers()
    clinical = may(request.user, Capability.CLINICAL_RECORD, client)
    links = selectors.links_of_client(client)
    reads_messages = bool(links) and selectors.staff_may_message_proxy(
        request.user, links[0], messaging_policy_of(request.tenant))
    facts = selectors.client_age_facts(client)
    instruments = [(definition.key, definition.title)
                   for definition in instruments_offered(request.tenant)]
    marks = selectors.item_marks(client) if clinical else {}
    markable = []
    if clinical:
        for kind in policies.ALL_KINDS:
            for row in selectors.client_items(client, kind)[:10]:
                markable.append({"row": row, "label": policies.KIND_LABELS[kind],
                                 "hidden": "hidden" in marks.get((kind, row.object_id), set()),
                                 "shareable": "shareable" in marks.get((kind, row.object_id),
                                                                        set())})
    context = {
        "client": client, "links": [
            {"link": link, "sees": [policies.KIND_LABELS[kind] for kind in policies.ALL_KINDS
                                    if kind in selectors.kinds_for_link(
                                        link, practice=request.tenant)],
             "form": LinkForm(initial={"tier": link.tier.key, "added": link.kinds_added,
                                       "removed": link.kinds_removed},
                              tiers=tiers, prefix=f"link{link.pk}"),
             "conversations": (selectors.proxy_conversations(link) if reads_messages
                               else None),
             "assignments": (list(selectors.caregiver_assignments_open(link)) if clinical
                             else []),
             "shows_messages": policies.Kind.MESSAGES in selectors.kinds_for_link(
                 link, practice=request.tenant)}
            for link in links],
        "invite_form": forms.get("invite_form") or ProxyInviteForm(tiers=tiers,
                                                                   initial={"tier": "logistics"}),
        "age_form": AgeForm(initial={"birth_date": facts.birth_date,
                                     "self_consent_age": facts.self_consent_age}),
        "decides": selectors.client_decides(client),
        "settings": selectors.family_settings(),
        "clinical": clinical,
        "summary_form": SummaryForm(initial={"text": selectors.family_summary_text(client)}),
        "assign_form": CaregiverAssignForm(instruments=instruments),
        "informants": _informant_charts(client) if clinical else [],
        "markable": markable,
        "message_form": ProxyConversationForm(),
    }
    return render(request, "family/staff_client.html", context,
                  status=400 if any(form.errors for form in forms.values()) else 200)


def _informant_charts(client: User) -> list[dict[str, Any]]:
    """Each caregiver instrument charted beside the client's own, with one table of both."""
    charts = []
    for series in selectors.informant_series(client):
        entry: dict[str, Any] = {"series": series, "svgs": []}
        for key, points, who in ((series.caregiver_key, series.caregiver_points, "caregiver"),
                                 (series.own_key, series.own_points, client.full_name)):
            if key and points:
                definition = instrument_definition(key)
                entry["svgs"].append(trend_svg(
                    definition=definition, points=points, mark_reliable_change=False,
                    title=f"{definition.title}: {who}", width=420))
        charts.append(entry)
    return charts


def _client(request: SignedInRequest, client_id: int) -> User:
    try:
        return client_in_reach(request.user, Capability.CLIENT_ACCESS, client_id)
    except User.DoesNotExist:
        raise Http404 from None


def _back(client_id: int) -> HttpResponse:
    return HttpResponseRedirect(reverse("family:staff_client", args=[client_id]))


@requires(Capability.CLIENT_ACCESS)
def staff_client(request: SignedInRequest, client_id: int) -> HttpResponse:
    return _page(request, _client(request, client_id))


@require_POST
@requires(Capability.CLIENT_ACCESS)
def staff_invite(request: SignedInRequest, client_id: int) -> HttpResponse:
    client = _client(request, client_id)
    form = ProxyInviteForm(request.POST, tiers=selectors.tiers())
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.proxy_invite(
                client_id=client.pk,
                invite=services.ProxyInvite(full_name=data["full_name"], email=data["email"],
                                            relationship=data["relationship"],
                                            tier_key=data["tier"]),
                actor=request.actor)
        except services.FamilyError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Invitation sent to {data['email']}.")
            return _back(client.pk)
    return _page(request, client, invite_form=form)


def _link_action(request: SignedInRequest, link_id: int) -> Any:
    try:
        return selectors.link_for_staff(request.user, link_id)
    except User.DoesNotExist:
        raise Http404 from None


@require_POST
@requires(Capability.CLIENT_ACCESS)
def staff_link(request: SignedInRequest, link_id: int) -> HttpResponse:
    """Change the tier and overrides, send the link again, or revoke it."""
    link = _link_action(request, link_id)
    action = request.POST.get("action", "")
    try:
        if action == "resend":
            services.proxy_invitation_resend(link_id=link.pk,
                                             actor=request.actor)
            messages.success(request, "A new invitation link was sent.")
        elif action == "revoke":
            services.proxy_link_revoke(link_id=link.pk, actor=request.actor)
            messages.success(request, "Access revoked.")
        else:
            form = LinkForm(request.POST, tiers=selectors.tiers(), prefix=f"link{link.pk}")
            if not form.is_valid():
                messages.error(request, "Choose a tier.")
                return _back(link.client_id)
            services.link_update(link_id=link.pk, tier_key=form.cleaned_data["tier"],
                                 added=form.cleaned_data["added"],
                                 removed=form.cleaned_data["removed"],
                                 actor=request.actor)
            messages.success(request, "Saved.")
    except services.FamilyError as error:
        messages.error(request, str(error))
    return _back(link.client_id)


@require_POST
@requires(Capability.CLIENT_ACCESS)
def staff_age(request: SignedInRequest, client_id: int) -> HttpResponse:
    client = _client(request, client_id)
    form = AgeForm(request.POST)
    if form.is_valid():
        services.client_age_set(client_id=client.pk, birth_date=form.cleaned_data["birth_date"],
                                self_consent_age=form.cleaned_data["self_consent_age"],
                                actor=request.actor)
        messages.success(request, "Saved.")
    else:
        messages.error(request, "Check the date of birth and the age.")
    return _back(client.pk)


@require_POST
@requires(Capability.CLINICAL_RECORD)
def staff_summary(request: SignedInRequest, client_id: int) -> HttpResponse:
    form = SummaryForm(request.POST)
    try:
        if form.is_valid():
            services.family_summary_save(client_id=client_id, text=form.cleaned_data["text"],
                                         actor=request.actor)
            messages.success(request, "Summary saved.")
        else:
            messages.error(request, "Write the summary first.")
    except User.DoesNotExist:
        raise Http404 from None
    return _back(client_id)


@require_POST
@requires(Capability.CLINICAL_RECORD)
def staff_mark(request: SignedInRequest, client_id: int) -> HttpResponse:
    form = MarkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Unknown item.")
        return _back(client_id)
    try:
        services.item_mark_set(client_id=client_id, actor=request.actor,
                               **form.cleaned_data)
    except User.DoesNotExist:
        raise Http404 from None
    except services.FamilyError as error:
        messages.error(request, str(error))
    return _back(client_id)


@require_POST
@requires(Capability.CLINICAL_RECORD)
def staff_caregiver_assign(request: SignedInRequest, client_id: int) -> HttpResponse:
    instruments = [(definition.key, definition.title)
                   for definition in instruments_offered(request.tenant)]
    form = CaregiverAssignForm(request.POST, instruments=instruments)
    if not form.is_valid():
        messages.error(request, "Choose an instrument.")
        return _back(client_id)
    try:
        link = selectors.link_for_staff(request.user, form.cleaned_data["link"])
        if link.client_id != client_id:
            raise Http404
        services.caregiver_assign(
            link_id=link.pk, instrument_key=form.cleaned_data["instrument_key"],
            compare_with=form.cleaned_data["compare_with"], actor=request.actor,
            plan=services.CaregiverSchedule(frequency=form.cleaned_data["frequency"],
                                            starts_on=form.cleaned_data["starts_on"],
                                            ends_on=form.cleaned_data["ends_on"]))
        messages.success(request, "Questionnaire assigned to the family member.")
    except User.DoesNotExist:
        raise Http404 from None
    except services.FamilyError as error:
        messages.error(request, str(error))
    return _back(client_id)


@require_POST
@requires(Capability.CLINICAL_RECORD)
def staff_caregiver_end(request: SignedInRequest, client_id: int,
                        assignment_id: int) -> HttpResponse:
    try:
        assignment = services.caregiver_assignment_end(
            assignment_id=assignment_id, actor=request.actor)
    except (User.DoesNotExist, CaregiverAssignment.DoesNotExist):
        raise Http404 from None
    if assignment.link.client_id != client_id:
        raise Http404
    messages.success(request, "Questionnaire ended.")
    return _back(client_id)


@require_POST
@requires(Capability.MESSAGES)
def staff_message(request: SignedInRequest, link_id: int) -> HttpResponse:
    """Start a conversation with the proxy; it then lives in the staff inbox."""
    link = _link_action(request, link_id)
    form = ProxyConversationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write a message first.")
        return _back(link.client_id)
    try:
        message = services.proxy_message_send(
            practice=request.tenant, link_id=link.pk, body=form.cleaned_data["body"],
            subject=form.cleaned_data["subject"], author=request.user,
            meta=RequestMeta.from_request(request))
    except services.FamilyError as error:
        messages.error(request, str(error))
        return _back(link.client_id)
    return HttpResponseRedirect(reverse("messaging:conversation",
                                        args=[message.conversation_id]))


@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_PRACTICE)
def family_settings(request: SignedInRequest) -> HttpResponse:
    current = selectors.family_settings()
    tiers = selectors.tiers()
    form = FamilySettingsForm(request.POST or None, tiers=tiers, initial={
        "self_consent_age": current.self_consent_age,
        "disagreement_points": current.disagreement_points})
    if request.method == "POST" and form.is_valid():
        try:
            services.family_settings_update(
                self_consent_age=form.cleaned_data["self_consent_age"],
                disagreement_points=form.cleaned_data["disagreement_points"],
                tier_kinds=form.tier_kinds(), actor=request.actor)
        except services.FamilyError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Family settings saved.")
            return HttpResponseRedirect(reverse("family:settings"))
    return render(request, "family/staff_settings.html", {"form": form, "tiers": tiers},
                  status=400 if form.errors else 200)
