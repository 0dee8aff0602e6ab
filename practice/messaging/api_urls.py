"""The messaging API (`/api/v1/`, namespace "api:messaging"); see practice.messaging.api."""

from django.urls import URLPattern, URLResolver, path

from practice.messaging import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("conversations", api.ConversationListView.as_view(), name="conversation_list"),
    path("conversations/<int:conversation_id>", api.ConversationDetailView.as_view(),
         name="conversation_detail"),
    path("conversations/<int:conversation_id>/messages", api.ConversationMessagesView.as_view(),
         name="conversation_messages"),
    path("conversations/<int:conversation_id>/read", api.ConversationReadView.as_view(),
         name="conversation_read"),
    path("conversations/<int:conversation_id>/close", api.ConversationCloseView.as_view(),
         name="conversation_close"),
    path("conversations/<int:conversation_id>/reopen", api.ConversationReopenView.as_view(),
         name="conversation_reopen"),
    path("messages/<int:message_id>", api.MessageDetailView.as_view(), name="message_detail"),
    path("messages/unread", api.UnreadView.as_view(), name="unread"),
]
