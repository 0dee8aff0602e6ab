"""Staff pages for clients' portal access. No namespace: the practice URLconf's namespaces are
module keys and the areas that hold them."""

from django.urls import path

from practice.clients import views

urlpatterns = [
    path("", views.client_list, name="client_access_list"),
    path("invite/", views.client_invite, name="client_invite"),
    path("<int:client_id>/access/", views.client_access, name="client_access"),
    path("<int:client_id>/access/invite/", views.client_invitation_send,
         name="client_invitation_send"),
    path("<int:client_id>/access/revoke/", views.client_access_revoke,
         name="client_access_revoke"),
]
