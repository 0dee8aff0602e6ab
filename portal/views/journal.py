"""The client's journal. Each entry is private (only the client reads it; the practice learns
only that it exists) or shared with their clinician, and the client can change that later."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from portal.pages import audit_read, client_required, render_local
from practice.care import selectors, services
from practice.care.forms import JournalForm, JournalSharingForm
from practice.care.models import JournalEntry
from tenants.audit.actions import Action
from tenants.requests import SignedInRequest


@require_http_methods(["GET", "POST"])
@client_required
def journal(request: SignedInRequest) -> HttpResponse:
    form = JournalForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            is_shared = form.cleaned_data["sharing"] == "shared"
            services.journal_entry_create(body=form.cleaned_data["body"], is_shared=is_shared,
                                          actor=request.actor)
            messages.success(request, _("Saved to your journal, shared with your clinician.")
                             if is_shared else _("Saved to your journal. Only you can read it."))
            return HttpResponseRedirect(reverse("portal:journal:list"))
        status = 400
    audit_read(request, Action.PORTAL_JOURNAL_VIEWED)
    return render_local(request, "portal/care/journal.html", {
        "form": form, "entries": selectors.journal_for_client(request.user)}, status=status)


@require_POST
@client_required
def sharing(request: SignedInRequest, entry_id: int) -> HttpResponse:
    form = JournalSharingForm(request.POST)
    if not form.is_valid():
        return HttpResponseRedirect(reverse("portal:journal:list"))
    try:
        services.journal_entry_set_sharing(
            entry_id=entry_id, is_shared=form.cleaned_data["sharing"] == "shared",
            actor=request.actor)
    except JournalEntry.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("Updated who can read this entry."))
    return HttpResponseRedirect(reverse("portal:journal:list"))
