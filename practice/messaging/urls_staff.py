"""Staff pages of secure messaging (`/messages/`, namespace "messaging")."""

from django.urls import URLPattern, URLResolver, path

from practice.messaging import views_staff as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.inbox, name="inbox"),
    path("new/", views.start, name="start"),
    path("settings/", views.settings_page, name="settings"),
    path("<int:conversation_id>/", views.conversation, name="conversation"),
    path("<int:conversation_id>/close/", views.close, name="close"),
    path("<int:conversation_id>/reopen/", views.reopen, name="reopen"),
    path("message/<int:message_id>/edit/", views.edit, name="edit"),
]
