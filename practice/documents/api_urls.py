"""The documents API's files endpoints (under `/api/v1/`, namespace "api:documents", shared with
the forms endpoints: names start with "file_")."""

from django.urls import URLPattern, URLResolver, path

from practice.documents import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("clients/<int:client_id>/files", api.ClientFilesView.as_view(), name="file_list"),
    path("files/<int:document_id>", api.FileDetailView.as_view(), name="file_detail"),
    path("files/<int:document_id>/download", api.FileDownloadView.as_view(),
         name="file_download"),
]
