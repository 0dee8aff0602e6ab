from django.urls import path

from practice import views

urlpatterns = [
    path("", views.home, name="home"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/invite/", views.staff_invite, name="staff_invite"),
    path("staff/<int:user_id>/role/", views.staff_role_change, name="staff_role_change"),
    path("staff/<int:user_id>/remove/", views.staff_remove, name="staff_remove"),
    path("staff/invitations/<int:invitation_id>/revoke/", views.staff_invitation_revoke,
         name="staff_invitation_revoke"),
    path("staff/invitations/accept/<str:token>/", views.staff_invitation_accept,
         name="staff_invitation_accept"),
]
