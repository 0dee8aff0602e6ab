"""The client's releases (`/portal/disclosures/`, namespace "portal:disclosure")."""

from django.urls import URLPattern, URLResolver, path

from practice.disclosure import views_portal as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.release_list, name="list"),
    path("accounting/", views.accounting, name="accounting"),
    path("<int:release_id>/sign/", views.release_sign, name="sign"),
    path("<int:release_id>/revoke/", views.release_revoke, name="revoke"),
]
