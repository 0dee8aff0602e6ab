"""The client's invoices (`/portal/invoices/`, namespace "portal:billing")."""

from django.urls import URLPattern, URLResolver, path

from practice.invoices import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.portal_list, name="list"),
    path("<int:invoice_id>/", views.portal_detail, name="detail"),
    path("<int:invoice_id>/pdf/", views.portal_pdf, name="pdf"),
]
