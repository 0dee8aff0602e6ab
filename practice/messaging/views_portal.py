"""The client's secure messages (`/portal/messages/`, namespace "portal:messaging"): their
conversations, one conversation (opening it marks the practice's messages read), a new one where
the practice's policy lets clients start one, and editing their own message.

Every page says how soon the practice answers and that messages are not for emergencies, with
the crisis options beside it. A conversation that is not the client's own is as missing as one
that does not exist."""

from __future__ import annotations

from django.contrib import messages as flash
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from portal.pages import audit_read, client_required, render_local
from practice.messaging import selectors, services
from practice.messaging.forms import ClientStartForm, EditForm, ReplyForm
from practice.messaging.models import Conversation, Message
from practice.messaging.policies import MessagingPolicy
from tenants.accounts.models import User
from tenants.audit.actions import Action
from tenants.requests import SignedInRequest


def _context(request: SignedInRequest, policy: MessagingPolicy, **extra: object) -> dict:
    return {"policy": policy,
            "expected_response_time": selectors.messaging_settings().client_response_time,
            "may_start": policy.client_may_start(selectors.person(request.user)),
            **extra}


def _own_conversation(request: SignedInRequest, policy: MessagingPolicy,
                      conversation_id: int) -> Conversation:
    try:
        return selectors.conversation_for(request.user, policy, conversation_id)
    except Conversation.DoesNotExist:
        raise Http404 from None


@require_http_methods(["GET"])
@client_required
def conversation_list(request: SignedInRequest) -> HttpResponse:
    policy = selectors.policy_of(request.tenant)
    open_rows = selectors.inbox(request.user, policy, state=Conversation.State.OPEN)
    closed_rows = selectors.inbox(request.user, policy, state=Conversation.State.CLOSED,
                                  limit=20)
    audit_read(request, Action.PORTAL_MESSAGES_VIEWED)
    return render_local(request, "messaging/portal/list.html", _context(
        request, policy, open_rows=open_rows, closed_rows=closed_rows))


@require_http_methods(["GET", "POST"])
@client_required
def start(request: SignedInRequest) -> HttpResponse:
    policy = selectors.policy_of(request.tenant)
    if not policy.client_may_start(selectors.person(request.user)):
        return render_local(request, "messaging/portal/start_refused.html",
                            _context(request, policy), status=403)
    staff = selectors.staff_addressable_by(request.user, policy)
    form = ClientStartForm(request.POST or None, staff=staff)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                conversation = services.conversation_start(
                    actor=request.actor, staff_id=data["staff"],
                    subject=data["subject"], body=data["body"])
            except User.DoesNotExist:
                form.add_error("staff", _("Choose someone from the list."))
            except services.MessagingRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                flash.success(request, _("Message sent."))
                return HttpResponseRedirect(reverse("portal:messaging:conversation",
                                                    args=[conversation.pk]))
    return render_local(request, "messaging/portal/start.html",
                        _context(request, policy, form=form, staff=staff), status=status)


def _render_conversation(request: SignedInRequest, policy: MessagingPolicy,
                         conversation: Conversation, reply: ReplyForm,
                         status: int = 200) -> HttpResponse:
    thread = selectors.thread_of(conversation)
    may_post = policy.may_post(selectors.person(request.user), thread)
    return render_local(request, "messaging/portal/conversation.html", _context(
        request, policy, conversation=conversation, reply=reply, may_post=may_post,
        thread_messages=selectors.thread_messages(conversation),
        closes_at=policy.closes_at(thread)), status=status)


@require_http_methods(["GET", "POST"])
@client_required
def conversation(request: SignedInRequest, conversation_id: int) -> HttpResponse:
    policy = selectors.policy_of(request.tenant)
    thread = _own_conversation(request, policy, conversation_id)
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
                flash.success(request, _("Message sent."))
                url = reverse("portal:messaging:conversation", args=[thread.pk])
                return HttpResponseRedirect(f"{url}#message-{message.pk}")
        return _render_conversation(request, policy, thread, reply, status=400)
    services.conversation_read(conversation_id=thread.pk,
                               actor=request.actor)
    return _render_conversation(request, policy, thread, reply)


@require_http_methods(["GET", "POST"])
@client_required
def edit(request: SignedInRequest, message_id: int) -> HttpResponse:
    policy = selectors.policy_of(request.tenant)
    message = Message.objects.filter(pk=message_id, author=request.user).first()
    if message is None:
        raise Http404
    conversation = _own_conversation(request, policy, message.conversation_id)
    back = reverse("portal:messaging:conversation", args=[conversation.pk])
    if not conversation.is_open:
        flash.error(request, _("This conversation is closed; its messages stay as they are."))
        return HttpResponseRedirect(back)
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
                flash.success(request, _("Message updated."))
                return HttpResponseRedirect(f"{back}#message-{message.pk}")
    return render_local(request, "messaging/portal/edit.html", _context(
        request, policy, form=form, conversation=conversation, message=message), status=status)
