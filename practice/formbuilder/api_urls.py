"""The forms API (`/api/v1/forms/...`, namespace "api:documents"; the documents module gates
it). Documented in the OpenAPI schema at `/api/v1/schema/`."""

from django.urls import URLPattern, URLResolver, path

from practice.formbuilder.api import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("forms/templates", views.TemplateListView.as_view(), name="form_template_list"),
    path("forms/templates/<int:template_id>", views.TemplateDetailView.as_view(),
         name="form_template_detail"),
    path("forms/templates/<int:template_id>/publish", views.TemplatePublishView.as_view(),
         name="form_template_publish"),
    path("forms/templates/<int:template_id>/versions/<int:number>",
         views.TemplateVersionView.as_view(), name="form_template_version"),
    path("forms/assignments", views.AssignmentListView.as_view(), name="form_assignment_list"),
    path("forms/assignments/<int:assignment_id>", views.AssignmentDetailView.as_view(),
         name="form_assignment_detail"),
    path("forms/assignments/<int:assignment_id>/answers", views.AnswersView.as_view(),
         name="form_answers"),
    path("forms/assignments/<int:assignment_id>/sign", views.SignView.as_view(),
         name="form_sign"),
    path("forms/assignments/<int:assignment_id>/withdraw", views.WithdrawView.as_view(),
         name="form_withdraw"),
    path("forms/assignments/<int:assignment_id>/pdf", views.PdfView.as_view(),
         name="form_pdf"),
    path("forms/assignments/<int:assignment_id>/seal", views.SealView.as_view(),
         name="form_seal"),
]
