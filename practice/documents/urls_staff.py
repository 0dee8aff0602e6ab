"""Staff pages for documents (`/documents/files/`, namespace "documents:files")."""

from django.urls import URLPattern, URLResolver, path

from practice.documents import views_staff as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.file_list, name="list"),
    path("settings/", views.upload_settings, name="settings"),
    path("clients/<int:client_id>/", views.client_files, name="client"),
    path("<int:document_id>/download/", views.file_download, name="download"),
    path("<int:document_id>/withdraw/", views.file_withdraw, name="withdraw"),
]
