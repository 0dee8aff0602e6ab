"""The invoices API (`/api/v1/invoices...`, namespace "api:billing"; the billing module gates
it). Documented in the OpenAPI schema at `/api/v1/schema/`."""

from django.urls import URLPattern, URLResolver, path

from practice.invoices import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("invoices", api.InvoiceListView.as_view(), name="invoice_list"),
    path("invoices/<int:invoice_id>", api.InvoiceDetailView.as_view(), name="invoice_detail"),
    path("invoices/<int:invoice_id>/share", api.InvoiceShareView.as_view(),
         name="invoice_share"),
    path("invoices/<int:invoice_id>/paid", api.InvoicePaidView.as_view(), name="invoice_paid"),
    path("invoices/<int:invoice_id>/void", api.InvoiceVoidView.as_view(), name="invoice_void"),
    path("invoices/<int:invoice_id>/pdf", api.InvoicePdfView.as_view(), name="invoice_pdf"),
]
