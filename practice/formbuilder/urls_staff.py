"""Staff pages of forms (`/documents/forms/`, namespace "documents:forms")."""

from django.urls import URLPattern, URLResolver, path

from practice.formbuilder.views import builder, staff

urlpatterns: list[URLPattern | URLResolver] = [
    path("", staff.form_list, name="list"),
    path("share/", staff.form_share, name="share"),
    path("clients/<int:client_id>/", staff.client_forms, name="client"),
    path("<int:assignment_id>/", staff.form_detail, name="detail"),
    path("<int:assignment_id>/pdf/", staff.form_pdf_download, name="pdf"),
    path("<int:assignment_id>/withdraw/", staff.form_withdraw, name="withdraw"),
    path("templates/", builder.template_list, name="templates"),
    path("templates/<int:template_id>/", builder.template_builder, name="template"),
    path("templates/<int:template_id>/preview/", builder.template_preview, name="preview"),
    path("templates/<int:template_id>/publish/", builder.template_publish, name="publish"),
    path("templates/<int:template_id>/archive/", builder.template_archive, name="archive"),
]
