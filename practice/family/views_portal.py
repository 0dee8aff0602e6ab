"""The family pages (`/family/`): a proxy's own sign-in, the switcher between the clients they
are linked to, and each client's record as far as the link shows it; the proxy's invitation,
consent and settings; and the client's own page of who their proxies are and what each sees.

Every read of a client's record goes through `selectors.proxy_items` (the choke point): what a
proxy may not see answers the same 404 as what does not exist."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from portal.pages import client_required
from practice.access import Capability, declares, requires
from practice.disclosure import policies as disclosure_policies
from practice.disclosure import selectors as disclosure_selectors
from practice.disclosure import services as disclosure_services
from practice.disclosure.forms import SignForm
from practice.disclosure.models import Release
from practice.family import policies, selectors, services
from practice.family.forms import (
    AcceptClientInvitationForm,
    ConfirmAccountForm,
    ConsentForm,
    GrantsForm,
    MessageForm,
    ProxySettingsForm,
)
from practice.family.models import ProxyLink
from practice.formbuilder.services import consent_wording
from practice.measurement.selectors import instrument_definition
from practice.messaging.selectors import proxy_link_unread_count
from tenants.accounts.models import User
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta, audit_record
from tenants.requests import SignedInRequest

SESSION_PROXY_CONSENT = "_tandem_proxy_consent"
SESSION_PROXY_LANGUAGE = "_tandem_proxy_language"
REFUSED_STATUS = {"unknown": 404, "used": 410, "revoked": 410, "expired": 410}

View = Callable[..., HttpResponseBase]


def _consent_is_current(request: SignedInRequest) -> bool:
    version = policies.PROXY_CONSENT.version
    if request.session.get(SESSION_PROXY_CONSENT) == version:
        return True
    if selectors.proxy_consent_accepted(request.user, version):
        request.session[SESSION_PROXY_CONSENT] = version
        return True
    return False


def _activate_language(request: SignedInRequest) -> None:
    language = request.session.get(SESSION_PROXY_LANGUAGE)
    if language is None:
        language = selectors.proxy_account(request.user).language
        request.session[SESSION_PROXY_LANGUAGE] = language
    translation.activate(language)
    request.LANGUAGE_CODE = language


def proxy_page(view: View) -> View:
    """A proxy's page: signed in as a proxy (else 404), the proxy consent accepted (else read
    it first), in the proxy's language and timezone."""

    @wraps(view)
    def wrapper(request: SignedInRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        _activate_language(request)
        if not _consent_is_current(request):
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('family:consent')}?{query}")
        try:
            zone = ZoneInfo(selectors.proxy_account(request.user).timezone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        with timezone.override(zone):
            try:
                return view(request, *args, **kwargs)
            except User.DoesNotExist:
                raise Http404 from None

    return requires(Capability.FAMILY)(wrapper)


def _context(request: SignedInRequest, link: Any, **extra: Any) -> dict[str, Any]:
    """Every proxy page: the switcher, whose record this is, and the kinds this link shows."""
    links = selectors.proxy_links_for(request.user)
    kinds = selectors.kinds_for_link(link, practice=request.tenant) if link else frozenset()
    return {"links": links, "link": link,
            "kinds": [(kind, policies.KIND_LABELS[kind]) for kind in policies.ALL_KINDS
                      if kind in kinds], **extra}


@proxy_page
def home(request: SignedInRequest) -> HttpResponse:
    """The switcher: one linked client goes straight to their page."""
    links = selectors.proxy_links_for(request.user)
    if len(links) == 1:
        return HttpResponseRedirect(reverse("family:client", args=[links[0].client_id]))
    return render(request, "family/home.html", {"links": links, "link": None})


@proxy_page
def client_home(request: SignedInRequest, client_id: int) -> HttpResponse:
    link = selectors.proxy_link(request.user, client_id)
    audit_record(action=Action.FAMILY_RECORD_VIEWED, actor=request.user, object_type="client",
                 object_id=client_id, meta=RequestMeta.from_request(request),
                 detail={"kind": "overview"})
    # What is due for the proxy to fill in about this client (their own reports).
    questionnaires = [(due, instrument_definition(due.assignment.instrument_key))
                      for due in selectors.caregiver_due(link)]
    context = _context(request, link, questionnaires=questionnaires)
    if any(kind == policies.Kind.MESSAGES for kind, _label in context["kinds"]):
        context["unread"] = proxy_link_unread_count(link.pk, request.user)
    return render(request, "family/client.html", context)


@require_http_methods(["GET", "POST"])
@proxy_page
def record(request: SignedInRequest, client_id: int, kind: str) -> HttpResponse:
    link, items = selectors.proxy_items(proxy=request.user, client_id=client_id, kind=kind,
                                        practice=request.tenant)
    form = MessageForm(request.POST or None) if kind == policies.Kind.MESSAGES else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                services.proxy_message_send(practice=request.tenant, link_id=link.pk,
                                            body=form.cleaned_data["body"], author=request.user,
                                            meta=RequestMeta.from_request(request))
            except services.FamilyError as error:
                form.add_error(None, str(error))
            else:
                return HttpResponseRedirect(request.path)
    audit_record(action=Action.FAMILY_RECORD_VIEWED, actor=request.user, object_type="client",
                 object_id=client_id, meta=RequestMeta.from_request(request),
                 detail={"kind": kind})
    if form is not None and request.method == "GET":
        # Opening their messages reads them (the practice sees the receipt, as a client's).
        services.proxy_messages_read(practice=request.tenant, link=link, proxy=request.user,
                                     meta=RequestMeta.from_request(request))
    return render(request, "family/record.html", _context(
        request, link, kind=kind, kind_label=policies.KIND_LABELS[kind], items=items,
        form=form), status=400 if form is not None and form.errors else 200)


@require_http_methods(["GET", "POST"])
@proxy_page
def questionnaire(request: SignedInRequest, client_id: int, assignment_id: int) -> HttpResponse:
    link = selectors.proxy_link(request.user, client_id)
    due = next((row for row in selectors.caregiver_due(link)
                if row.assignment.pk == assignment_id), None)
    if due is None:
        raise Http404  # nothing due on it now (answered, ended, not started): as missing
    assignment = due.assignment
    definition = instrument_definition(assignment.instrument_key)
    error = ""
    if request.method == "POST":
        answers: dict[str, Any] = {item.key: request.POST.get(item.key) for item in definition.items
                   if request.POST.get(item.key) not in (None, "")}
        try:
            answers = {key: int(value) for key, value in answers.items()}
            services.caregiver_report_submit(proxy=request.user, assignment_id=assignment.pk,
                                             answers=answers,
                                             meta=RequestMeta.from_request(request))
        except (ValueError, services.FamilyError) as problem:
            error = str(problem) if isinstance(problem, services.FamilyError) else str(
                translation.gettext("Please answer every question."))
        else:
            return HttpResponseRedirect(reverse("family:client", args=[client_id]))
    return render(request, "family/questionnaire.html", _context(
        request, link, assignment=assignment, due=due, definition=definition, error=error),
        status=400 if error else 200)


@require_http_methods(["GET", "POST"])
@proxy_page
def account(request: SignedInRequest) -> HttpResponse:
    current = selectors.proxy_account(request.user)
    form = ProxySettingsForm(request.POST or None, initial={
        "language": current.language, "timezone": current.timezone,
        "email_notifications": current.email_notifications})
    if request.method == "POST" and form.is_valid():
        services.proxy_settings_update(
            proxy=request.user, language=form.cleaned_data["language"],
            timezone_name=form.cleaned_data["timezone"],
            email_notifications=form.cleaned_data["email_notifications"])
        request.session[SESSION_PROXY_LANGUAGE] = form.cleaned_data["language"]
        return HttpResponseRedirect(reverse("family:account"))
    return render(request, "family/account.html", {"form": form, "link": None,
                                                   "links": selectors.proxy_links_for(
                                                       request.user)},
                  status=400 if form.errors else 200)


# --- releases of information, signed for a young client ------------------------------------

def _release_for_client(request: SignedInRequest, client_id: int,
                        release_id: int) -> tuple[Any, Any]:
    """The link and the release a proxy may act on for this client (selectors.proxy_signs_for;
    a Part 2 consent is never shown to a proxy). Anything else: the same 404."""
    link = selectors.proxy_signs_for(proxy=request.user, client_id=client_id,
                                     practice=request.tenant)
    try:
        release = disclosure_selectors.releases_for_proxy(link.client).get(pk=release_id)
    except Release.DoesNotExist:
        raise Http404 from None
    return link, release


@require_http_methods(["GET", "POST"])
@proxy_page
def release_sign(request: SignedInRequest, client_id: int, release_id: int) -> HttpResponse:
    link, release = _release_for_client(request, client_id, release_id)
    form = SignForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                disclosure_services.release_sign_for_client(
                    client_id=link.client_id, release_id=release.pk,
                    signing=disclosure_services.Signing(data["typed_name"], data["consent"],
                                                        data["drawn"]),
                    actor=request.actor)
            except disclosure_services.DisclosureError as error:
                form.add_error(None, str(error))
            except Release.DoesNotExist:
                raise Http404 from None
            else:
                messages.success(request, translation.gettext(
                    "Signed. You can revoke it here at any time."))
                return HttpResponseRedirect(reverse(
                    "family:record", args=[link.client_id, policies.Kind.RELEASES]))
    return render(request, "family/release.html", _context(
        request, link, release=release, form=form,
        consent_text=consent_wording(),
        recipient=disclosure_selectors.release_recipient(release),
        scope_labels=[disclosure_policies.SCOPE_KINDS.get(kind, kind) for kind in release.kinds],
        may_sign=disclosure_selectors.may_sign_for_client(release, request.user),
        revocation=(disclosure_policies.revocation_wording()
                    if release.status == Release.Status.AWAITING_SIGNATURE
                    else release.revocation_statement)), status=status)


@require_POST
@proxy_page
def release_revoke(request: SignedInRequest, client_id: int, release_id: int) -> HttpResponse:
    link, release = _release_for_client(request, client_id, release_id)
    try:
        disclosure_services.release_revoke_for_client(
            client_id=link.client_id, release_id=release.pk,
            actor=request.actor)
    except disclosure_services.DisclosureError as error:
        messages.error(request, str(error))
    except Release.DoesNotExist:
        raise Http404 from None
    else:
        messages.success(request, translation.gettext(
            "Revoked. Nothing more will be shared under it."))
    return HttpResponseRedirect(reverse("family:record",
                                        args=[link.client_id, policies.Kind.RELEASES]))


# --- joining ---------------------------------------------------------------------------------

def _refused(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "portal/invitation_refused.html", {"reason": reason},
                  status=REFUSED_STATUS[reason])


@declares(Capability.PUBLIC)
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_by_token(token)
    if invitation is None:
        return _refused(request, "unknown")
    if invitation.status != "open":
        return _refused(request, invitation.status)
    proxy = invitation.link.proxy
    has_account = proxy.is_active and proxy.has_usable_password()
    form_class = ConfirmAccountForm if has_account else AcceptClientInvitationForm
    form = form_class(request.POST or None, initial={"version": policies.PROXY_CONSENT.version})
    if request.method == "POST" and form.is_valid():
        try:
            proxy = services.proxy_invitation_accept(
                token=token, password=form.cleaned_data["password1"],
                consent_version=form.cleaned_data["version"],
                meta=RequestMeta.from_request(request))
        except services.InvitationRefused as refused:
            return _refused(request, refused.reason)
        except ValidationError as error:
            form.add_error("password1", error)
        except services.FamilyError as error:
            form.add_error(None, str(error))
        else:
            login(request, proxy, backend="django.contrib.auth.backends.ModelBackend")
            return HttpResponseRedirect(reverse("family:home"))
    return render(request, "family/invitation_accept.html",
                  {"form": form, "consent": policies.PROXY_CONSENT, "invitation": invitation,
                   "has_account": has_account},
                  status=400 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
@requires(Capability.FAMILY)
def consent(request: SignedInRequest) -> HttpResponse:
    _activate_language(request)
    current = policies.PROXY_CONSENT
    form = ConsentForm(request.POST or None, initial={"version": current.version})
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.proxy_consent_accept(user=request.user,
                                          version=form.cleaned_data["version"],
                                          meta=RequestMeta.from_request(request))
        except services.FamilyError as error:
            form.add_error(None, str(error))
        else:
            request.session[SESSION_PROXY_CONSENT] = current.version
            return HttpResponseRedirect(next_url or reverse("family:home"))
    return render(request, "family/consent.html",
                  {"form": form, "consent": current, "next": next_url},
                  status=400 if request.method == "POST" else 200)


# --- the client's own page: who sees what ---------------------------------------------------

@client_required
def sharing(request: SignedInRequest) -> HttpResponse:
    client = request.user
    decides = selectors.client_decides(client)
    rows = []
    for link in selectors.links_of_client(client):
        if link.state == "revoked":
            continue
        kinds = selectors.kinds_for_link(link, practice=request.tenant)
        rows.append({"link": link,
                     "sees": [policies.KIND_LABELS[kind] for kind in policies.ALL_KINDS
                              if kind in kinds],
                     "form": GrantsForm(initial={"kinds": link.kinds_granted},
                                        prefix=f"link{link.pk}")})
    return render(request, "family/sharing.html",
                  {"rows": rows, "decides": decides,
                   "facts": selectors.client_age_facts(client)})


@require_POST
@client_required
def sharing_save(request: SignedInRequest, link_id: int) -> HttpResponse:
    form = GrantsForm(request.POST, prefix=f"link{link_id}")
    if not form.is_valid():
        raise Http404
    try:
        services.grants_set(client=request.user, link_id=link_id,
                            kinds=form.cleaned_data["kinds"],
                            meta=RequestMeta.from_request(request))
    except services.FamilyError as error:
        messages.error(request, str(error))
    except ProxyLink.DoesNotExist:
        raise Http404 from None  # a link not the client's: as missing
    return HttpResponseRedirect(reverse("family:sharing"))
