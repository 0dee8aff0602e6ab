"""Staff pages of secure messaging (`/messages/`, namespace "messaging"): the inbox, a
conversation (reading it marks the client's messages read), starting one, editing one's own
message, closing and reopening, and the owner's messaging settings.

Whoever has no messaging inbox under the practice's policy (billing; front desk unless the
practice allows it; clients) gets the not-found page, and a conversation out of reach is as
missing as one that does not exist. Every page showing client data leaves an audit event."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from practice.access import Capability, declares, holds, requires
from practice.measurement.views_clinic.common import client_zone
from practice.messaging import selectors, services
from practice.messaging.forms import CloseForm, EditForm, ReplyForm, SettingsForm, StaffStartForm
from practice.messaging.models import Conversation, Message, MessageRead
from practice.messaging.policies import MessagingPolicy, Scope
from tenants.accounts.models import User
from tenants.audit.actions import Action
from tenants.audit.services import audit_record
from tenants.requests import SignedInRequest

View = Callable[..., HttpResponse]


def staff_messaging(view: View) -> View:
    """Staff with a messaging inbox under the practice's policy; the view gets the policy."""

    @wraps(view)
    @login_required
    def wrapper(request: SignedInRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not holds(request.user, Capability.MESSAGES):
            raise Http404
        policy = selectors.policy_of(request.tenant)
        if not policy.uses_messaging(selectors.person(request.user)):
            raise Http404
        return view(request, policy, *args, **kwargs)

    return declares(Capability.MESSAGES)(wrapper)



def _conversation_or_404(request: SignedInRequest, policy: MessagingPolicy,
                         conversation_id: int) -> Conversation:
    try:
        return selectors.conversation_for(request.user, policy, conversation_id)
    except Conversation.DoesNotExist:
        raise Http404 from None


# --- inbox -------------------------------------------------------------------------------------

@require_http_methods(["GET"])
@staff_messaging
def inbox(request: SignedInRequest, policy: MessagingPolicy) -> HttpResponse:
    state = (Conversation.State.CLOSED if request.GET.get("state") == "closed"
             else Conversation.State.OPEN)
    rows = selectors.inbox(request.user, policy, state=state)
    audit_record(action=Action.MESSAGING_INBOX_VIEWED, actor=request.user, object_type="inbox",
                 meta=request.actor.meta,
                 detail={"conversation_ids": [row.conversation.pk for row in rows],
                         "state": state})
    me = selectors.person(request.user)
    return render(request, "messaging/staff/inbox.html", {
        "rows": rows, "state": state, "policy": policy,
        "may_start": policy.staff_scope(me) is not Scope.NONE,
        "is_owner": holds(request.user, Capability.MANAGE_PRACTICE),
    })


# --- starting ----------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@staff_messaging
def start(request: SignedInRequest, policy: MessagingPolicy) -> HttpResponse:
    clients = selectors.clients_addressable_by(request.user, policy)
    initial = {"client": request.GET.get("client", "")}
    form = StaffStartForm(request.POST or None, clients=clients, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                conversation = services.conversation_start(
                    actor=request.actor, client_id=data["client"],
                    subject=data["subject"], body=data["body"])
            except User.DoesNotExist:
                form.add_error("client", "Choose a client from the list.")
            except services.MessagingRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                flash.success(request, "Message sent.")
                return HttpResponseRedirect(reverse("messaging:conversation",
                                                    args=[conversation.pk]))
    return render(request, "messaging/staff/start.html",
                  {"form": form, "clients": clients, "policy": policy}, status=status)


# --- a conversation ----------------------------------------------------------------------------

@dataclass(frozen=True)
class MessageRow:
    message: Message
    is_mine: bool
    may_edit: bool
    # For a staff message: when the client read it. For a client's: which staff read it.
    client_read: MessageRead | None
    staff_reads: list[MessageRead]


def _rows(user: User, conversation: Conversation, may_post: bool) -> list[MessageRow]:
    rows = []
    reader_id = conversation.portal_person_id  # the client, or the proxy of a proxy's thread
    for message in selectors.thread_messages(conversation):
        reads = list(message.reads.all())
        rows.append(MessageRow(
            message=message, is_mine=message.author_id == user.pk,
            may_edit=may_post and message.author_id == user.pk,
            client_read=next((read for read in reads if read.reader_id == reader_id), None),
            staff_reads=[read for read in reads if read.reader_id != reader_id]))
    return rows


def _render_conversation(request: SignedInRequest, policy: MessagingPolicy,
                         conversation: Conversation, reply: ReplyForm,
                         status: int = 200) -> HttpResponse:
    thread = selectors.thread_of(conversation)
    me = selectors.person(request.user)
    may_post = policy.may_post(me, thread)
    with timezone.override(client_zone(conversation.client)):
        return render(request, "messaging/staff/conversation.html", {
            "conversation": conversation, "client": conversation.client,
            "rows": _rows(request.user, conversation, may_post),
            "may_post": may_post, "may_close": policy.may_close(me, thread),
            "may_reopen": policy.may_reopen(me, thread), "reply": reply,
            "close_form": CloseForm(), "closes_at": policy.closes_at(thread), "policy": policy,
        }, status=status)


@require_http_methods(["GET", "POST"])
@staff_messaging
def conversation(request: SignedInRequest, policy: MessagingPolicy,
                 conversation_id: int) -> HttpResponse:
    thread = _conversation_or_404(request, policy, conversation_id)
    reply = ReplyForm(request.POST or None)
    if request.method == "POST":
        if reply.is_valid():
            try:
                message = services.message_send(
                    conversation_id=thread.pk,
                    body=reply.cleaned_data["body"], actor=request.actor)
            except services.MessagingRefused as refusal:
                reply.add_error(None, str(refusal))
            else:
                flash.success(request, "Message sent.")
                url = reverse("messaging:conversation", args=[thread.pk])
                return HttpResponseRedirect(f"{url}#message-{message.pk}")
        return _render_conversation(request, policy, thread, reply, status=400)
    services.conversation_read(conversation_id=thread.pk,
                               actor=request.actor)
    return _render_conversation(request, policy, thread, reply)


@require_http_methods(["GET", "POST"])
@staff_messaging
def edit(request: SignedInRequest, policy: MessagingPolicy, message_id: int) -> HttpResponse:
    message = Message.objects.filter(pk=message_id).only("id", "conversation_id",
                                                         "author_id", "body").first()
    if message is None:
        raise Http404
    conversation = _conversation_or_404(request, policy, message.conversation_id)
    if message.author_id != request.user.pk:
        raise Http404
    if not conversation.is_open:
        flash.error(request, "This conversation is closed; its messages stay as they are.")
        return HttpResponseRedirect(reverse("messaging:conversation", args=[conversation.pk]))
    form = EditForm(request.POST or None, initial={"body": message.body})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.message_edit(message_id=message.pk,
                                      body=form.cleaned_data["body"], actor=request.actor)
            except services.MessagingRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                flash.success(request, "Message updated. The earlier text is kept.")
                url = reverse("messaging:conversation", args=[conversation.pk])
                return HttpResponseRedirect(f"{url}#message-{message.pk}")
    return render(request, "messaging/staff/edit.html",
                  {"form": form, "conversation": conversation, "message": message},
                  status=status)


@require_POST
@staff_messaging
def close(request: SignedInRequest, policy: MessagingPolicy, conversation_id: int) -> HttpResponse:
    thread = _conversation_or_404(request, policy, conversation_id)
    form = CloseForm(request.POST)
    if not form.is_valid():
        flash.error(request, "Keep the note to 300 characters; the conversation is still open.")
        return HttpResponseRedirect(reverse("messaging:conversation", args=[thread.pk]))
    try:
        services.conversation_close(conversation_id=thread.pk,
                                    note=form.cleaned_data["note"], actor=request.actor)
    except services.MessagingRefused as refusal:
        flash.error(request, str(refusal))
    else:
        flash.success(request, "Conversation closed.")
    return HttpResponseRedirect(reverse("messaging:conversation", args=[thread.pk]))


@require_POST
@staff_messaging
def reopen(request: SignedInRequest, policy: MessagingPolicy, conversation_id: int) -> HttpResponse:
    thread = _conversation_or_404(request, policy, conversation_id)
    try:
        services.conversation_reopen(conversation_id=thread.pk,
                                     actor=request.actor)
    except services.MessagingRefused as refusal:
        flash.error(request, str(refusal))
    else:
        flash.success(request, "Conversation reopened.")
    return HttpResponseRedirect(reverse("messaging:conversation", args=[thread.pk]))


# --- settings ----------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@requires(Capability.MANAGE_PRACTICE)
@staff_messaging
def settings_page(request: SignedInRequest, policy: MessagingPolicy) -> HttpResponse:
    current = selectors.messaging_settings()
    form = SettingsForm(request.POST or None, initial={
        "expected_response_time": current.expected_response_time,
        "expected_response_time_es": current.expected_response_time_es,
        "front_desk_sees_messages": current.front_desk_sees_messages})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.messaging_settings_update(
                    expected_response_time=form.cleaned_data["expected_response_time"],
                    expected_response_time_es=form.cleaned_data["expected_response_time_es"],
                    front_desk_sees_messages=form.cleaned_data["front_desk_sees_messages"],
                    actor=request.actor)
            except services.MessagingRefused as refusal:
                form.add_error("expected_response_time", str(refusal))
            else:
                flash.success(request, "Messaging settings saved.")
                return HttpResponseRedirect(reverse("messaging:settings"))
    return render(request, "messaging/staff/settings.html", {"form": form, "policy": policy},
                  status=status)
