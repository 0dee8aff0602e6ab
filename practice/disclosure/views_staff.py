"""Staff pages of releases and disclosures (`/disclosure/`, namespace "disclosure"): a client's
releases, restrictions, Part 2 tags and ledger; drafting a release; sending a package through
`disclose`; the accounting (page and PDF); the practice's Part 2 setting. Owner and clinicians
(their caseload) hold Capability.DISCLOSE; a client out of reach is a 404 like a missing one."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from practice.access import Capability, client_in_reach, holds, requires
from practice.disclosure import packages, policies, selectors, services
from practice.disclosure.accounting import accounting_response
from practice.disclosure.forms import (
    Part2SettingForm,
    ReleaseForm,
    RestrictionForm,
    SendForm,
    TagForm,
)
from practice.disclosure.models import Release
from practice.measurement.models import Response
from practice.measurement.selectors import definition_catalog, instruments_offered
from tenants.accounts.models import User
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta, audit_record
from tenants.requests import PracticeRequest, SignedInRequest


def _client(request: SignedInRequest, client_id: int) -> User:
    try:
        return client_in_reach(request.user, Capability.DISCLOSE, client_id)
    except User.DoesNotExist:
        raise Http404 from None


def _release(client: User, release_id: int) -> Release:
    try:
        return selectors.release_of_client(client, release_id)
    except Release.DoesNotExist:
        raise Http404 from None


def _instruments(request: PracticeRequest, client: User) -> list[tuple[str, str]]:
    """The instruments the practice offers and those the client has answered."""
    titles = {definition.key: definition.title
              for definition in instruments_offered(request.tenant)}
    answered = set(Response.objects.filter(client=client).values_list(
        "instrument_key", flat=True).distinct())
    catalog = definition_catalog(answered)
    for key in sorted(answered):
        if key not in titles:
            definition = catalog.get(key)
            titles[key] = definition.title if definition else key
    return sorted(titles.items(), key=lambda pair: pair[1])


def _context(request: SignedInRequest) -> packages.Context:
    return services.package_context(base_url=request.build_absolute_uri("/"),
                                    actor=request.actor)


@require_safe
@requires(Capability.DISCLOSE)
def client_overview(request: SignedInRequest, client_id: int) -> HttpResponse:
    client = _client(request, client_id)
    part2_on = selectors.is_part2_program()
    audit_record(action=Action.DISCLOSURE_ACCOUNTING_VIEWED, actor=request.user,
                 object_type="client", object_id=client.pk,
                 meta=RequestMeta.from_request(request), detail={"page": "overview"})
    return render(request, "disclosure/staff/client.html", {
        "client": client, "releases": selectors.releases_for_client(client),
        "ledger": selectors.ledger_for_client(client)[:50],
        "restrictions": selectors.active_restrictions(client),
        "part2_on": part2_on,
        "part2_count": len(selectors.part2_records(client)) if part2_on else 0,
        "tags": selectors.part2_hand_tags(client),
        "episodes": selectors.episodes_of(client),
        "manages_practice": holds(request.user, Capability.MANAGE_PRACTICE),
        "sud_episode_ids": set(selectors.sud_episodes(client).values_list("pk", flat=True)),
        "restriction_form": RestrictionForm(), "tag_form": TagForm(),
        "scope_labels": policies.SCOPE_KINDS,
    })


@require_http_methods(["GET", "POST"])
@requires(Capability.DISCLOSE)
def release_new(request: SignedInRequest, client_id: int) -> HttpResponse:
    client = _client(request, client_id)
    form = ReleaseForm(request.POST or None, instruments=_instruments(request, client))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            draft = services.ReleaseDraft(
                recipient_name=data["recipient_name"], purpose=data["purpose"],
                kinds=data["kinds"], instrument_keys=data["instrument_keys"],
                recipient_organisation=data["recipient_organisation"],
                recipient_email=data["recipient_email"], recipient_phone=data["recipient_phone"],
                covers_from=data["covers_from"], covers_to=data["covers_to"],
                expires_on=data["expires_on"], expiry_event=data["expiry_event"],
                is_part2_consent=data["is_part2_consent"], discloser=data["discloser"],
                information_description=data["information_description"])
            try:
                release = services.release_create(
                    client_id=client.pk, draft=draft, practice_name=request.tenant.name,
                    actor=request.actor)
            except services.DisclosureError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Release drafted. The client signs it in the portal.")
                return HttpResponseRedirect(reverse("disclosure:release",
                                                    args=[client.pk, release.pk]))
    return render(request, "disclosure/staff/release_new.html",
                  {"client": client, "form": form}, status=status)


@require_safe
@requires(Capability.DISCLOSE)
def release_detail(request: SignedInRequest, client_id: int, release_id: int) -> HttpResponse:
    client = _client(request, client_id)
    release = _release(client, release_id)
    return _release_page(request, client, release, SendForm(release_kinds=release.kinds))


def _release_page(request: HttpRequest, client: User, release: Release, form: SendForm,
                  delivered: services.Delivered | None = None, status: int = 200,
                  refusal: services.DisclosureRefused | None = None) -> HttpResponse:
    terms = selectors.consent_terms(release)
    return render(request, "disclosure/staff/release.html", {
        "client": client, "release": release, "form": form, "delivered": delivered,
        "refusal": refusal, "recipient": selectors.release_recipient(release),
        "signed_by": selectors.signature_words(release),
        "refusal_now": policies.release_refusal(selectors.release_state(release),
                                                timezone.localdate()),
        "missing": policies.missing_part2_elements(terms) if release.is_part2_consent else [],
        "scope_labels": [policies.SCOPE_KINDS.get(kind, kind) for kind in release.kinds],
        "link_url": (request.build_absolute_uri(reverse("shared:download",
                                                         args=[delivered.token]))
                     if delivered else ""),
        "ledger": release.disclosures.order_by("-disclosed_at", "-pk"),
    }, status=status)


@require_POST
@requires(Capability.DISCLOSE)
def release_send(request: SignedInRequest, client_id: int, release_id: int) -> HttpResponse:
    client = _client(request, client_id)
    release = _release(client, release_id)
    form = SendForm(request.POST, release_kinds=release.kinds)
    if not form.is_valid():
        return _release_page(request, client, release, form, status=400)
    link_base = request.build_absolute_uri(reverse("shared:download", args=["x"]))[:-2]
    package_kind = form.cleaned_data["package_kind"]
    scope = selectors.package_scope(release, package_kind,
                                    start=form.cleaned_data["covers_from"],
                                    end=form.cleaned_data["covers_to"])
    try:
        delivered = services.disclose(
            release_id=release.pk, package_kind=package_kind, scope=scope,
            actor=request.actor, context=_context(request), link_url=link_base)
    except services.DisclosureRefused as refusal:
        return _release_page(request, client, release, form, refusal=refusal, status=409)
    release.refresh_from_db()
    return _release_page(request, client, release, SendForm(release_kinds=release.kinds),
                         delivered=delivered)


@require_POST
@requires(Capability.DISCLOSE)
def release_revoke(request: SignedInRequest, client_id: int, release_id: int) -> HttpResponse:
    client = _client(request, client_id)
    release = _release(client, release_id)
    try:
        services.release_revoke(release_id=release.pk, actor=request.actor)
    except services.DisclosureError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Recorded. No further disclosure is made under this release.")
    return HttpResponseRedirect(reverse("disclosure:release", args=[client.pk, release.pk]))


@require_safe
@requires(Capability.DISCLOSE)
def accounting(request: SignedInRequest, client_id: int) -> HttpResponse:
    client = _client(request, client_id)
    return accounting_response(request, client, "disclosure/staff/accounting.html")


@require_POST
@requires(Capability.DISCLOSE)
def restriction_new(request: SignedInRequest, client_id: int) -> HttpResponse:
    client = _client(request, client_id)
    form = RestrictionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.restriction_record(
                client_id=client.pk, recipient_match=data["recipient_match"],
                kinds=data["kinds"], instrument_keys=data["instrument_keys"],
                note=data["note"], actor=request.actor)
        except services.DisclosureError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Restriction recorded. Disclosures honour it.")
    else:
        messages.error(request, "The restriction could not be read.")
    return HttpResponseRedirect(reverse("disclosure:client", args=[client.pk]))


@require_POST
@requires(Capability.DISCLOSE)
def restriction_lift(request: SignedInRequest, client_id: int, restriction_id: int) -> HttpResponse:
    client = _client(request, client_id)
    try:
        services.restriction_lift(client_id=client.pk, restriction_id=restriction_id,
                                  actor=request.actor)
    except services.DisclosureError:
        raise Http404 from None
    messages.success(request, "Restriction lifted.")
    return HttpResponseRedirect(reverse("disclosure:client", args=[client.pk]))


@require_POST
@requires(Capability.DISCLOSE)
def part2_tag(request: SignedInRequest, client_id: int) -> HttpResponse:
    client = _client(request, client_id)
    form = TagForm(request.POST)
    try:
        if not form.is_valid():
            raise services.DisclosureError("Choose a kind of record and its number.")
        services.part2_tag(client_id=client.pk, kind=form.cleaned_data["kind"],
                           object_id=form.cleaned_data["object_id"],
                           actor=request.actor)
    except services.DisclosureError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Tagged Part 2.")
    return HttpResponseRedirect(reverse("disclosure:client", args=[client.pk]))


@require_POST
@requires(Capability.DISCLOSE)
def part2_untag(request: SignedInRequest, client_id: int, tag_id: int) -> HttpResponse:
    client = _client(request, client_id)
    try:
        services.part2_untag(client_id=client.pk, tag_id=tag_id,
                             actor=request.actor)
    except services.DisclosureError:
        raise Http404 from None
    messages.success(request, "Tag removed.")
    return HttpResponseRedirect(reverse("disclosure:client", args=[client.pk]))


@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_PRACTICE)
def part2_setting(request: SignedInRequest) -> HttpResponse:
    current = selectors.part2_settings()
    form = Part2SettingForm(request.POST or None,
                            initial={"is_part2_program": current.is_part2_program})
    if request.method == "POST" and form.is_valid():
        services.part2_setting_update(is_part2_program=form.cleaned_data["is_part2_program"],
                                      actor=request.actor)
        messages.success(request, "Saved.")
        return HttpResponseRedirect(reverse("disclosure:settings"))
    context: dict[str, Any] = {"form": form, "current": current,
                               "sud_keys": sorted(policies.SUD_INSTRUMENT_KEYS)}
    return render(request, "disclosure/staff/settings.html", context)
