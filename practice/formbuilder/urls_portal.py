"""The client's forms (`/portal/documents/forms/`, namespace "portal:documents:forms")."""

from django.urls import URLPattern, URLResolver, path

from practice.formbuilder.views import portal

urlpatterns: list[URLPattern | URLResolver] = [
    path("", portal.form_list, name="list"),
    path("<int:assignment_id>/", portal.form_fill, name="fill"),
    path("<int:assignment_id>/sign/", portal.form_sign, name="sign"),
    path("<int:assignment_id>/pdf/", portal.form_pdf_download, name="pdf"),
]
