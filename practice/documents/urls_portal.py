"""The client's documents (`/portal/documents/files/`, namespace "portal:documents:files")."""

from django.urls import URLPattern, URLResolver, path

from practice.documents import views_portal as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.file_list, name="list"),
    path("<int:document_id>/download/", views.file_download, name="download"),
]
