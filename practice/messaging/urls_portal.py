"""The client's secure messages (`/portal/messages/`, namespace "portal:messaging")."""

from django.urls import URLPattern, URLResolver, path

from practice.messaging import views_portal as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.conversation_list, name="list"),
    path("new/", views.start, name="start"),
    path("<int:conversation_id>/", views.conversation, name="conversation"),
    path("message/<int:message_id>/edit/", views.edit, name="edit"),
]
