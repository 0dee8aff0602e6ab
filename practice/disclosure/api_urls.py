"""Releases, disclosures and the accounting (under `/api/v1/`, namespace "api:disclosure")."""

from django.urls import URLPattern, URLResolver, path

from practice.disclosure import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("clients/<int:client_id>/releases", api.ClientReleasesView.as_view(),
         name="client_releases"),
    path("clients/<int:client_id>/disclosures", api.ClientDisclosuresView.as_view(),
         name="client_disclosures"),
    path("clients/<int:client_id>/accounting-of-disclosures", api.ClientAccountingView.as_view(),
         name="client_accounting"),
    path("releases/<int:release_id>", api.ReleaseDetailView.as_view(), name="release_detail"),
    path("releases/<int:release_id>/revoke", api.ReleaseRevokeView.as_view(),
         name="release_revoke"),
    path("releases/<int:release_id>/disclosures", api.ReleaseDiscloseView.as_view(),
         name="release_disclose"),
]
