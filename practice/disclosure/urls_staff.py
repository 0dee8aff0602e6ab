"""Staff pages of releases and disclosures (`/disclosure/`, namespace "disclosure")."""

from django.urls import URLPattern, URLResolver, path

from practice.disclosure import views_staff as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("settings/", views.part2_setting, name="settings"),
    path("clients/<int:client_id>/", views.client_overview, name="client"),
    path("clients/<int:client_id>/releases/new/", views.release_new, name="release_new"),
    path("clients/<int:client_id>/releases/<int:release_id>/", views.release_detail,
         name="release"),
    path("clients/<int:client_id>/releases/<int:release_id>/send/", views.release_send,
         name="release_send"),
    path("clients/<int:client_id>/releases/<int:release_id>/revoke/", views.release_revoke,
         name="release_revoke"),
    path("clients/<int:client_id>/accounting/", views.accounting, name="accounting"),
    path("clients/<int:client_id>/restrictions/", views.restriction_new,
         name="restriction_new"),
    path("clients/<int:client_id>/restrictions/<int:restriction_id>/lift/",
         views.restriction_lift, name="restriction_lift"),
    path("clients/<int:client_id>/part2/tags/", views.part2_tag, name="part2_tag"),
    path("clients/<int:client_id>/part2/tags/<int:tag_id>/remove/", views.part2_untag,
         name="part2_untag"),
]
