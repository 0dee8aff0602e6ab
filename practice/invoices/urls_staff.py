"""Staff invoice pages (`/invoices/`, namespace "billing")."""

from django.urls import URLPattern, URLResolver, path

from practice.invoices import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.invoice_list, name="list"),
    path("new/", views.invoice_create, name="create"),
    path("<int:invoice_id>/", views.invoice_detail, name="detail"),
    path("<int:invoice_id>/edit/", views.invoice_edit, name="edit"),
    path("<int:invoice_id>/share/", views.invoice_share, name="share"),
    path("<int:invoice_id>/paid/", views.invoice_paid, name="paid"),
    path("<int:invoice_id>/void/", views.invoice_void, name="void"),
    path("<int:invoice_id>/discard/", views.invoice_discard, name="discard"),
    path("<int:invoice_id>/pdf/", views.invoice_pdf_download, name="pdf"),
]
