"""The family pages (`/family/`, namespace `family`): the proxy's side, the client's own
sharing page, and the staff pages of a client's proxies and the practice's tiers."""

from django.urls import path

from practice.family import views_portal, views_staff

urlpatterns = [
    path("", views_portal.home, name="home"),
    path("invitation/<str:token>/", views_portal.invitation_accept, name="invitation_accept"),
    path("consent/", views_portal.consent, name="consent"),
    path("account/", views_portal.account, name="account"),
    path("sharing/", views_portal.sharing, name="sharing"),
    path("sharing/<int:link_id>/", views_portal.sharing_save, name="sharing_save"),
    path("<int:client_id>/", views_portal.client_home, name="client"),
    path("<int:client_id>/questionnaires/<int:assignment_id>/", views_portal.questionnaire,
         name="questionnaire"),
    path("<int:client_id>/releases/<int:release_id>/", views_portal.release_sign,
         name="release"),
    path("<int:client_id>/releases/<int:release_id>/revoke/", views_portal.release_revoke,
         name="release_revoke"),
    path("<int:client_id>/<slug:kind>/", views_portal.record, name="record"),
    # Staff
    path("staff/settings/", views_staff.family_settings, name="settings"),
    path("staff/clients/<int:client_id>/", views_staff.staff_client, name="staff_client"),
    path("staff/clients/<int:client_id>/invite/", views_staff.staff_invite, name="staff_invite"),
    path("staff/clients/<int:client_id>/age/", views_staff.staff_age, name="staff_age"),
    path("staff/clients/<int:client_id>/summary/", views_staff.staff_summary,
         name="staff_summary"),
    path("staff/clients/<int:client_id>/marks/", views_staff.staff_mark, name="staff_mark"),
    path("staff/clients/<int:client_id>/caregiver/", views_staff.staff_caregiver_assign,
         name="staff_caregiver"),
    path("staff/clients/<int:client_id>/caregiver/<int:assignment_id>/end/",
         views_staff.staff_caregiver_end, name="staff_caregiver_end"),
    path("staff/links/<int:link_id>/", views_staff.staff_link, name="staff_link"),
    path("staff/links/<int:link_id>/message/", views_staff.staff_message,
         name="staff_message"),
]
