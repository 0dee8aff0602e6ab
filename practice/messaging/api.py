"""The messaging API (`/api/v1/`, namespace "api:messaging"), for the portal's clients and the
practice's staff alike; documented by drf-spectacular.

Each endpoint authenticates, checks the caller has a messaging inbox under the practice's policy
(the same 404 as a missing object otherwise, as the pages), parses, calls one service or
selector and serializes. A conversation or message out of reach answers 404 exactly like a
missing one; a rule of the policy answers 403 with the reason; text that cannot be kept
answers 400. Reading a conversation (GET) does not mark it read: POST `.../read` does, as the
pages do when opened."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from practice.access import ROLE_DENIED, Capability, holds
from practice.measurement.api.serializers import BAD_REQUEST, ErrorSerializer
from practice.messaging import selectors, services
from practice.messaging.models import (
    MAX_BODY_LENGTH,
    MAX_SUBJECT_LENGTH,
    Conversation,
    Message,
    MessageRevision,
)
from practice.messaging.policies import MessagingPolicy
from tenants.accounts.models import User
from tenants.audit.actions import Action
from tenants.audit.services import audit_record
from tenants.requests import SignedInApiRequest

# --- serializers ---------------------------------------------------------------------------------


class MessageRevisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = MessageRevision
        fields = ["body", "written_at", "replaced_at"]


class MessageSerializer(serializers.ModelSerializer):
    author_id = serializers.IntegerField()
    author_name = serializers.CharField(source="author.full_name")
    revisions = MessageRevisionSerializer(many=True, read_only=True,
                                   help_text="Earlier texts of an edited message, oldest first.")
    read_by_client_at = serializers.SerializerMethodField(
        help_text="Staff only: when the client read a staff message (null if not yet, and "
                  "always null for clients).")

    class Meta:
        model = Message
        fields = ["id", "conversation_id", "author_id", "author_name", "from_client", "body",
                  "created_at", "edited_at", "revisions", "read_by_client_at"]

    def get_read_by_client_at(self, message: Message) -> str | None:
        viewer: User = self.context["viewer"]
        if viewer.is_client or message.from_client:
            return None
        # The client, or the proxy in a proxy's conversation.
        reader_id = message.conversation.portal_person_id
        read = next((row for row in message.reads.all() if row.reader_id == reader_id), None)
        return serializers.DateTimeField().to_representation(read.read_at) if read else None


class ProxySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    relationship = serializers.CharField()


class ConversationSerializer(serializers.ModelSerializer):
    client_id = serializers.IntegerField()
    client_name = serializers.CharField(source="client.full_name")
    proxy = serializers.SerializerMethodField(
        help_text="Staff: a family member's (proxy's) conversation about the client: their "
                  "name and relationship (null for the client's own conversations).")
    unread = serializers.IntegerField(required=False,
                                      help_text="Messages from the other side not yet read by "
                                                "you (lists only).")

    class Meta:
        model = Conversation
        fields = ["id", "client_id", "client_name", "proxy", "subject", "state", "created_at",
                  "last_message_at", "closed_at", "close_reason", "unread"]

    @extend_schema_field(ProxySerializer(allow_null=True))
    def get_proxy(self, conversation: Conversation) -> dict[str, Any] | None:
        link = conversation.proxy_link  # None unless a proxy thread
        if link is None:
            return None
        return {"id": link.proxy_id, "name": link.proxy.full_name,
                "relationship": link.relationship}


class ConversationDetailSerializer(ConversationSerializer):
    """A conversation with its messages; the view passes the policy's answers and the loaded
    messages in the context."""

    may_post = serializers.SerializerMethodField(
        help_text="Whether the caller may write in it now.")
    closes_at = serializers.SerializerMethodField(
        help_text="When it closes by itself unless the client replies (reply-only), or null.")
    messages = serializers.SerializerMethodField()

    class Meta(ConversationSerializer.Meta):
        fields = [name for name in ConversationSerializer.Meta.fields if name != "unread"] + [
            "may_post", "closes_at", "messages"]

    def get_may_post(self, conversation: Conversation) -> bool:
        return bool(self.context["may_post"])

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_closes_at(self, conversation: Conversation) -> str | None:
        closes_at = self.context["closes_at"]
        return serializers.DateTimeField().to_representation(closes_at) if closes_at else None

    @extend_schema_field(MessageSerializer(many=True))
    def get_messages(self, conversation: Conversation) -> list[dict[str, Any]]:
        return MessageSerializer(  # type: ignore[return-value]  # many=True: a list
            self.context["messages"], many=True, context=self.context).data


class ConversationStartSerializer(serializers.Serializer):
    client_id = serializers.IntegerField(required=False,
                                         help_text="Staff: the client to write to.")
    staff_id = serializers.IntegerField(required=False,
                                        help_text="Clients: the clinician to write to (where "
                                                  "the practice lets clients start).")
    subject = serializers.CharField(required=False, allow_blank=True,
                                    max_length=MAX_SUBJECT_LENGTH, default="")
    body = serializers.CharField(max_length=MAX_BODY_LENGTH)


class MessageBodySerializer(serializers.Serializer):
    body = serializers.CharField(max_length=MAX_BODY_LENGTH)


class ConversationCloseSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class ConversationReadResultSerializer(serializers.Serializer):
    newly_read = serializers.IntegerField()


class UnreadMessagesSerializer(serializers.Serializer):
    unread = serializers.IntegerField()
    expected_response_time = serializers.CharField()


# --- permissions and helpers ---------------------------------------------------------------------


class HasMessaging(BasePermission):
    """A client, or staff with a messaging inbox under the practice's policy."""

    message = "You have no access to secure messages in this practice."
    code = ROLE_DENIED  # answered as 404 (config.errors)
    capabilities = frozenset({Capability.MESSAGES, Capability.OWN_RECORD})

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user.is_authenticated and user.is_active):
            return False
        if user.is_client:
            # The portal's pages hide a module staff did not choose for this client; so does
            # the API.
            return selectors.client_sees_messaging(user.pk)
        if not holds(user, Capability.MESSAGES):
            return False
        practice = request.tenant  # type: ignore[attr-defined]  # DRF's Request passes it on
        return selectors.policy_of(practice).uses_messaging(selectors.person(user))


MESSAGING = [IsAuthenticated, HasMessaging]
DENIED = {403: ErrorSerializer}
MISSING = {404: ErrorSerializer}



def _policy(request: SignedInApiRequest) -> MessagingPolicy:
    return selectors.policy_of(request.tenant)


def _conversation(request: SignedInApiRequest, conversation_id: int) -> Conversation:
    return selectors.conversation_for(request.user, _policy(request), conversation_id)


def _refused(error: services.MessagingRefused) -> Exception:
    if isinstance(error, services.InvalidText):
        return ValidationError({"detail": str(error)})
    return PermissionDenied(str(error))


def _detail(request: SignedInApiRequest, conversation: Conversation) -> dict[str, Any]:
    policy = _policy(request)
    thread = selectors.thread_of(conversation)
    return ConversationDetailSerializer(conversation, context={
        "viewer": request.user,
        "may_post": policy.may_post(selectors.person(request.user), thread),
        "closes_at": policy.closes_at(thread),
        "messages": selectors.thread_messages(conversation),
    }).data


# --- endpoints -----------------------------------------------------------------------------------

STATE_PARAMETER = OpenApiParameter("state", str, enum=["open", "closed"],
                                   description="Open (the default) or closed conversations.")


class ConversationListView(APIView):
    """The conversations the caller sees (a client: their own; staff: per the practice's
    policy), newest activity first. POST starts one with its first message."""

    permission_classes = MESSAGING

    @extend_schema(parameters=[STATE_PARAMETER],
                   responses={**DENIED, 200: ConversationSerializer(many=True)})
    def get(self, request: SignedInApiRequest) -> Response:
        state = request.query_params.get("state", Conversation.State.OPEN)
        if state not in Conversation.State.values:
            raise ValidationError({"state": "Use open or closed."})
        rows = selectors.inbox(request.user, _policy(request), state=state)
        audit_record(action=Action.MESSAGING_INBOX_VIEWED, actor=request.user, object_type="inbox",
                     meta=request.actor.meta,
                     detail={"conversation_ids": [row.conversation.pk for row in rows],
                             "state": state})
        for row in rows:
            row.conversation.unread = row.unread  # type: ignore[attr-defined]  # serialized
        return Response(ConversationSerializer([row.conversation for row in rows],
                                               many=True).data)

    @extend_schema(request=ConversationStartSerializer,
                   responses={**DENIED, 201: ConversationDetailSerializer,
                              400: BAD_REQUEST, 404: ErrorSerializer})
    def post(self, request: SignedInApiRequest) -> Response:
        incoming = ConversationStartSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        try:
            conversation = services.conversation_start(
                actor=request.actor, body=data["body"],
                subject=data["subject"], client_id=data.get("client_id"),
                staff_id=data.get("staff_id"))
        except User.DoesNotExist:
            raise NotFound("No one you can write to has this id.") from None
        except services.MessagingRefused as error:
            raise _refused(error) from None
        conversation = selectors.conversation_for(request.user, _policy(request),
                                                  conversation.pk)
        return Response(_detail(request, conversation), status=status.HTTP_201_CREATED)


class ConversationDetailView(APIView):
    """One conversation with its messages (earlier texts of edited ones included; staff also
    see when the client read each staff message)."""

    permission_classes = MESSAGING

    @extend_schema(responses={**DENIED, **MISSING, 200: ConversationDetailSerializer})
    def get(self, request: SignedInApiRequest, conversation_id: int) -> Response:
        conversation = _conversation(request, conversation_id)
        audit_record(action=Action.MESSAGING_CONVERSATION_VIEWED, actor=request.user,
                     object_type="conversation", object_id=conversation.pk, meta=request.actor.meta,
                     detail={"client_id": conversation.client_id, "newly_read": 0})
        return Response(_detail(request, conversation))


class ConversationMessagesView(APIView):
    """POST a message to an open conversation the policy lets the caller write in."""

    permission_classes = MESSAGING

    @extend_schema(request=MessageBodySerializer,
                   responses={**DENIED, **MISSING, 201: MessageSerializer, 400: BAD_REQUEST})
    def post(self, request: SignedInApiRequest, conversation_id: int) -> Response:
        conversation = _conversation(request, conversation_id)
        incoming = MessageBodySerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            message = services.message_send(
                conversation_id=conversation.pk,
                body=incoming.validated_data["body"], actor=request.actor)
        except services.MessagingRefused as error:
            raise _refused(error) from None
        return Response(MessageSerializer(message, context={"viewer": request.user}).data,
                        status=status.HTTP_201_CREATED)


class ConversationReadView(APIView):
    """Mark the other side's messages in the conversation read by the caller."""

    permission_classes = MESSAGING

    @extend_schema(request=None,
                   responses={**DENIED, **MISSING, 200: ConversationReadResultSerializer})
    def post(self, request: SignedInApiRequest, conversation_id: int) -> Response:
        conversation = _conversation(request, conversation_id)
        count = services.conversation_read(conversation_id=conversation.pk,
                                           actor=request.actor)
        return Response({"newly_read": count})


class ConversationCloseView(APIView):
    """Staff close an open conversation (with an optional note for staff)."""

    permission_classes = MESSAGING

    @extend_schema(request=ConversationCloseSerializer,
                   responses={**DENIED, **MISSING, 200: ConversationSerializer})
    def post(self, request: SignedInApiRequest, conversation_id: int) -> Response:
        conversation = _conversation(request, conversation_id)
        incoming = ConversationCloseSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            conversation = services.conversation_close(
                conversation_id=conversation.pk,
                note=incoming.validated_data["note"], actor=request.actor)
        except services.MessagingRefused as error:
            raise _refused(error) from None
        return Response(ConversationSerializer(conversation).data)


class ConversationReopenView(APIView):
    """Staff reopen a closed conversation."""

    permission_classes = MESSAGING

    @extend_schema(request=None, responses={**DENIED, **MISSING, 200: ConversationSerializer})
    def post(self, request: SignedInApiRequest, conversation_id: int) -> Response:
        conversation = _conversation(request, conversation_id)
        try:
            conversation = services.conversation_reopen(
                conversation_id=conversation.pk,
                actor=request.actor)
        except services.MessagingRefused as error:
            raise _refused(error) from None
        return Response(ConversationSerializer(conversation).data)


class MessageDetailView(APIView):
    """PATCH a new text for one's own message in an open conversation (the earlier text is
    kept as a revision)."""

    permission_classes = MESSAGING

    @extend_schema(request=MessageBodySerializer,
                   responses={**DENIED, **MISSING, 200: MessageSerializer, 400: BAD_REQUEST})
    def patch(self, request: SignedInApiRequest, message_id: int) -> Response:
        incoming = MessageBodySerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            message = services.message_edit(message_id=message_id,
                                             body=incoming.validated_data["body"],
                                             actor=request.actor)
        except services.MessagingRefused as error:
            raise _refused(error) from None
        message = (Message.objects.select_related("author", "conversation")
                   .prefetch_related("revisions", "reads").get(pk=message.pk))
        return Response(MessageSerializer(message, context={"viewer": request.user}).data)


class UnreadView(APIView):
    """How many messages wait for the caller, and how soon the practice answers."""

    permission_classes = MESSAGING

    @extend_schema(responses={**DENIED, 200: UnreadMessagesSerializer})
    def get(self, request: SignedInApiRequest) -> Response:
        return Response({
            "unread": selectors.unread_count(request.user, _policy(request)),
            "expected_response_time": selectors.messaging_settings().client_response_time,
        })
